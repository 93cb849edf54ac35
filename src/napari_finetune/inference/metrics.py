"""Scores: boundary F1 with a distance tolerance (BSDS style), per-class F1."""

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


class ClassF1:
    """Per-class F1 of predicted against painted classes, accumulated over pieces.

    Counts true positives, false positives and false negatives per class
    present in the truth, so several held-out regions can be added one at a
    time and scored together (pixels pooled, not regions averaged).
    """

    def __init__(self) -> None:
        self.counts: dict[int, list[int]] = {}

    def add(self, predicted: np.ndarray, truth: np.ndarray) -> None:
        """Add pixels: ``predicted`` and ``truth`` are equally long class arrays."""
        predicted, truth = np.asarray(predicted), np.asarray(truth)
        for cls in np.unique(truth):
            tp = int(np.sum((predicted == cls) & (truth == cls)))
            fp = int(np.sum((predicted == cls) & (truth != cls)))
            fn = int(np.sum((predicted != cls) & (truth == cls)))
            acc = self.counts.setdefault(int(cls), [0, 0, 0])
            acc[0], acc[1], acc[2] = acc[0] + tp, acc[1] + fp, acc[2] + fn

    def per_class(self) -> dict[int, float]:
        """F1 of each class seen in the truth."""
        return {
            cls: 2 * tp / max(2 * tp + fp + fn, 1) for cls, (tp, fp, fn) in self.counts.items()
        }

    def mean(self) -> float | None:
        """Mean F1 over the classes seen in the truth; None before any pixel."""
        scores = list(self.per_class().values())
        return float(np.mean(scores)) if scores else None
