"""Tiled and larger-than-memory prediction, uncertainty maps and region suggestions (no Qt)."""

from napari_finetune.inference.lazy import predict_bands, predict_lazy
from napari_finetune.inference.predict import labels_from_probabilities, predict
from napari_finetune.inference.representativeness import representativeness
from napari_finetune.inference.suggest import rank_regions, suggest_regions
from napari_finetune.inference.uncertainty import uncertainty

__all__ = [
    "labels_from_probabilities",
    "predict",
    "predict_bands",
    "predict_lazy",
    "rank_regions",
    "representativeness",
    "suggest_regions",
    "uncertainty",
]
