"""Weights shipped inside the package, by name. Nothing is ever downloaded."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# The model a fine-tuning run starts from unless told otherwise, and every
# shipped name (defined where the command line reads them without torch).
from napari_finetune.choices import DEFAULT_MODEL as DEFAULT_MODEL
from napari_finetune.choices import SHIPPED_MODELS as SHIPPED_MODELS
from napari_finetune.models.bioimageio_import import (
    load_exported_package,
    looks_like_onnx,
    onnx_refusal,
)
from napari_finetune.models.checkpoint import CheckpointError, _shown, load_checkpoint
from napari_finetune.models.model import SegmentationModel

# name -> (file in napari_finetune/models/weights/, one-line description)
REGISTRY: dict[str, tuple[str, str]] = {
    # Issue 20's successor: the default since it beat voronoi-unet on the real sets.
    "world-unet": (
        "world-unet.ckpt",
        "U-Net pretrained on the wider synthetic world (Voronoi grains, twins, second "
        "phases, EM membranes; boundary vs interior), the default; see "
        "models/weights/MODEL_CARD.md",
    ),
    "voronoi-unet": (
        "voronoi-unet.ckpt",
        "U-Net pretrained on synthetic Voronoi grains alone (boundary vs interior), the "
        "earlier default; see models/weights/MODEL_CARD.md",
    ),
}


def describe_shipped() -> str:
    """One line per shipped model, ``"name: description"``, for menus and help."""
    return "\n".join(f"{name}: {about}" for name, (_, about) in REGISTRY.items())


def weights_dir() -> Path:
    """Folder of the shipped weights and their model card."""
    return Path(str(resources.files("napari_finetune.models"))) / "weights"


def load_model(name_or_path: str | Path = DEFAULT_MODEL) -> SegmentationModel:
    """A shipped model by name, or a checkpoint file.

    Parameters
    ----------
    name_or_path : str or Path
        A registered name (``'world-unet'``, ``'voronoi-unet'``), the path of a checkpoint
        written by :func:`napari_finetune.save_model`, or of a BioImage.IO
        package (``.zip``) written by
        :func:`~napari_finetune.models.bioimageio_package.export_bioimageio`
        (only its attached checkpoint is read; no code in it is run).

    Returns
    -------
    SegmentationModel
        The model in evaluation mode.

    Raises
    ------
    CheckpointError
        If the name is unknown and no such file exists, or the file is not a
        valid checkpoint nor a package napari-finetune exported.
    """
    key = str(name_or_path)
    if key in REGISTRY:
        model = load_checkpoint(weights_dir() / REGISTRY[key][0])
        model.name = key
        return model
    path = Path(name_or_path)
    try:
        exists = path.exists()
    except OSError:  # e.g. a name longer than the file system allows
        exists = False
    if not exists:
        if path.suffix or len(path.parts) > 1:  # meant as a file: say just that
            raise CheckpointError(f"model file {_shown(key)} does not exist.")
        known = ", ".join(REGISTRY)
        raise CheckpointError(
            f"model {key!r} is neither a shipped model ({known}) nor an existing file."
        )
    if path.is_file():
        package = load_exported_package(path)
        if package is not None:
            return package
    try:
        return load_checkpoint(path)
    except CheckpointError:
        # Checked only after a failure, so that no checkpoint is ever taken for ONNX.
        if path.is_file() and looks_like_onnx(path):
            raise onnx_refusal(path) from None
        raise
