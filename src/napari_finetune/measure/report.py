"""A grain-size report: counts, size distribution, ASTM E112 G by two methods, anisotropy.

ASTM E1382 (automatic image analysis) applied to a grain map: the planimetric
(Jeffries) count of :mod:`~napari_finetune.measure.jeffries` (cut grains one
half, corner grains one quarter); the intercept method lays the E112 pattern
over the map. The 95 % confidence intervals and %RA are computed as E112
section 15 computes them over fields, here the fields of this one image
(planimetric: a 3 x 3 grid; intercepts: the pattern's lines and circles): they
say how uniform the image is. For the specimen, E112's fields are separate
images: measure several (a folder). Too few grains or intercepts give a
warning with the number rather than false precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from napari_finetune.choices import BORDER_RULES as BORDER_RULES  # re-exported
from napari_finetune.measure.astm import (
    MIN_GRAINS,
    MIN_INTERCEPTS,
    FieldStatistic,
    field_statistic,
    g_from_grains_per_mm2,
    g_from_intercept,
    g_interval,
    mm_per,
)
from napari_finetune.measure.intercepts import Intercepts, e112_pattern, intercepts, line_grid
from napari_finetune.measure.jeffries import cell_areas_px, frame_weights
from napari_finetune.measure.size_distribution import lognormal_fit
from napari_finetune.measure.table import Calibration, grain_table

PLANIMETRIC_FIELDS = (3, 3)
ANISOTROPY_ANGLES = (0, 45, 90, 135)


@dataclass(frozen=True)
class GrainSize:
    """An ASTM E112 result: G with its 95 % confidence interval (None uncalibrated)."""

    method: str
    statistic: FieldStatistic  # mean intercept (unit) or grains per unit² over fields
    g: float | None
    g_low: float | None
    g_high: float | None


@dataclass
class GrainReport:
    """Everything measured on one grain map.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per grain (:func:`~napari_finetune.measure.table.grain_table`).
    calibration : Calibration
        Pixel size and unit.
    border : str
        How grains cut by the frame were counted (:data:`BORDER_RULES`).
    planimetric, intercept : GrainSize
        G by the Jeffries and the Heyn method.
    pattern : Intercepts
        The E112 pattern's segments (what the intercept method counted).
    anisotropy : dict
        Mean intercept (unit) per test-line angle (degrees from x).
    lognormal : tuple
        ``(median ECD, sigma of log ECD)`` of a log-normal fit.
    warnings : list of str
        Why a number should be read with care.
    """

    table: pd.DataFrame
    calibration: Calibration
    border: str
    planimetric: GrainSize
    intercept: GrainSize
    pattern: Intercepts
    anisotropy: dict[float, float]
    lognormal: tuple[float, float] | None
    warnings: list[str] = field(default_factory=list)

    @property
    def counted(self) -> pd.DataFrame:
        """The grains that size statistics use (border rule applied)."""
        return self.table[~self.table["border"]] if self.border == "exclude" else self.table

    def summary(self) -> dict[str, object]:
        """One row of whole-image numbers (for a CSV's last row or a report)."""
        unit = self.calibration.unit
        ecd = self.counted["ecd"]
        row = {
            "grains": len(self.table),
            "grains cut by frame": int(self.table["border"].sum()),
            f"mean ECD ({unit})": float(ecd.mean()) if len(ecd) else np.nan,
            f"median ECD ({unit})": float(ecd.median()) if len(ecd) else np.nan,
            f"mean intercept ({unit})": self.intercept.statistic.mean,
            "intercepts": float(self.pattern.n_intercepts),
            "G intercept": self.intercept.g,
            "G intercept 95% CI": _interval(self.intercept),
            "G planimetric": self.planimetric.g,
            "G planimetric 95% CI": _interval(self.planimetric),
            "border rule": self.border,
        }
        for angle, value in self.anisotropy.items():
            row[f"mean intercept {angle:g}° ({unit})"] = value
        return row

    def lines(self) -> list[str]:
        """The report in a few sentences (status line, CLI, PNG caption)."""
        unit = self.calibration.unit
        s = self.summary()
        text = [
            f"{s['grains']} grains ({s['grains cut by frame']} cut by the frame, {self.border}); "
            f"mean ECD {s[f'mean ECD ({unit})']:.3g} {unit}, "
            f"mean intercept {self.intercept.statistic.mean:.3g} {unit} "
            f"({self.pattern.n_intercepts:g} intercepts)."
        ]
        for size in (self.intercept, self.planimetric):
            if size.g is not None:
                text.append(
                    f"ASTM E112 G = {size.g:.2f}{_spread(size)} by the {size.method} method."
                )
        return text + self.warnings


def _spread(size: GrainSize) -> str:
    """E.g. ' (95% CI 9.79–10.77 over 7 fields, %RA 17)', or why there is no interval."""
    statistic = size.statistic
    if size.g_low is not None:
        return (
            f" (95% CI {size.g_low:.2f}–{size.g_high:.2f} over {statistic.n} fields, "
            f"%RA {statistic.relative_accuracy:.0f})"
        )
    if statistic.ci95 is not None:
        return f" (no 95% CI: over {statistic.n} fields its lower end is below zero)"
    if statistic.n == 1:
        return " (one field: no 95% CI)"
    return ""


def _interval(size: GrainSize) -> str | None:
    if size.g_low is None:
        return None
    return f"{size.g_low:.2f}–{size.g_high:.2f}"


def _planimetric(
    table: pd.DataFrame,
    grains: np.ndarray,
    weights: np.ndarray,
    calibration: Calibration,
    border: str,
) -> GrainSize:
    rows, cols = grains.shape
    fy, fx = PLANIMETRIC_FIELDS
    field_y = np.minimum((table["centroid_y"] * fy / rows).astype(int), fy - 1)
    field_x = np.minimum((table["centroid_x"] * fx / cols).astype(int), fx - 1)
    field = (field_y * fx + field_x).to_numpy()
    per_field = np.zeros(fy * fx)
    np.add.at(per_field, field, weights)
    cells = cell_areas_px(table, grains, border)
    if cells is None:  # the whole image is the test area
        field_area, total_area = np.full(fy * fx, rows * cols / (fy * fx)), float(rows * cols)
    else:  # the counted grains' own area
        counted = weights > 0
        field_area = np.zeros(fy * fx)
        np.add.at(field_area, field[counted], cells[counted])
        total_area = float(cells[counted].sum())
    unit_area = calibration.pixel_size**2
    with np.errstate(divide="ignore", invalid="ignore"):  # a field with no counted grain
        per_field_density = per_field / (field_area * unit_area)
    finite = np.isfinite(per_field_density)
    total = float(weights.sum()) / (total_area * unit_area) if total_area else 0.0
    if finite.any():
        spread = field_statistic(per_field_density[finite])  # grains per unit²
        density = FieldStatistic(total, spread.std, spread.n, spread.ci95)
    else:
        density = FieldStatistic(total, 0.0, 0, None)
    if not calibration.calibrated or total <= 0:
        return GrainSize("planimetric (Jeffries)", density, None, None, None)
    to_mm2 = mm_per(calibration.unit) ** 2
    low, high = g_interval(density, lambda value: g_from_grains_per_mm2(value / to_mm2))
    g = g_from_grains_per_mm2(total / to_mm2)
    return GrainSize("planimetric (Jeffries)", density, g, low, high)


def _intercept(pattern: Intercepts, calibration: Calibration) -> GrainSize:
    size = calibration.pixel_size
    per_line = pattern.lines["mean_intercept"].to_numpy() * size
    spread = (
        field_statistic(per_line[np.isfinite(per_line)]) if np.isfinite(per_line).any() else None
    )
    mean = pattern.mean_intercept * size
    statistic = FieldStatistic(
        mean,
        spread.std if spread else 0.0,
        spread.n if spread else 0,
        spread.ci95 if spread else None,
    )
    if not calibration.calibrated or not np.isfinite(mean):
        return GrainSize("lineal intercept (Heyn)", statistic, None, None, None)
    mm = mm_per(calibration.unit)
    low, high = g_interval(statistic, lambda value: g_from_intercept(value * mm))
    return GrainSize("lineal intercept (Heyn)", statistic, g_from_intercept(mean * mm), low, high)


def measure_grains(
    grains: np.ndarray,
    calibration: Calibration | None = None,
    border: str = "half",
    anisotropy_spacing: float | None = None,
) -> GrainReport:
    """Measure a 2D grain map: per-grain table, G by two methods, anisotropy.

    Parameters
    ----------
    grains : numpy.ndarray
        2D grain ids (:func:`~napari_finetune.measure.instances.grains`).
    calibration : Calibration, optional
        Pixel size and unit; without one, lengths are in px and no G is given.
    border : {'half', 'exclude', 'include'}
        How grains cut by the frame count (:data:`BORDER_RULES`).
    anisotropy_spacing : float, optional
        Spacing (px) of the rotated line grid; default: the E112 mean
        intercept, at least 8 px and at most a quarter of the shorter side.

    Returns
    -------
    GrainReport
    """
    if border not in BORDER_RULES:
        raise ValueError(f"border={border!r} is unknown: choose one of {', '.join(BORDER_RULES)}.")
    calibration = calibration or Calibration()
    grains = np.asarray(grains)
    if grains.ndim != 2:
        raise ValueError(
            f"grain ids of shape {grains.shape} are not 2D: measure a stack plane by plane."
        )
    table = grain_table(grains, calibration)
    warnings = []
    if len(table) <= 1:
        warnings.append(
            "No grain boundaries found: the whole image is one grain. Nothing to measure."
        )
        calibration_for_g = Calibration(calibration.pixel_size, "px")  # no G from one grain
    else:
        calibration_for_g = calibration
    pattern = intercepts(grains, e112_pattern(grains.shape))
    spacing = anisotropy_spacing or max(8.0, min(pattern.mean_intercept, min(grains.shape) / 4))
    grid = intercepts(grains, line_grid(grains.shape, ANISOTROPY_ANGLES, spacing))
    anisotropy = {}
    for angle, rows in grid.lines.groupby("angle"):
        n = rows["intercepts"].sum()
        anisotropy[float(angle)] = (
            float(rows["test_length"].sum() / n * calibration.pixel_size) if n else np.inf
        )
    counted = table[~table["border"]] if border == "exclude" else table
    lognormal = lognormal_fit(counted["ecd"].to_numpy())
    weights = frame_weights(table, grains, border)
    n_grains = float(weights.sum())
    if 1 < n_grains < MIN_GRAINS:
        warnings.append(
            f"Only {n_grains:g} grains counted: ASTM E112 asks for at least {MIN_GRAINS} "
            "for a planimetric G; treat it as a rough estimate."
        )
    if 0 < pattern.n_intercepts < MIN_INTERCEPTS:
        warnings.append(
            f"Only {pattern.n_intercepts:g} intercepts on the E112 pattern: E112 asks for at "
            f"least {MIN_INTERCEPTS}; treat the intercept G as a rough estimate."
        )
    if not calibration.calibrated:
        warnings.append("No pixel size: lengths are in px and no ASTM G number is given.")
    return GrainReport(
        table,
        calibration,
        border,
        _planimetric(table, grains, weights, calibration_for_g, border),
        _intercept(pattern, calibration_for_g),
        pattern,
        anisotropy,
        lognormal,
        warnings,
    )
