"""Is this a map to measure? Refusals for images, interior masks and paintings.

A grain measurement is only as good as its input: an intensity image read as
grain ids, a thresholded interior read as a boundary mask, or a sparse training
painting read as a class map all give a confident ASTM G of nothing. These
checks refuse such inputs with what to do instead. Messages start with ``it``:
callers put the layer's or file's name in front (``layer 'X': it ...``).
"""

from __future__ import annotations

import numpy as np
from skimage.measure import label

# A constant-value region smaller than this (px) is noise, not a grain or a class region.
TINY_REGION = 9
# Share of pixels in tiny constant regions above which an integer map is an image.
# Measured: a 256² uint8 or uint16 micrograph (synthetic Voronoi, noisy) has 100 %
# of its pixels in such regions; grain ids and class maps 0 %, and 2000 grains in
# 512² (~130 px each) 0.002 %. Half leaves a wide margin on both sides.
IMAGE_SHARE = 0.5
# The check looks at a central window this large: enough pixels, bounded time.
WINDOW = 1024
# More than this share of a mask at 1 (or of a class map at 0) is not a map.
MOSTLY = 0.5


def _window(data: np.ndarray) -> np.ndarray:
    rows, cols = data.shape[-2:]
    r0, c0 = max(0, (rows - WINDOW) // 2), max(0, (cols - WINDOW) // 2)
    return data[..., r0 : r0 + WINDOW, c0 : c0 + WINDOW]


def tiny_region_share(data: np.ndarray) -> float:
    """Share of pixels (central window) in constant-value regions under :data:`TINY_REGION` px.

    Regions are 4-connected pixels of one value, of each 2D plane.
    """
    window = np.asarray(_window(np.asarray(data)), dtype=np.int64)
    planes = window.reshape(-1, *window.shape[-2:])
    tiny = 0
    for plane in planes:
        regions = label(plane, background=int(plane.min()) - 1, connectivity=1)
        sizes = np.bincount(regions.ravel())
        tiny += int(np.count_nonzero(sizes[regions] < TINY_REGION))
    return tiny / max(1, planes.size)


def check_not_an_image(data: np.ndarray) -> None:
    """Refuse an integer map with many values that is an intensity image, not grain ids.

    Grain ids and class maps are made of regions of one value; an image's
    neighbouring pixels differ, so most of its constant regions are tiny
    (:data:`IMAGE_SHARE` of the pixels in regions under :data:`TINY_REGION` px).

    Raises
    ------
    ValueError
        When ``data`` looks like an image.
    """
    share = tiny_region_share(data)
    if share > IMAGE_SHARE:
        raise ValueError(
            f"it looks like an image, not a map: {100 * share:.0f} % of its pixels lie in "
            f"regions of one value under {TINY_REGION} px (grain ids and class maps are "
            "regions of one value): choose what it holds, or measure its prediction."
        )


def check_probability_range(data: np.ndarray, kind: str) -> None:
    """Refuse a boundary or probability map with values outside [0, 1].

    Raises
    ------
    ValueError
        Naming the range found.
    """
    low, high = float(np.min(data)), float(np.max(data))
    if low < 0 or high > 1:
        raise ValueError(
            f"its values run from {low:g} to {high:g}: a {kind} map lies in [0, 1]. "
            "It looks like an image, not a map: choose what it holds, or measure its "
            "prediction."
        )


def check_boundary_mask(data: np.ndarray) -> None:
    """Refuse a 0/1 mask that is mostly 1: a thresholded interior, not boundaries.

    Raises
    ------
    ValueError
        With what to do instead.
    """
    share = float(np.count_nonzero(data)) / max(1, data.size)
    if share > MOSTLY:
        raise ValueError(
            f"it is a mask that is {100 * share:.0f} % set: it looks like an interior mask "
            "(grains set, boundaries 0), not a boundary mask, which would give one grain. "
            "Invert it (boundaries set), or label its grains and measure them as instances."
        )


def check_not_a_painting(data: np.ndarray) -> None:
    """Refuse a class map whose unpainted 0 covers most of it: a sparse training painting.

    Raises
    ------
    ValueError
        With what to do instead.
    """
    share = float(np.count_nonzero(np.asarray(data) == 0)) / max(1, data.size)
    if share > MOSTLY:
        raise ValueError(
            f"it is mostly unpainted ({100 * share:.0f} % is 0): it is a painting, not a "
            "map; measure its prediction."
        )
