"""U-Net, shipped weights and checkpoints (no Qt)."""

from napari_finetune.models.checkpoint import CheckpointError, load_checkpoint, save_model
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, load_model
from napari_finetune.models.unet import UNet, UNetConfig

__all__ = [
    "DEFAULT_MODEL",
    "REGISTRY",
    "CheckpointError",
    "SegmentationModel",
    "UNet",
    "UNetConfig",
    "load_checkpoint",
    "load_model",
    "save_model",
]
