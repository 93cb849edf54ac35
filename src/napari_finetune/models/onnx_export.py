"""ONNX export: the network as a portable file that any ONNX runtime can run.

The graph is traced by PyTorch's TorchScript-based exporter from the network
with BatchNorm folded into the convolutions (:mod:`~napari_finetune.models.fused`),
with batch, height and width left dynamic. Any side of at least 16 runs (the
U-Net resizes each coarser stage to its skip connection), but only sides that
are multiples of 16 keep the deep features in place: the file says so, and the
plugin's own tiling mirrors tiles out to such sides
(:func:`~napari_finetune.inference.tiling.pad_to_multiple`). That exporter is
used rather than the newer ``dynamo=True`` one because it exports this network
in 0.14 s instead of 6.5 s and needs no extra package; the live previews re-use
its graph (see :func:`graph_template`).

The input is the *normalised* image; how to normalise (per-image percentiles)
is written into the file's metadata and its doc string, since ONNX has no
percentile operator to fold it into the graph.
"""

from __future__ import annotations

import functools
import io
import json
import threading
import warnings
from pathlib import Path

import torch
from torch import nn

from napari_finetune._version import __version__
from napari_finetune.data.safe_write import atomic_write
from napari_finetune.models.exporting import check_export
from napari_finetune.models.fused import fused_for_inference
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.unet import UNetConfig

# Opset 17 is read by every ONNX Runtime since 1.11 (2022), by the Java runtime
# deepImageJ ships and by OpenCV's DNN module; ONNX Runtime 1.32 applies all its
# CPU graph optimisations to it. Nothing in this network needs a newer opset.
OPSET = 17
INPUT_NAME = "image"
OUTPUTS = ("probabilities", "logits")
# Key of the JSON document in the ONNX file's metadata_props.
METADATA_KEY = "napari_finetune"
# The trace needs one example; every side is dynamic afterwards.
_EXAMPLE_SIDE = 64
# torch's exporter keeps process-wide state (GLOBALS.in_onnx_export), and
# warnings.catch_warnings swaps process-wide filters: two exports at once (two
# thread workers of a folder run, or the GUI exporting while a worker does)
# raise. Every export in the process goes through _traced, under this lock.
_EXPORT_LOCK = threading.Lock()


class _Probabilities(nn.Module):
    """A network followed by a softmax over the class channel."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


def export_onnx(
    model: SegmentationModel,
    path: str | Path,
    *,
    output: str = "probabilities",
    overwrite: bool = False,
) -> Path:
    """Write ``model`` as an ONNX file.

    Parameters
    ----------
    model : SegmentationModel
        The model to export (left unchanged, training mode included).
    path : str or Path
        Destination file, conventionally ``*.onnx``; parent folders are created.
    output : {'probabilities', 'logits'}
        What the graph returns: class probabilities (softmax in the graph) or
        the raw logits.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file. Its input ``image`` is float32 ``(N, C, H, W)``
        normalised as the metadata says; its output ``probabilities`` (or
        ``logits``) is float32 ``(N, K, H, W)``, channel k for class k + 1.

    Raises
    ------
    ValueError
        For an unknown ``output``, a path that cannot be written, or an
        existing file without ``overwrite``.
    """
    path = check_export(model, path, "ONNX file", overwrite)
    data = onnx_model_bytes(model, output=output)
    with atomic_write(path) as temporary:
        temporary.write_bytes(data)
    return path


def onnx_model_bytes(model: SegmentationModel, output: str = "probabilities") -> bytes:
    """The serialised ONNX model of ``model``, with its metadata (see :func:`export_onnx`)."""
    import onnx

    # On the CPU: a model trained on a GPU is traced with a CPU example input.
    proto = onnx.load_from_string(_traced(fused_for_inference(model.net).cpu(), output))
    proto.doc_string = _doc_string(model, output)
    entry = proto.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(onnx_metadata(model, output))
    return proto.SerializeToString()


def onnx_metadata(model: SegmentationModel, output: str = "probabilities") -> dict:
    """What a user of the ONNX file needs to know, as plain data."""
    norm = model.normalization
    return {
        "napari_finetune_version": __version__,
        "model_name": model.name,
        "architecture": {"name": "unet", **model.net.config.to_dict()},
        "classes": {str(k): v for k, v in model.classes.items()},
        "input": {
            "name": INPUT_NAME,
            "axes": "NCHW",
            "dtype": "float32",
            "min_side": model.net.min_size,
            # Other sides run, with boundaries up to min_size - 1 px out of place.
            "side_multiple": model.net.min_size,
            "normalization": {
                **norm.to_dict(),
                "formula": "(x - p_low) / (p_high - p_low), per image and per channel",
            },
        },
        "output": {"name": output, "axes": "NCHW", "channel k": "class k + 1"},
    }


def graph_template(config: UNetConfig, output: str = "logits") -> bytes:
    """The ONNX graph of an untrained network of ``config`` (cached per architecture).

    Its initializers carry the names of the folded network's ``state_dict``,
    so the graph is traced once per architecture and each new set of weights
    is only copied in (:func:`napari_finetune.inference.runtime` does so in
    milliseconds, against 0.14 s for a new trace).
    """
    return _template(config, output)


@functools.lru_cache(maxsize=8)
def _template(config: UNetConfig, output: str) -> bytes:
    from napari_finetune.models.unet import UNet

    with torch.random.fork_rng(), torch.no_grad():  # must not move the global stream
        net = UNet(config).eval()
        # The exporter merges initializers of equal content (fresh BatchNorm folds
        # to all-zero biases), which would leave some weights without a name:
        # distinct random values keep one initializer per state_dict entry.
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand_like(tensor) + 0.5)
    return _traced(fused_for_inference(net), output)


def _traced(net: nn.Module, output: str) -> bytes:
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r} is unknown: choose one of {', '.join(OUTPUTS)}.")
    module = _Probabilities(net) if output == "probabilities" else net
    in_channels = net.config.in_channels
    example = torch.zeros(1, in_channels, _EXAMPLE_SIDE, _EXAMPLE_SIDE)
    dynamic = {0: "batch", 2: "height", 3: "width"}
    buffer = io.BytesIO()
    with _EXPORT_LOCK, warnings.catch_warnings():
        # The TorchScript exporter warns that it is deprecated in favour of
        # dynamo=True (see the module doc for why it is kept) and that the
        # traced shape arithmetic is data-independent, which is what we want.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            buffer,
            input_names=[INPUT_NAME],
            output_names=[output],
            dynamic_axes={INPUT_NAME: dynamic, output: dynamic},
            opset_version=OPSET,
            # Keep every initializer under its state_dict name (graph_template relies on it).
            do_constant_folding=False,
            dynamo=False,
        )
    return buffer.getvalue()


def _doc_string(model: SegmentationModel, output: str) -> str:
    norm, side = model.normalization, model.net.min_size
    classes = ", ".join(f"{k} = {v}" for k, v in sorted(model.classes.items()))
    return (
        f"U-Net from napari-finetune {__version__} ({model.name or 'unnamed'}). "
        f"Input '{INPUT_NAME}': float32 (N, {model.in_channels}, H, W), H and W multiples "
        f"of {side} (mirror the image out to one and crop the output back: other sides "
        f"run, but deep features are stretched and boundaries shift by up to {side - 1} px), "
        f"each image normalised per channel so that its {norm.low:g}th percentile maps "
        f"to 0 and its {norm.high:g}th to 1. Output '{output}': float32 (N, "
        f"{model.n_classes}, H, W), channel k for class k + 1 ({classes})."
    )
