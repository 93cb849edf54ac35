"""Synchronized image + mask augmentation with physics-aware modality presets (no Qt)."""

from napari_finetune.augment.pipeline import (
    AugmentationPipeline,
    AugmentedSample,
    ForbiddenTransformError,
    TransformSetting,
)
from napari_finetune.augment.presets import PRESETS, Preset, get_preset
from napari_finetune.augment.preview import (
    PreviewMosaic,
    PreviewView,
    label_iou,
    mosaic,
    preview_mosaic,
    preview_views,
)

__all__ = [
    "PRESETS",
    "AugmentationPipeline",
    "AugmentedSample",
    "ForbiddenTransformError",
    "Preset",
    "PreviewMosaic",
    "PreviewView",
    "TransformSetting",
    "get_preset",
    "label_iou",
    "mosaic",
    "preview_mosaic",
    "preview_views",
]
