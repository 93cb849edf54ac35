"""Grains (or cells) as instances: one id per grain, from a boundary map.

A fine-tuned model gives each pixel a boundary probability. Thresholding it
and labelling the interior alone merges two grains wherever the predicted
boundary has a one-pixel gap; here the interior only provides the *markers*
(one per grain, fragments below ``min_size`` dropped), and a seeded watershed
on the boundary probability itself decides where each grain ends, so every
pixel belongs to a grain and grains meet along the ridge of the boundary map
(zero-thickness boundaries, as ASTM E1382 asks of automatic measurement).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import local_maxima, reconstruction
from skimage.segmentation import expand_labels, relabel_sequential, watershed

from napari_finetune.choices import KINDS as KINDS  # re-exported; no imports there
from napari_finetune.measure.map_checks import (
    check_boundary_mask,
    check_not_a_painting,
    check_not_an_image,
    check_probability_range,
)

MARKERS = {
    "components": "one marker per connected piece of interior (boundaries decide)",
    "distance": "also split pieces at narrow necks (peaks of the distance to the boundary)",
}


@dataclass(frozen=True)
class GrainOptions:
    """How grains are found.

    Attributes
    ----------
    min_size : int
        Smallest grain in pixels: interior fragments below it are merged into
        their neighbours.
    threshold : float
        Boundary probability below which a pixel counts as interior (markers).
    markers : {'distance', 'components'}
        See :data:`MARKERS`.
    neck_depth : float
        With ``'distance'``: how much deeper (px) two distance peaks must be
        than the neck between them to become two grains.
    boundary_class : int
        Class value of the boundary in probabilities and class maps (1-based).
    """

    min_size: int = 16
    threshold: float = 0.5
    # Chosen on synthetic tuning seeds (100, 101) of bench_grains.py's three
    # renderings, never the reported ones: 'components' left grains merged where
    # the predicted boundary has a gap (mean |dG| 0.19, worst 0.33, ARI 0.87);
    # 'distance' gave mean |dG| 0.03 (worst 0.11, ARI 0.98) for any neck depth
    # from 2 to 12 px, flattest around 6-8.
    markers: str = "distance"
    neck_depth: float = 6.0
    boundary_class: int = 2

    def __post_init__(self) -> None:
        if self.min_size < 1:
            raise ValueError(f"min_size={self.min_size} must be at least 1 px.")
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold={self.threshold} must lie between 0 and 1.")
        if self.markers not in MARKERS:
            raise ValueError(
                f"markers={self.markers!r} is unknown: choose one of {', '.join(MARKERS)}."
            )


def guess_kind(data: np.ndarray) -> str:
    """What a map holds (see :data:`KINDS`), from its dtype, shape and values.

    Raises
    ------
    ValueError
        For an integer map of many values that looks like an intensity image
        (:func:`~napari_finetune.measure.map_checks.check_not_an_image`): the
        user must say what it holds.
    """
    data = np.asarray(data)
    if np.issubdtype(data.dtype, np.floating):
        # (K, rows, cols), or a stack's (K, planes, rows, cols) as predict gives it
        return "probabilities" if data.ndim in (3, 4) and data.shape[0] <= 16 else "boundary"
    values = np.unique(data)
    if set(values.tolist()) <= {0, 1} or (values.size == 2 and values[0] == 0):
        return "boundaries"  # a mask: 0/1, 0/255, 0/65535...
    if set(values.tolist()) <= {0, 1, 2} and 2 in values:
        return "classes"
    check_not_an_image(data)
    return "instances"


def boundary_map(data: np.ndarray, kind: str = "auto", boundary_class: int = 2) -> np.ndarray:
    """Boundary probability ``(rows, cols)`` in [0, 1] from any supported map.

    Raises
    ------
    ValueError
        For instances (they need no boundary map), an unknown kind, a
        probability stack without the boundary class, a map with no
        boundary at all, probabilities outside [0, 1], a mask that is mostly
        set (an interior mask) or a class map mostly 0 (a painting); see
        :mod:`~napari_finetune.measure.map_checks`.
    """
    data = np.asarray(data)
    kind = guess_kind(data) if kind == "auto" else kind
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is unknown: choose one of {', '.join(KINDS)}.")
    if kind == "probabilities":
        if data.ndim != 3 or data.shape[0] < boundary_class:
            raise ValueError(
                f"probabilities of shape {data.shape} have no class {boundary_class} "
                "(the boundary): expected (classes, rows, cols)."
            )
        check_probability_range(data, kind)
        boundary = data[boundary_class - 1]
    elif kind == "boundary":
        check_probability_range(data, kind)
        boundary = data
    elif kind == "classes":
        check_not_a_painting(data)
        boundary = data == boundary_class
    elif kind == "boundaries":
        check_boundary_mask(data)
        boundary = data != 0
    else:
        raise ValueError("instances need no boundary map: use them as they are.")
    if boundary.ndim != 2:
        raise ValueError(f"expected a 2D map, not shape {boundary.shape}.")
    boundary = np.asarray(boundary, dtype=np.float32)
    if not np.all(np.isfinite(boundary)):
        raise ValueError("the boundary map contains NaN or infinite values.")
    return boundary


def _split_at_necks(pieces: np.ndarray, interior: np.ndarray, neck_depth: float) -> np.ndarray:
    """Split interior pieces whose distance map has several domes deeper than ``neck_depth``.

    h-dome reconstruction: a peak standing less than ``neck_depth`` above the
    neck to a higher one is flattened into it, so each remaining dome keeps one
    connected top (a ridge of equal depths is one top, not many); the piece is
    then split between its tops along the valleys of the distance map. Only
    pieces with two or more raw maxima can split, and each is done in its own
    bounding box.
    """
    depth = ndi.distance_transform_edt(interior)
    raw, _ = ndi.label(local_maxima(depth, connectivity=2) & interior, np.ones((3, 3)))
    pairs = np.unique(np.stack([pieces[raw > 0], raw[raw > 0]]), axis=1)
    ids, counts = np.unique(pairs[0], return_counts=True)
    pieces = pieces.copy()
    next_id = int(pieces.max()) + 1
    boxes = ndi.find_objects(pieces)
    for piece in ids[counts > 1]:
        box = boxes[piece - 1]
        inside = pieces[box] == piece
        local = np.where(inside, depth[box], 0.0)
        domes = reconstruction(local - neck_depth, local)
        seeds, n = ndi.label(local_maxima(domes, connectivity=2) & inside, np.ones((3, 3)))
        if n < 2:
            continue
        split = watershed(-local, seeds, mask=inside)
        region = pieces[box]
        region[inside & (split > 1)] = split[inside & (split > 1)] - 2 + next_id
        next_id += n - 1
    return pieces


def _markers(boundary: np.ndarray, options: GrainOptions) -> np.ndarray:
    interior = boundary < options.threshold
    # 4-connected: a diagonal step between two boundary pixels is no passage.
    pieces, _ = ndi.label(interior)
    if options.markers == "distance":
        pieces = _split_at_necks(pieces, interior, options.neck_depth)
    sizes = np.bincount(pieces.ravel())
    small = sizes < options.min_size
    small[0] = True
    pieces[small[pieces]] = 0
    return pieces


def grains_from_boundaries(
    boundary: np.ndarray, options: GrainOptions | None = None
) -> np.ndarray:
    """One id per grain from a 2D boundary probability map.

    Parameters
    ----------
    boundary : numpy.ndarray
        ``(rows, cols)`` boundary probability (or 0/1 mask).
    options : GrainOptions, optional
        Minimum size, threshold, marker rule.

    Returns
    -------
    numpy.ndarray
        int32 ``(rows, cols)``, ids 1..n, the same for the same input (in raster
        order of the markers with ``'components'``); every pixel belongs to a
        grain. All zero when no grain is found.
    """
    options = options or GrainOptions()
    markers = _markers(boundary, options)
    if not markers.any():
        return np.zeros(boundary.shape, np.int32)
    # 256 levels of boundary probability flood like the float map (99.9 % of
    # pixels the same on a 2048² prediction) in a sixth of the time.
    levels = np.round(np.clip(boundary, 0, 1) * 255).astype(np.uint8)
    return relabel_sequential(watershed(levels, markers))[0].astype(np.int32)


def _raster_order(labels: np.ndarray) -> np.ndarray:
    """Renumber ids by the raster position of each region's first pixel."""
    flat = labels.ravel()
    ids, first = np.unique(flat, return_index=True)
    order = np.argsort(first)
    mapping = np.zeros(int(ids.max()) + 1, np.int64)
    kept = ids[order][ids[order] != 0]
    mapping[kept] = np.arange(1, kept.size + 1)
    return mapping[labels]


