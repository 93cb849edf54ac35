"""Painted pixels per class: the one count validation, provenance and advice share.

Reads labels a block of whole rows at a time (a 30 000-column mosaic or a lazy
Dask/Zarr layer never whole) and counts only painted pixels: the Fine-tune dock
counts on every brush stroke.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

# Pixels of a plane counted at once (whole rows): ≤ 32 MB of histogram input.
PIXELS_AT_ONCE = 2**22
# Painted values below this are counted with a histogram, others by sorting.
BINCOUNT_BELOW = 65536


def painted_counts(labels: Sequence[np.ndarray] | np.ndarray) -> dict[int, int]:
    """Painted pixels of each class (value 0, unpainted, left out).

    Parameters
    ----------
    labels : numpy.ndarray or sequence of them
        Painted labels, 2D or stacks of planes (or 1-D arrays of painted
        values); array-likes that slice (dask, zarr) are read a block of rows
        at a time.

    Returns
    -------
    dict
        Painted value -> pixel count, for every value painted at least once.
    """
    if hasattr(labels, "shape"):  # one array, not a list of them
        labels = [labels]
    counts: Counter[int] = Counter()
    for stack in labels:
        shape = np.shape(stack)
        if len(shape) < 2:  # values already picked out, e.g. labels[mask]
            counts.update(_block_counts(np.asarray(stack)))
            continue
        rows = max(1, PIXELS_AT_ONCE // max(1, shape[-1]))
        for index in np.ndindex(*shape[:-2]):
            for top in range(0, shape[-2], rows):
                counts.update(_block_counts(np.asarray(stack[(*index, slice(top, top + rows))])))
    return dict(counts)


def _block_counts(block: np.ndarray) -> dict[int, int]:
    """Painted value -> pixels in one block of rows.

    Only painted pixels are counted (the dock counts on every brush stroke:
    empty blocks cost a scan), by histogram where the values are small
    non-negative integers, by sorting otherwise (instance ids in the millions,
    negative values); non-finite float values are left out.
    """
    painted = block[block != 0]
    if np.issubdtype(painted.dtype, np.floating):
        painted = painted[np.isfinite(painted)]
    if not painted.size:
        return {}
    integer = np.issubdtype(painted.dtype, np.integer)
    if integer and painted.min() >= 0 and painted.max() < BINCOUNT_BELOW:
        histogram = np.bincount(painted.astype(np.intp, copy=False))
        values = np.flatnonzero(histogram)
        found = histogram[values]
    else:
        values, found = np.unique(painted, return_counts=True)
    counts: Counter[int] = Counter()
    for value, count in zip(values.tolist(), found.tolist(), strict=True):
        counts[int(value)] += int(count)  # 1.0 and 1.5: class 1
    return counts
