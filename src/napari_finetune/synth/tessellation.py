"""Voronoi tessellation of nucleation sites into grain ids, and grain boundaries.

The nearest-site search uses scipy's exact Euclidean distance transform (about
0.4 s for 2048 x 2048), which is 2-3x faster than a KD-tree query per pixel.
Elongated grains come from an anisotropic metric: the transform's ``sampling``
shrinks distances along the long axis. Axis-aligned grains are computed on
the image grid directly; other angles and scan-line jitter on a rotated grid
that is then sampled with nearest-neighbour lookups, so ids stay exact.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import disk

from napari_finetune.synth.seeds import long_axis_vector


def tessellate(
    sites: np.ndarray,
    shape: tuple[int, int],
    direction: float = 90.0,
    elongation: float = 1.0,
    row_shift: np.ndarray | None = None,
) -> np.ndarray:
    """Label every pixel with the id (1..n) of its nearest site.

    Parameters
    ----------
    sites : numpy.ndarray
        ``(n, 2)`` site positions ``(y, x)`` in specimen coordinates.
    shape : tuple of int
        Output image shape.
    direction, elongation : float
        Long axis of the grains in degrees and their aspect ratio; distances
        along the long axis count ``1 / elongation``.
    row_shift : numpy.ndarray, optional
        Per-row horizontal offset (pixels) of where each scan line samples the
        specimen: scan-line jitter. The labels follow the distorted image.

    Returns
    -------
    numpy.ndarray
        int32 grain ids, ``shape``.
    """
    quarter_turns = direction / 90.0
    axis_aligned = math.isclose(quarter_turns, round(quarter_turns), abs_tol=1e-9)
    if axis_aligned:
        # Frame axes are the image axes; the long axis is rows (vertical) or columns.
        rotation = np.eye(2)
        long_axis = 0 if round(quarter_turns) % 2 else 1
    else:
        e_u = long_axis_vector(direction)
        rotation = np.stack([e_u, [e_u[1], -e_u[0]]])
        long_axis = 0
    sampling = [1.0, 1.0]
    sampling[long_axis] = 1.0 / elongation

    if axis_aligned and row_shift is None:
        return _nearest_site_on_grid(sites, shape, origin=np.zeros(2), sampling=sampling)

    # Frame coordinates of every pixel centre, then a grid that covers them all.
    yy, xx = np.indices(shape, dtype=np.float32)
    if row_shift is not None:
        xx += row_shift.astype(np.float32)[:, None]
    frame = [rotation[k, 0] * yy + rotation[k, 1] * xx for k in range(2)]
    del yy, xx
    frame_sites = sites @ rotation.T
    lo = (
        np.floor(np.minimum([f.min() for f in frame], frame_sites.min(axis=0, initial=np.inf))) - 1
    )
    hi = np.ceil(np.maximum([f.max() for f in frame], frame_sites.max(axis=0, initial=-np.inf)))
    grid_shape = tuple(int(v) + 2 for v in hi - lo)
    ids = _nearest_site_on_grid(frame_sites, grid_shape, origin=lo, sampling=sampling)
    coords = [f - np.float32(o) for f, o in zip(frame, lo, strict=True)]
    return ndi.map_coordinates(ids, coords, order=0, mode="nearest").astype(np.int32)


def _nearest_site_on_grid(
    sites: np.ndarray, shape: tuple[int, int], origin: np.ndarray, sampling: list[float]
) -> np.ndarray:
    pixels = np.round(sites - origin).astype(np.intp)
    pixels = np.clip(pixels, 0, np.array(shape) - 1)
    seeds = np.zeros(shape, np.int32)
    seeds[pixels[:, 0], pixels[:, 1]] = np.arange(1, len(sites) + 1, dtype=np.int32)
    nearest = ndi.distance_transform_edt(
        seeds == 0, sampling=sampling, return_distances=False, return_indices=True
    )
    return seeds[nearest[0], nearest[1]]


def interfaces(grains: np.ndarray) -> np.ndarray:
    """Pixels that have a 4-neighbour with another grain id (2 px wide lines)."""
    edge = np.zeros(grains.shape, bool)
    vertical = grains[1:, :] != grains[:-1, :]
    horizontal = grains[:, 1:] != grains[:, :-1]
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    return edge


def grain_boundaries(grains: np.ndarray, width: int) -> np.ndarray:
    """Boundary mask ``width`` pixels wide, centred on grain-id changes.

    An odd width grows a 1-px line (one pixel of each differing pair) by
    ``(width - 1) / 2`` on each side; an even width grows the 2-px line of
    :func:`interfaces` by ``(width - 2) / 2``.

    Parameters
    ----------
    grains : numpy.ndarray
        Integer grain ids.
    width : int
        Boundary width in pixels (>= 1).

    Returns
    -------
    numpy.ndarray
        uint8 mask, 1 on boundaries.
    """
    if width % 2:
        line = np.zeros(grains.shape, bool)
        line[:-1, :] |= grains[1:, :] != grains[:-1, :]
        line[:, :-1] |= grains[:, 1:] != grains[:, :-1]
        radius = (width - 1) // 2
    else:
        line = interfaces(grains)
        radius = (width - 2) // 2
    if radius:
        line = ndi.binary_dilation(line, structure=disk(radius).astype(bool))
    return line.astype(np.uint8)
