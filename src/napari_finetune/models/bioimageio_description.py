"""The BioImage.IO description (rdf.yaml, model spec 0.5) of a napari-finetune model.

Everything is stated through bioimageio.spec's own classes, which validate it
as it is built: the tensors (sides multiples of 16: other sides run, the
network resizing to its skip connections, but boundaries shift), the
normalisation as ``scale_range`` (our
:class:`~napari_finetune.data.normalize.Normalization`: per image, per
channel; the spec adds eps = 1e-6 to the percentile range, a relative change
of 1e-6 / range, far inside test_model's tolerance), class probabilities as
output, both weight formats, the model card
and citations. The files it names are written by
:mod:`~napari_finetune.models.bioimageio_package`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from bioimageio.spec.model import v0_5

from napari_finetune._version import __version__
from napari_finetune.models import unet
from napari_finetune.models.bioimageio_card import Credits
from napari_finetune.models.bioimageio_import import CONFIG_KEY, PACKAGE_VERSION
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.model_data import class_list, modality, trained_preset
from napari_finetune.models.onnx_export import OPSET

INPUT_ID, OUTPUT_ID = "image", "probabilities"
# Output pixels at each tile's edge a tiling consumer should crop: half the
# plugin's own tile overlap (inference.predict.OVERLAP = 64).
HALO = 32
# The methods this plugin implements. The course material its recipe follows
# has no public citation (no DOI, no URL), so it cannot be listed here. arXiv
# papers by their DOI, not a URL: bioimageio.spec checks URLs online when it
# validates (a HEAD request, 10 s timeout each), and export must work offline.
CITATIONS = [
    v0_5.CiteEntry(
        text="Ronneberger, Fischer & Brox (2015). U-Net: Convolutional Networks for "
        "Biomedical Image Segmentation. MICCAI 2015.",
        doi=v0_5.Doi("10.1007/978-3-319-24574-4_28"),
    ),
    v0_5.CiteEntry(
        text="Yosinski, Clune, Bengio & Lipson (2014). How transferable are features in "
        "deep neural networks? NeurIPS 2014 (fine-tuning, gradual unfreezing).",
        doi=v0_5.Doi("10.48550/arXiv.1411.1792"),
    ),
    v0_5.CiteEntry(
        text="Li, Wang, Shi, Liu & Hou (2016). Revisiting Batch Normalization For Practical "
        "Domain Adaptation (AdaBN).",
        doi=v0_5.Doi("10.48550/arXiv.1603.04779"),
    ),
]


@dataclass(frozen=True)
class PackageFiles:
    """The files a package is made of, written beforehand into one folder."""

    state_dict: Path  # torch.save of the UNet state_dict (what pytorch_state_dict loads)
    onnx: Path
    checkpoint: Path  # our own safetensors checkpoint: what napari-finetune imports
    test_input: Path
    test_output: Path
    sample_input: Path  # the test tensors as TIFF, the form the spec wants shown to readers
    sample_output: Path
    cover: Path
    documentation: Path


def package_config(model: SegmentationModel, checkpoint_name: str) -> dict[str, Any]:
    """The ``config.napari_finetune`` section: what the importer checks and reads."""
    return {
        "package_version": PACKAGE_VERSION,
        "plugin_version": __version__,
        "model_name": model.name,
        "checkpoint": checkpoint_name,
        "architecture": {"name": "unet", **model.net.config.to_dict()},
        "classes": {str(k): v for k, v in sorted(model.classes.items())},
        "normalization": model.normalization.to_dict(),
        "training_runs": len(model.provenance),
        "preset": trained_preset(model),
    }


def describe_model(
    model: SegmentationModel, files: PackageFiles, credits: Credits | None = None
) -> v0_5.ModelDescr:
    """The validated model description of ``model`` whose files are ``files``.

    Parameters
    ----------
    model : SegmentationModel
        The exported model.
    files : PackageFiles
        Its files, already written.
    credits : Credits, optional
        Authors and licence (default: the plugin's).

    Returns
    -------
    bioimageio.spec.model.v0_5.ModelDescr
        Ready for ``bioimageio.spec.save_bioimageio_package``.
    """
    config = model.net.config
    norm = model.normalization
    class_names = [model.classes.get(k, f"class {k}") for k in range(1, model.n_classes + 1)]
    # Multiples of 16: other sides run (the decoder resizes to each skip), but the deep
    # features are stretched across the image and boundaries shift (inference/tiling.py).
    # At least the halo on both sides and one cell between them (80 px for 16-px cells).
    smallest = 2 * HALO + model.net.min_size
    side = v0_5.ParameterizedSize(min=smallest, step=model.net.min_size)
    channels = ["grey"] if model.in_channels == 1 else ["red", "green", "blue"]
    scale_range = v0_5.ScaleRangeDescr(
        kwargs=v0_5.ScaleRangeKwargs(
            axes=[v0_5.AxisId("y"), v0_5.AxisId("x")],  # per image and per channel
            min_percentile=norm.low,
            max_percentile=norm.high,
        )
    )
    image = v0_5.InputTensorDescr(
        id=v0_5.TensorId(INPUT_ID),
        description="Micrograph, grey or RGB; normalised by its own percentiles.",
        axes=[
            v0_5.BatchAxis(),
            v0_5.ChannelAxis(channel_names=channels),
            v0_5.SpaceInputAxis(id=v0_5.AxisId("y"), size=side),
            v0_5.SpaceInputAxis(id=v0_5.AxisId("x"), size=side),
        ],
        test_tensor=v0_5.FileDescr(source=files.test_input),
        sample_tensor=v0_5.FileDescr(source=files.sample_input),
        data=v0_5.IntervalOrRatioDataDescr(type="float32"),
        preprocessing=[scale_range],
    )
    same_side = {
        axis: v0_5.SizeReference(tensor_id=v0_5.TensorId(INPUT_ID), axis_id=v0_5.AxisId(axis))
        for axis in "yx"
    }
    probabilities = v0_5.OutputTensorDescr(
        id=v0_5.TensorId(OUTPUT_ID),
        description="Probability of each class (softmax over channels); channel k is class "
        "k + 1: " + ", ".join(f"{k + 1} = {n}" for k, n in enumerate(class_names)) + ".",
        axes=[
            v0_5.BatchAxis(),
            v0_5.ChannelAxis(channel_names=channel_names(class_names)),
            # Tiling consumers (deepImageJ, bioimageio.core's blockwise prediction) cut
            # tiles with this overlap, as the plugin's own tiles overlap.
            v0_5.SpaceOutputAxisWithHalo(id=v0_5.AxisId("y"), size=same_side["y"], halo=HALO),
            v0_5.SpaceOutputAxisWithHalo(id=v0_5.AxisId("x"), size=same_side["x"], halo=HALO),
        ],
        test_tensor=v0_5.FileDescr(source=files.test_output),
        sample_tensor=v0_5.FileDescr(source=files.sample_output),
        data=v0_5.IntervalOrRatioDataDescr(type="float32", range=(0.0, 1.0)),
    )
    architecture = v0_5.ArchitectureFromFileDescr(
        source=Path(unet.__file__),
        callable=v0_5.Identifier(unet.UNetProbabilities.__name__),
        kwargs={
            "in_channels": config.in_channels,
            "n_classes": config.n_classes,
            "widths": list(config.widths),
            "dropout": config.dropout,
        },
    )
    weights = v0_5.WeightsDescr(
        pytorch_state_dict=v0_5.PytorchStateDictWeightsDescr(
            source=files.state_dict,
            architecture=architecture,
            pytorch_version=v0_5.Version(torch.__version__.split("+")[0]),
        ),
        onnx=v0_5.OnnxWeightsDescr(
            source=files.onnx, opset_version=OPSET, parent="pytorch_state_dict"
        ),
    )
    n_parameters = sum(p.numel() for p in model.net.parameters())
    return v0_5.ModelDescr(
        name=package_name(model),
        description=f"U-Net that segments {class_list(model)} in {modality(model)}; exported "
        "by napari-finetune (fine-tune it on a few painted strokes in napari).",
        authors=[v0_5.Author(name=name) for name in (credits or Credits()).authors],
        cite=CITATIONS,
        license=v0_5.LicenseId((credits or Credits()).license),
        documentation=v0_5.FileDescr(source=files.documentation),
        covers=[v0_5.FileDescr(source=files.cover)],
        attachments=[v0_5.FileDescr(source=files.checkpoint)],
        tags=[
            "segmentation",
            "semantic-segmentation",
            "2d",
            "unet",
            "pytorch",
            "onnx",
            "electron-microscopy",
            "materials-science",
            "grains",
            "napari-finetune",
        ],
        inputs=[image],
        outputs=[probabilities],
        weights=weights,
        timestamp=v0_5.Datetime(datetime.now(UTC)),
        config=v0_5.Config(
            bioimageio=v0_5.BioimageioConfig(
                architecture_type="unet",
                model_parameter_count=n_parameters,
                target_structure=class_names,
                task="semantic segmentation",
                modality=modality(model),
                out_of_scope_use="Use without fine-tuning on images unlike its training "
                "data (see the documentation); instance segmentation.",
                training=v0_5.TrainingDetails(
                    training_preprocessing=f"percentiles {norm.low:g} and {norm.high:g} "
                    "per image and channel mapped to 0 and 1",
                    loss_function="cross-entropy + soft Dice",
                    optimizer="AdamW",
                ),
            ),
            **{CONFIG_KEY: package_config(model, files.checkpoint.name)},
        ),
    )


def channel_names(class_names: list[str]) -> list[str]:
    """Class names as distinct channel identifiers (letters, digits and underscores)."""
    names: list[str] = []
    for k, text in enumerate(class_names, start=1):
        cleaned = "".join(c if c.isascii() and c.isalnum() else "_" for c in text).strip("_")
        if not cleaned or not cleaned[0].isalpha():
            cleaned = f"class_{k}_{cleaned}".rstrip("_")
        # Names that differ only in punctuation would clash once cleaned.
        names.append(cleaned if cleaned not in names else f"{cleaned}_{k}")
    return names


def package_name(model: SegmentationModel) -> str:
    """The package's display name: the model's, in the characters the spec allows."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+- ()")
    name = "".join(c if c in allowed else "-" for c in model.name or "model")
    return f"napari-finetune {name}"[:64]
