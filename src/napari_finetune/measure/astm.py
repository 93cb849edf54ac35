"""ASTM E112 relations between grain counts, intercepts and the grain size number G.

The metric forms of ASTM E112-13 (equations 4 and 6; ISO 643 defines G by
its own, close relations, not computed here): by the planimetric (Jeffries)
method from the number of grains per mm² at 1x, ``G = 3.321928 log10(N_A) -
2.954``; by the lineal intercept (Heyn) method from the mean lineal intercept
in mm, ``G = -6.643856 log10(l) - 3.288``. E112 section 15: a statistic
measured on n fields (or test lines) is reported with its 95 % confidence
interval ``t(0.975, n-1) s / sqrt(n)`` and its relative accuracy ``%RA = 100
CI / mean``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

# E112 asks for enough counts for a meaningful G: about 50 grains in a
# planimetric field and 50 intercepts per field in the intercept methods.
MIN_GRAINS = 50
MIN_INTERCEPTS = 50
# Lengths are converted to mm for G: unit name -> mm per unit.
MM_PER_UNIT = {"mm": 1.0, "um": 1e-3, "µm": 1e-3, "micron": 1e-3, "nm": 1e-6, "m": 1e3}


def mm_per(unit: str) -> float:
    """Millimetres in one ``unit`` (µm, um, nm, mm, m).

    Raises
    ------
    ValueError
        For px (no calibration) or an unknown unit.
    """
    try:
        return MM_PER_UNIT[unit]
    except KeyError:
        raise ValueError(
            f"lengths are in {unit!r}: set a pixel size in µm, nm or mm for an ASTM G number "
            f"(known units: {', '.join(MM_PER_UNIT)})."
        ) from None


# G = slope log10(x) + offset: x the mean intercept in mm, or grains per mm² at 1x.
INTERCEPT_SLOPE, INTERCEPT_OFFSET = -6.643856, -3.288
PLANIMETRIC_SLOPE, PLANIMETRIC_OFFSET = 3.321928, -2.954


def g_from_intercept(mean_intercept_mm: float) -> float:
    """ASTM E112 G from the mean lineal intercept in mm (Heyn)."""
    if not mean_intercept_mm > 0:
        raise ValueError(f"the mean intercept must be positive, not {mean_intercept_mm}.")
    return INTERCEPT_SLOPE * math.log10(mean_intercept_mm) + INTERCEPT_OFFSET


def g_from_grains_per_mm2(grains_per_mm2: float) -> float:
    """ASTM E112 G from the number of grains per mm² at 1x (planimetric, Jeffries)."""
    if not grains_per_mm2 > 0:
        raise ValueError(f"the grain density must be positive, not {grains_per_mm2}.")
    return PLANIMETRIC_SLOPE * math.log10(grains_per_mm2) + PLANIMETRIC_OFFSET


def intercept_mm_from_g(g: float) -> float:
    """Mean lineal intercept (mm) of grain size number ``g`` (``g_from_intercept`` inverted)."""
    return 10 ** ((g - INTERCEPT_OFFSET) / INTERCEPT_SLOPE)


def grains_per_mm2_from_g(g: float) -> float:
    """Grains per mm² at 1x of grain size number ``g`` (``g_from_grains_per_mm2`` inverted)."""
    return 10 ** ((g - PLANIMETRIC_OFFSET) / PLANIMETRIC_SLOPE)


@dataclass(frozen=True)
class FieldStatistic:
    """Mean of a per-field measurement with its E112 95 % confidence interval.

    ``ci95`` is None with fewer than two fields; ``relative_accuracy`` is
    ``100 ci95 / mean`` in percent.
    """

    mean: float
    std: float
    n: int
    ci95: float | None

    @property
    def relative_accuracy(self) -> float | None:
        """%RA: the confidence interval as a percentage of the mean."""
        if self.ci95 is None or self.mean == 0:
            return None
        return 100.0 * self.ci95 / abs(self.mean)


def field_statistic(values: np.ndarray | list[float]) -> FieldStatistic:
    """Mean, standard deviation and 95 % CI (Student t) of per-field values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = int(values.size)
    if n == 0:
        raise ValueError("no fields to average.")
    mean = float(values.mean())
    if n < 2:
        return FieldStatistic(mean, 0.0, n, None)
    std = float(values.std(ddof=1))
    return FieldStatistic(mean, std, n, float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)))


def g_interval(
    statistic: FieldStatistic, to_g: Callable[[float], float]
) -> tuple[float | None, float | None]:
    """G at the ends of ``statistic``'s 95 % CI, lower G first.

    ``to_g`` turns the statistic's unit into G. ``(None, None)`` without an
    interval or when its lower end is not above zero (no G there).
    """
    ci = statistic.ci95
    if ci is None or statistic.mean - ci <= 0:
        return None, None
    ends = to_g(statistic.mean - ci), to_g(statistic.mean + ci)
    return min(ends), max(ends)
