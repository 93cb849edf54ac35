"""Where to paint next: uncertain, typical boxes, spread out, never on paint."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import ndimage as ndi

# Exponent of the representativeness factor. Among the typical half of the
# windows, densities span a narrow range (0.39-0.47 on isbi2012 images), so a
# small exponent barely moves the ranking there: with 2, the box that broke two
# of five isbi2012 benchmark runs (mean uncertainty 0.58, typicality 0.42, 81%
# membrane where the image averages 29%) still outranked typical boxes of
# uncertainty 0.44 and typicality 0.47; with 4 it does not. On the tuning sets
# of benchmarks/bench_active_learning.py (data the reported rounds never use),
# mean F1 over rounds 2-5 was, on isbi2012, 0.896 with 2, 0.898 with 4, 0.896
# with 8 and 0.896 for random boxes; on synthetic grains 0.860 with 4 and 0.859
# for random: no worse, where a larger exponent tends towards picking merely
# typical boxes. Rounds and figures: README, "Active learning".
REPRESENTATIVENESS_WEIGHT = 4.0


def window_means(values: np.ndarray, h: int, w: int) -> np.ndarray:
    """Mean of ``values`` over the ``h`` x ``w`` window starting at each (y, x)."""
    rows, cols = values.shape
    means = ndi.uniform_filter(values, (h, w), mode="constant", origin=(-(h // 2), -(w // 2)))
    return means[: rows - h + 1, : cols - w + 1].copy()


# Fewer window positions than this (an image hardly larger than a box): typicality
# cannot be judged against the image's own windows, and counts as neutral.
MIN_TYPICAL_WINDOWS = 16


def box_score(
    mean_uncertainty: np.ndarray | float,
    mean_representativeness: np.ndarray | float | None,
    weight: float = REPRESENTATIVENESS_WEIGHT,
) -> np.ndarray | float:
    """How much a box is worth painting: mean uncertainty x mean representativeness^weight.

    Works on single boxes (floats) and on arrays of window means alike; without
    a representativeness value (None) or with ``weight`` 0, the mean uncertainty.
    """
    if mean_representativeness is None or not weight:
        return mean_uncertainty
    return mean_uncertainty * np.clip(mean_representativeness, 1e-12, None) ** weight


def suggest_regions(
    uncertainty: np.ndarray,
    labels: np.ndarray | None = None,
    n: int = 5,
    size: int = 64,
    representativeness: np.ndarray | None = None,
    representativeness_weight: float = REPRESENTATIVENESS_WEIGHT,
) -> list[tuple[int, int, int, int]]:
    """Up to ``n`` non-overlapping ``size`` x ``size`` boxes worth painting next.

    The boxes of :func:`rank_regions` without their scores; see there.

    Returns
    -------
    list of tuple
        ``(y0, x0, y1, x1)`` boxes (end exclusive), best first.
    """
    ranked = rank_regions(
        uncertainty, labels, n, size, representativeness, representativeness_weight
    )
    return [box for box, _ in ranked]


def rank_regions(
    uncertainty: np.ndarray,
    labels: np.ndarray | None = None,
    n: int = 5,
    size: int = 64,
    representativeness: np.ndarray | None = None,
    representativeness_weight: float = REPRESENTATIVENESS_WEIGHT,
) -> list[tuple[tuple[int, int, int, int], float]]:
    """Up to ``n`` non-overlapping ``size`` x ``size`` boxes worth painting next, scored.

    A window's score is its mean uncertainty, times its mean representativeness
    raised to ``representativeness_weight`` when that map is given (uncertain
    *and* typical regions first; see
    :mod:`napari_finetune.inference.representativeness` for why). Greedy
    non-maximum suppression: take the best window, rule out every window
    overlapping it, repeat. Windows that touch an already painted pixel are
    never proposed.

    Parameters
    ----------
    uncertainty : numpy.ndarray
        ``(rows, cols)`` map, higher = less sure.
    labels : numpy.ndarray, optional
        Painted labels of the same shape (non-zero = painted).
    n : int
        Number of boxes wanted.
    size : int
        Box side in pixels (clipped to the image).
    representativeness : numpy.ndarray, optional
        Map of the same shape in (0, 1], higher = more typical of the image
        (:func:`~napari_finetune.inference.representativeness.representativeness`).
    representativeness_weight : float
        Exponent of the representativeness factor; 0 ignores it.

    Returns
    -------
    list of tuple
        ``((y0, x0, y1, x1), score)``: boxes (end exclusive) and their
        :func:`box_score`, best first; fewer than ``n`` when the unpainted area
        runs out or the model is sure everywhere left (score 0). Scores of boxes
        on different images compare directly: typicality counts relative to
        each image's median window.
    """
    for name, value in (("n", n), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name}={value!r} must be a whole number of at least 1.")
    weight = representativeness_weight
    if isinstance(weight, bool) or not isinstance(weight, Real) or not 0 <= weight < np.inf:
        raise ValueError(
            f"representativeness_weight={weight!r} must be a finite number of at least 0."
        )
    uncertainty = _numeric_map("uncertainty", uncertainty)
    if uncertainty.ndim != 2 or not uncertainty.size:
        raise ValueError(f"uncertainty must be a non-empty 2D map, not shape {uncertainty.shape}.")
    _check_finite("uncertainty", uncertainty)
    if labels is not None:
        labels = _numeric_map("labels", labels, uncertainty.shape)
    if representativeness is not None:
        representativeness = _numeric_map(
            "representativeness", representativeness, uncertainty.shape
        )
        _check_finite("representativeness", representativeness)
        if representativeness.min() < 0 or representativeness.max() > 1:
            raise ValueError("representativeness values must lie between 0 and 1.")
    rows, cols = uncertainty.shape
    h, w = int(min(size, rows)), int(min(size, cols))
    typical = None if representativeness is None else window_means(representativeness, h, w)
    if typical is not None:
        # Typicality is relative to its own image (the kernel width and the windows it is
        # measured over are the image's): as a share of the image's median window, boxes
        # of images of any size compare on their uncertainty; with too few windows to
        # tell (an image hardly larger than a box) it is neutral.
        middle = float(np.median(typical))
        enough = typical.size >= MIN_TYPICAL_WINDOWS and middle > 0
        typical = typical / middle if enough else np.ones_like(typical)
    score = box_score(window_means(uncertainty, h, w), typical, representativeness_weight)
    if labels is not None:
        # Painted = non-zero, as documented: a stray negative value is paint too.
        touched = window_means((labels != 0).astype(np.float64), h, w)
        score[touched > 1e-9] = -np.inf
    boxes = []
    for _ in range(n):
        y, x = np.unravel_index(np.argmax(score), score.shape)
        if score[y, x] <= 0:  # every window left is ruled out, or the model is sure there
            break
        boxes.append(((int(y), int(x), int(y) + h, int(x) + w), float(score[y, x])))
        # Windows overlapping this box start less than a box away in both axes.
        score[max(0, y - h + 1) : y + h, max(0, x - w + 1) : x + w] = -np.inf
    return boxes


def _numeric_map(name: str, values: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``values`` as a float64 array; ValueError unless real numbers of ``shape``."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, not {array.dtype}.")
    if shape is not None and array.shape != shape:
        verb = "do" if name == "labels" else "does"
        raise ValueError(f"{name} of shape {array.shape} {verb} not match the map's {shape}.")
    return array.astype(np.float64, copy=False)


def _check_finite(name: str, values: np.ndarray) -> None:
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
