"""napari-finetune: fine-tune a pretrained U-Net on the labels you paint in napari."""

from napari_finetune._version import __version__
from napari_finetune.inference import (
    predict,
    representativeness,
    suggest_regions,
    uncertainty,
)
from napari_finetune.measure import grains, measure_grains, phase_fractions
from napari_finetune.models import SegmentationModel, load_model, save_model
from napari_finetune.synth import voronoi_grains
from napari_finetune.training import finetune, fit

__all__ = [
    "SegmentationModel",
    "__version__",
    "finetune",
    "fit",
    "grains",
    "load_model",
    "measure_grains",
    "phase_fractions",
    "predict",
    "representativeness",
    "save_model",
    "suggest_regions",
    "uncertainty",
    "voronoi_grains",
]
