"""U-Net, shipped weights and checkpoints (no Qt)."""

from napari_finetune.models.checkpoint import CheckpointError, load_checkpoint, save_model
from napari_finetune.models.exporting import export_model
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, load_model
from napari_finetune.models.unet import UNet, UNetConfig


def __getattr__(name: str) -> object:
    """The exporters on first use: they import onnx and bioimageio.spec."""
    if name == "export_onnx":
        from napari_finetune.models.onnx_export import export_onnx

        return export_onnx
    if name == "export_bioimageio":
        from napari_finetune.models.bioimageio_package import export_bioimageio

        return export_bioimageio
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MODEL",
    "REGISTRY",
    "CheckpointError",
    "SegmentationModel",
    "UNet",
    "UNetConfig",
    "export_bioimageio",
    "export_model",
    "export_onnx",
    "load_checkpoint",
    "load_model",
    "save_model",
]
