"""ASTM E112 grain size of a specimen from several images: each image one field (section 15).

One image's confidence interval (:mod:`~napari_finetune.measure.report`)
says how uniform that image is. E112 section 15 asks for fields over the
specimen: the mean lineal intercept (or grains per mm²) of each field, their
mean, its 95 % confidence interval ``t(0.975, n-1) s / sqrt(n)`` and %RA,
and G of the mean. Here each measured image is a field, all weighing the
same, as E112's fields of equal size do: measure images of one magnification
and size together. Each image's G is converted back to its intercept or
density (the E112 relations are exact inverses), so images calibrated in
different units are fields alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from napari_finetune.measure.astm import (
    FieldStatistic,
    field_statistic,
    g_from_grains_per_mm2,
    g_from_intercept,
    g_interval,
    grains_per_mm2_from_g,
    intercept_mm_from_g,
)

# measurements.csv column of each method's G, with what its fields average.
METHODS = {
    "intercept": ("G intercept", "mean lineal intercept (mm)"),
    "planimetric": ("G planimetric", "grains per mm²"),
}


@dataclass(frozen=True)
class SpecimenSize:
    """G of a specimen by one method, over its images as fields.

    Attributes
    ----------
    method : str
        ``'intercept'`` or ``'planimetric'``.
    statistic : FieldStatistic
        The fields' mean intercept (mm) or grains per mm², with its 95 % CI
        (None with one image) and %RA.
    g, g_low, g_high : float or None
        G of the mean and of the interval's ends (None when the interval
        reaches zero).
    """

    method: str
    statistic: FieldStatistic
    g: float
    g_low: float | None
    g_high: float | None

    def describe(self, field: str = "image") -> str:
        """E.g. "G = 10.21 (95% CI 10.05–10.38, %RA 5) by the intercept method over 6 images".

        ``field`` names what the fields were (``'plane'`` for a stack's planes).
        """
        n = self.statistic.n
        fields = f"{n} {field}{'s' * (n > 1)}"
        if self.g_low is not None:
            spread = (
                f" (95% CI {self.g_low:.2f}–{self.g_high:.2f}, "
                f"%RA {self.statistic.relative_accuracy:.0f})"
            )
        else:
            spread = f" (no 95% CI: over {fields} its lower end is below zero)"
        return f"G = {self.g:.2f}{spread} by the {self.method} method over {fields}"

    def row(self) -> dict[str, object]:
        """A row of ``grain_size.csv``."""
        return {
            "method": self.method,
            "images": self.statistic.n,
            "G": self.g,
            "G 95% low": self.g_low,
            "G 95% high": self.g_high,
            "%RA": self.statistic.relative_accuracy,
            "field mean": self.statistic.mean,
            "field mean of": METHODS[self.method][1],
        }


def specimen_sizes(table: pd.DataFrame) -> list[SpecimenSize]:
    """G by each method over the fields of a folder run's ``measurements.csv``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per field (an image, or a stack's plane), with ``G intercept``
        and ``G planimetric`` columns;
        images without a G (no pixel size, nothing measured) are left out.

    Returns
    -------
    list of SpecimenSize
        One per method with at least two images that have its G (one image
        is a single field: its own report says all there is).
    """
    sizes = []
    for method, (column, _) in METHODS.items():
        values = pd.to_numeric(table.get(column, pd.Series(dtype=float)), errors="coerce")
        g = values[np.isfinite(values)].to_numpy(float)
        if g.size < 2:
            continue
        if method == "intercept":
            fields = [intercept_mm_from_g(v) for v in g]
            to_g = g_from_intercept
        else:
            fields = [grains_per_mm2_from_g(v) for v in g]
            to_g = g_from_grains_per_mm2
        statistic = field_statistic(fields)
        low, high = g_interval(statistic, to_g)
        sizes.append(SpecimenSize(method, statistic, to_g(statistic.mean), low, high))
    return sizes
