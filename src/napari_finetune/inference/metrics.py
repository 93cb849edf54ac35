"""Scores: boundary F1 with a distance tolerance (BSDS style)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi


@dataclass(frozen=True)
class BoundaryScore:
    """Precision, recall and F1 of a predicted boundary map."""

    precision: float
    recall: float
    f1: float


def _near(mask: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels within ``tolerance`` px of ``mask`` in the same ``(rows, cols)`` plane.

    Plane by plane: one N-D distance transform matched a boundary with one at
    the same place in the next plane (a stack of unrelated images scored F1 1.0).
    """
    near = np.zeros(mask.shape, bool)
    for index in np.ndindex(mask.shape[:-2]):
        plane = mask[index]
        # Checked here: a plane without a boundary has no distances (SciPy gives
        # the distance to an imagined border instead).
        if plane.any():
            near[index] = ndi.distance_transform_edt(~plane) <= tolerance
    return near


def boundary_f1(predicted: np.ndarray, truth: np.ndarray, tolerance: float = 2.0) -> BoundaryScore:
    """Boundary F1 with a distance tolerance.

    Precision is the share of predicted boundary pixels within ``tolerance`` px
    of a true boundary pixel; recall the share of true boundary pixels within
    ``tolerance`` px of a predicted one. In a stack the tolerance applies within
    each plane only (a boundary is never matched across planes) and the pixels
    of all planes are pooled.

    Parameters
    ----------
    predicted, truth : numpy.ndarray
        Boolean (or 0/1) boundary masks of the same shape: ``(rows, cols)`` or a
        stack ``(..., rows, cols)``.
    tolerance : float
        Distance in pixels within which a boundary counts as found (finite, at
        least 0).

    Returns
    -------
    BoundaryScore
        Precision, recall and F1 (0 when either map is empty, 1 when both are).

    Raises
    ------
    ValueError
        For masks of different shapes or a negative or non-finite tolerance.
    """
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, numbers.Real)
        or not math.isfinite(tolerance)
        or tolerance < 0
    ):
        raise ValueError(f"tolerance={tolerance!r} must be a finite distance of at least 0 px.")
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    if predicted.shape != truth.shape:
        raise ValueError(f"shapes differ: {predicted.shape} vs {truth.shape}.")
    if not predicted.any() and not truth.any():
        return BoundaryScore(1.0, 1.0, 1.0)
    if not predicted.any() or not truth.any():
        return BoundaryScore(0.0, 0.0, 0.0)
    precision = float(_near(truth, tolerance)[predicted].mean())
    recall = float(_near(predicted, tolerance)[truth].mean())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BoundaryScore(precision, recall, f1)
