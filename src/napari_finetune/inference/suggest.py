"""Where to paint next: boxes ranked by uncertainty, spread out, never on paint."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def suggest_regions(
    uncertainty: np.ndarray, labels: np.ndarray | None = None, n: int = 5, size: int = 64
) -> list[tuple[int, int, int, int]]:
    """Up to ``n`` non-overlapping ``size`` x ``size`` boxes of highest mean uncertainty.

    Greedy non-maximum suppression: take the window of highest mean
    uncertainty, rule out every window overlapping it, repeat. Windows that
    touch an already painted pixel are never proposed.

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

    Returns
    -------
    list of tuple
        ``(y0, x0, y1, x1)`` boxes (end exclusive), most uncertain first; fewer
        than ``n`` when the unpainted area runs out.
    """
    uncertainty = np.asarray(uncertainty, dtype=np.float64)
    if uncertainty.ndim != 2:
        raise ValueError(f"uncertainty must be a 2D map, not shape {uncertainty.shape}.")
    if labels is not None and np.shape(labels) != uncertainty.shape:
        raise ValueError(
            f"labels of shape {np.shape(labels)} do not match the map's {uncertainty.shape}."
        )
    if n < 1 or size < 1:
        raise ValueError(f"n={n} and size={size} must both be at least 1.")
    rows, cols = uncertainty.shape
    h, w = min(size, rows), min(size, cols)
    # Mean uncertainty and painted-pixel count of the window starting at (y, x).
    score = ndi.uniform_filter(uncertainty, (h, w), mode="constant", origin=(-(h // 2), -(w // 2)))
    score = score[: rows - h + 1, : cols - w + 1].copy()
    if labels is not None:
        painted = (np.asarray(labels) > 0).astype(np.float64)
        touched = ndi.uniform_filter(
            painted, (h, w), mode="constant", origin=(-(h // 2), -(w // 2))
        )
        score[touched[: rows - h + 1, : cols - w + 1] > 1e-9] = -np.inf
    boxes = []
    for _ in range(n):
        y, x = np.unravel_index(np.argmax(score), score.shape)
        if not np.isfinite(score[y, x]):
            break
        boxes.append((int(y), int(x), int(y) + h, int(x) + w))
        # Windows overlapping this box start less than a box away in both axes.
        score[max(0, y - h + 1) : y + h, max(0, x - w + 1) : x + w] = -np.inf
    return boxes
