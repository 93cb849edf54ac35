"""From boundaries to grains: instances, per-grain measurements, ASTM E112 grain size (no Qt).

- :func:`grains`: one id per grain from probabilities, classes, a traced
  boundary mask or instances (seeded watershed on the boundary map).
- :func:`grain_table`: area, ECD, perimeter, axes, orientation, frame contact,
  neighbours per grain, in the calibration's unit.
- :func:`measure_grains`: the table plus G by the planimetric and the
  intercept method with 95 % confidence intervals, anisotropy, warnings.
- :func:`phase_fractions`: area fraction per class with a confidence interval.
"""

from napari_finetune.measure.astm import g_from_grains_per_mm2, g_from_intercept
from napari_finetune.measure.instances import GrainOptions, grains
from napari_finetune.measure.intercepts import e112_pattern, intercepts, line_grid
from napari_finetune.measure.measuring import GrainMeasurement, measure_map
from napari_finetune.measure.phases import phase_fractions
from napari_finetune.measure.report import BORDER_RULES, GrainReport, measure_grains
from napari_finetune.measure.table import Calibration, grain_table

__all__ = [
    "BORDER_RULES",
    "Calibration",
    "GrainMeasurement",
    "GrainOptions",
    "GrainReport",
    "e112_pattern",
    "g_from_grains_per_mm2",
    "g_from_intercept",
    "grain_table",
    "grains",
    "intercepts",
    "line_grid",
    "measure_grains",
    "measure_map",
    "phase_fractions",
]
