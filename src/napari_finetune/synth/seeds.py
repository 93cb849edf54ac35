"""Nucleation sites: where the grains of a Voronoi microstructure start.

Sites come from an inhomogeneous Poisson process thinned by a Matern-II hard
core. The hard core keeps sliver grains out (real recrystallised grains are not
arbitrarily small); a smooth log-normal density field gives the spread of grain
sizes (regions of fine and coarse grains, as after uneven deformation).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

# Sites closer than this (isotropic px) could round onto one pixel and lose a grain.
MIN_SPACING_PX = 2.0
# Candidates per wanted site; Matern-II keeps ~1.3x the wanted count at this
# ratio, so one pass nearly always suffices.
CANDIDATES_PER_SITE = 3
RETRY_CORE_SHRINK = 0.85
# The density field is clipped so a rare extreme value cannot make one giant grain.
FIELD_CLIP = 2.5


def long_axis_vector(direction: float) -> np.ndarray:
    """Unit vector ``(dy, dx)`` of the grains' long axis in array coordinates.

    ``direction`` is in degrees, counter-clockwise from the image x axis as the
    user sees it (rows grow downwards, hence the minus sign on dy).
    """
    theta = math.radians(direction)
    return np.array([-math.sin(theta), math.cos(theta)])


def to_isotropic(points_yx: np.ndarray, direction: float, elongation: float) -> np.ndarray:
    """Map ``(y, x)`` points into the frame where elongated grains become equiaxed.

    Distances there are the Voronoi metric: the component along the long axis is
    divided by ``elongation``.
    """
    e_u = long_axis_vector(direction)
    e_v = np.array([e_u[1], -e_u[0]])
    return np.stack([points_yx @ e_u / elongation, points_yx @ e_v], axis=1)


def place_sites(
    shape: tuple[int, int],
    count: int,
    size_spread: float,
    hard_core: float,
    direction: float,
    elongation: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw exactly ``count`` nucleation sites inside an image of ``shape``.

    Parameters
    ----------
    shape : tuple of int
        Image shape (rows, columns); sites lie in ``[0, rows) x [0, cols)``.
    count : int
        Number of sites (= grains) wanted.
    size_spread : float
        Standard deviation of the log of the local grain diameter.
    hard_core : float
        Mean smallest site spacing, in isotropic-frame pixels.
    direction, elongation : float
        Long axis (degrees) and aspect ratio of the grains.
    rng : numpy.random.Generator
        Source of randomness; the result is a pure function of its state.

    Returns
    -------
    numpy.ndarray
        ``(count, 2)`` float array of ``(y, x)`` site positions.
    """
    field = _log_size_field(shape, count, rng)
    for _ in range(8):
        candidates = _inhomogeneous_poisson(
            shape, CANDIDATES_PER_SITE * count, size_spread, field, rng
        )
        log_size = _sample_field(field, shape, candidates)
        # Local spacing scales with local grain diameter; normalised so that the
        # mean density over the image still gives `count` grains.
        weights = np.exp(-2 * size_spread * log_size)
        local_core = hard_core * np.sqrt(weights.mean() / weights)
        local_core = np.maximum(local_core, MIN_SPACING_PX)
        survivors = _matern_thinning(
            to_isotropic(candidates, direction, elongation), local_core, rng
        )
        if survivors.size >= count:
            keep = rng.choice(survivors, size=count, replace=False)
            return candidates[np.sort(keep)]
        # Matern-II saturates at ~1 / (pi core^2) survivors whatever the number
        # of candidates, so only a smaller core can make room (small images,
        # strong size spread).
        hard_core *= RETRY_CORE_SHRINK
    raise ValueError(f"Could not place {count} grains in {shape}: lower n_grains or size_spread.")


def _log_size_field(shape: tuple[int, int], count: int, rng: np.random.Generator) -> np.ndarray:
    """A coarse, smooth, standardised Gaussian field (about 2 grains per cell)."""
    spacing = math.sqrt(shape[0] * shape[1] / count)
    cells = (max(2, round(shape[0] / spacing)), max(2, round(shape[1] / spacing)))
    noise = ndi.gaussian_filter(rng.standard_normal(cells), sigma=1.5, mode="wrap")
    noise = (noise - noise.mean()) / (noise.std() + 1e-12)
    return np.clip(noise, -FIELD_CLIP, FIELD_CLIP)


def _sample_field(field: np.ndarray, shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    scale = np.array([(field.shape[0] - 1) / shape[0], (field.shape[1] - 1) / shape[1]])
    coords = (points * scale).T
    return ndi.map_coordinates(field, coords, order=1, mode="nearest")


def _inhomogeneous_poisson(
    shape: tuple[int, int],
    n: int,
    size_spread: float,
    field: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` points with density proportional to ``exp(-2 * spread * field)``."""
    points = np.empty((0, 2))
    top = math.exp(-2 * size_spread * float(field.min()))
    while len(points) < n:
        batch = rng.uniform((0, 0), shape, size=(2 * n, 2))
        density = np.exp(-2 * size_spread * _sample_field(field, shape, batch))
        batch = batch[rng.uniform(0, top, len(batch)) < density]
        points = np.concatenate([points, batch])
    return points[:n]


def _matern_thinning(points: np.ndarray, core: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of points kept by Matern-II thinning with per-point core sizes.

    Of two points closer than the smaller of their cores, the one with the
    larger random mark (the later-born nucleus) is removed.
    """
    marks = rng.uniform(size=len(points))
    i, j = _close_pairs(points, core)
    removed = np.zeros(len(points), bool)
    removed[np.where(marks[i] > marks[j], i, j)] = True
    return np.flatnonzero(~removed)


def _close_pairs(points: np.ndarray, core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` closer than ``min(core[i], core[j])``.

    Each point searches only its own core: a close pair lies within both cores,
    so it is found from ``i``. (One radius for all, the largest core, covered
    most of the image at a strong size spread: seconds and hundreds of MB.)
    """
    # The tree's distances may round differently from numpy's: search a hair
    # wider and let the exact test below decide, as it always has.
    balls = cKDTree(points).query_ball_point(points, r=core * (1 + 1e-9), return_sorted=False)
    counts = np.fromiter((len(ball) for ball in balls), dtype=np.intp, count=len(balls))
    if not counts.sum():
        return np.empty(0, np.intp), np.empty(0, np.intp)
    i = np.repeat(np.arange(len(points)), counts)
    j = np.fromiter(itertools.chain.from_iterable(balls), dtype=np.intp, count=len(i))
    forward = i < j
    i, j = i[forward], j[forward]
    dist = np.linalg.norm(points[i] - points[j], axis=1)
    close = dist < np.minimum(core[i], core[j])
    return i[close], j[close]
