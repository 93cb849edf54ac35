"""napari-finetune: fine-tune a pretrained U-Net on the labels you paint in napari.

The public API is loaded on first use (PEP 562): ``import napari_finetune`` and
the command line stay fast, and torch, pandas and scikit-image are imported
only when a function that needs them is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari_finetune._lazy import lazy_getattr
from napari_finetune._version import __version__

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time see __getattr__
    from napari_finetune.batch import predict_folder
    from napari_finetune.inference import (
        predict,
        predict_lazy,
        representativeness,
        suggest_regions,
        uncertainty,
    )
    from napari_finetune.inference.feature_compare import before_after
    from napari_finetune.inference.feature_maps import feature_maps
    from napari_finetune.inference.kernels import apply_kernel, kernel_preset, parse_kernel
    from napari_finetune.inference.learned_kernels import first_layer_kernels, kernel_similarity
    from napari_finetune.inference.network_stages import stage_names
    from napari_finetune.measure import grains, measure_grains, phase_fractions
    from napari_finetune.models import (
        SegmentationModel,
        export_bioimageio,
        export_model,
        export_onnx,
        load_model,
        save_model,
    )
    from napari_finetune.synth import voronoi_grains
    from napari_finetune.training import finetune, fit

# Public name -> the subpackage that defines it.
_LAZY = {
    "SegmentationModel": "napari_finetune.models",
    "apply_kernel": "napari_finetune.inference.kernels",
    "before_after": "napari_finetune.inference.feature_compare",
    "export_bioimageio": "napari_finetune.models",
    "export_model": "napari_finetune.models",
    "export_onnx": "napari_finetune.models",
    "feature_maps": "napari_finetune.inference.feature_maps",
    "finetune": "napari_finetune.training",
    "first_layer_kernels": "napari_finetune.inference.learned_kernels",
    "fit": "napari_finetune.training",
    "grains": "napari_finetune.measure",
    "kernel_preset": "napari_finetune.inference.kernels",
    "kernel_similarity": "napari_finetune.inference.learned_kernels",
    "load_model": "napari_finetune.models",
    "measure_grains": "napari_finetune.measure",
    "parse_kernel": "napari_finetune.inference.kernels",
    "phase_fractions": "napari_finetune.measure",
    "predict": "napari_finetune.inference",
    "predict_folder": "napari_finetune.batch",
    "predict_lazy": "napari_finetune.inference",
    "representativeness": "napari_finetune.inference",
    "save_model": "napari_finetune.models",
    "stage_names": "napari_finetune.inference.network_stages",
    "suggest_regions": "napari_finetune.inference",
    "uncertainty": "napari_finetune.inference",
    "voronoi_grains": "napari_finetune.synth",
}

__all__ = [
    "SegmentationModel",
    "__version__",
    "apply_kernel",
    "before_after",
    "export_bioimageio",
    "export_model",
    "export_onnx",
    "feature_maps",
    "finetune",
    "first_layer_kernels",
    "fit",
    "grains",
    "kernel_preset",
    "kernel_similarity",
    "load_model",
    "measure_grains",
    "parse_kernel",
    "phase_fractions",
    "predict",
    "predict_folder",
    "predict_lazy",
    "representativeness",
    "save_model",
    "stage_names",
    "suggest_regions",
    "uncertainty",
    "voronoi_grains",
]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    """The module's names with the public API included before it is loaded."""
    return sorted({*globals(), *__all__})
