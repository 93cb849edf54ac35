"""Measure one map in one call: grains, their report, and phase fractions when there are phases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from napari_finetune.measure.instances import GrainOptions, grains, guess_kind
from napari_finetune.measure.phases import phase_fractions
from napari_finetune.measure.report import GrainReport, measure_grains
from napari_finetune.measure.table import Calibration


@dataclass(frozen=True)
class GrainMeasurement:
    """Grain ids, their report and (for maps of three or more classes) phase fractions."""

    grains: np.ndarray
    report: GrainReport
    phases: pd.DataFrame | None

    def lines(self) -> list[str]:
        """The report in words, then the phase fractions with their 95 % ranges, if any."""
        lines = self.report.lines()
        if self.phases is not None:
            fractions = ", ".join(
                f"{row['name']} {100 * row['fraction']:.1f} %"
                + (f" ± {100 * row['ci95']:.1f}" if row["ci95"] is not None else "")
                for _, row in self.phases.iterrows()
            )
            lines.append(f"Phase fractions: {fractions}")
        return lines


def class_map(data: np.ndarray, kind: str) -> np.ndarray | None:
    """Classes 1..K of a probability or class map, None for other kinds."""
    if kind == "probabilities":
        return (np.argmax(data, axis=0) + 1).astype(np.int32)
    if kind == "classes":
        return np.asarray(data)
    return None


def measure_map(
    data: np.ndarray,
    kind: str = "auto",
    options: GrainOptions | None = None,
    calibration: Calibration | None = None,
    border: str = "half",
    class_names: dict[int, str] | None = None,
) -> GrainMeasurement:
    """Grains from a 2D map (any kind of :func:`grains`) and everything measured on them.

    Phase fractions are added for probabilities or class maps with three or
    more classes (two classes are interior and boundary, not phases).

    Raises
    ------
    ValueError
        For a stack (measure its planes one by one) or any bad map.
    """
    data = np.asarray(data)
    kind = guess_kind(data) if kind == "auto" else kind
    planar = 3 if kind == "probabilities" else 2
    if data.ndim != planar:
        raise ValueError(
            f"a map of shape {data.shape} is not one 2D image: measure a stack plane by plane."
        )
    ids = grains(data, kind, options)
    report = measure_grains(ids, calibration, border)
    classes = class_map(data, kind)
    phases = None
    if classes is not None and len(np.unique(classes[classes > 0])) >= 3:
        phases = phase_fractions(classes, names=class_names)
    return GrainMeasurement(ids, report, phases)