def grains(
    data: np.ndarray,
    kind: str = "auto",
    options: GrainOptions | None = None,
) -> np.ndarray:
    """Grain ids from probabilities, classes, a boundary mask or instances.

    Parameters
    ----------
    data : numpy.ndarray
        A 2D map of any :data:`KINDS`, or a stack of them (``(planes, rows,
        cols)``; probabilities ``(K, planes, rows, cols)``), done plane by plane
        with ids kept unique over the stack.
    kind : str
        What ``data`` holds (see :data:`KINDS`); ``'auto'`` guesses.
    options : GrainOptions, optional
        How grains are found.

    Returns
    -------
    numpy.ndarray
        int32 grain ids of the image's shape (0 only where nothing was found).
    """
    options = options or GrainOptions()
    data = np.asarray(data)
    kind = guess_kind(data) if kind == "auto" else kind
    planar = 3 if kind == "probabilities" else 2
    if data.ndim == planar + 1:
        planes = np.moveaxis(data, 1, 0) if kind == "probabilities" else data
        out, offset = [], 0
        for plane in planes:
            ids = grains(plane, kind, options)
            out.append(np.where(ids > 0, ids + offset, 0).astype(np.int32))
            offset += int(ids.max())
        return np.stack(out)
    if data.ndim != planar:
        raise ValueError(f"a {kind} map of shape {data.shape} is neither 2D nor a stack.")
    values = np.unique(data) if kind != "probabilities" else np.array([0, 1])
    if values.size == 1 and kind != "boundary":
        raise ValueError(
            f"the map holds one value only ({values[0]}): there are no boundaries between "
            "grains (the whole image would be one grain), so there is nothing to measure."
        )
    if kind == "instances":
        ids = data.astype(np.int64)
        if np.any(ids < 0):
            raise ValueError("instance ids must not be negative.")
        # Boundary lines (0) between instances go to the nearest grain.
        ids = expand_labels(ids, distance=max(ids.shape))
        return _raster_order(ids).astype(np.int32)
    return grains_from_boundaries(boundary_map(data, kind, options.boundary_class), options)
