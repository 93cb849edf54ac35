"""Scores for boundary maps: boundary F1 with a distance tolerance (BSDS style)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi


@dataclass(frozen=True)
class BoundaryScore:
    """Precision, recall and F1 of a predicted boundary map."""

    precision: float
    recall: float
    f1: float


def boundary_f1(predicted: np.ndarray, truth: np.ndarray, tolerance: float = 2.0) -> BoundaryScore:
    """Boundary F1 with a distance tolerance.

    Precision is the share of predicted boundary pixels within ``tolerance`` px
    of a true boundary pixel; recall the share of true boundary pixels within
    ``tolerance`` px of a predicted one.

    Parameters
    ----------
    predicted, truth : numpy.ndarray
        Boolean (or 0/1) boundary masks of the same shape.
    tolerance : float
        Distance in pixels within which a boundary counts as found.

    Returns
    -------
    BoundaryScore
        Precision, recall and F1 (0 when either map is empty, 1 when both are).
    """
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    if predicted.shape != truth.shape:
        raise ValueError(f"shapes differ: {predicted.shape} vs {truth.shape}.")
    if not predicted.any() and not truth.any():
        return BoundaryScore(1.0, 1.0, 1.0)
    if not predicted.any() or not truth.any():
        return BoundaryScore(0.0, 0.0, 0.0)
    near_truth = ndi.distance_transform_edt(~truth) <= tolerance
    near_predicted = ndi.distance_transform_edt(~predicted) <= tolerance
    precision = float(near_truth[predicted].mean())
    recall = float(near_predicted[truth].mean())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BoundaryScore(precision, recall, f1)
