"""Where second-phase particles go: aligned cuboids in grains, rounded ones on boundaries.

Used by :func:`~napari_finetune.synth.phases.second_phases`. Both placements
draw candidate centres from the seeded ``rng``, refuse a particle whose
slightly grown outline leaves the matrix or comes near another particle, and
give up after ``TRIES_PER_PARTICLE`` tries per wanted particle (crowded grains).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from skimage.draw import ellipse, polygon

from napari_finetune.synth.phase_classes import MATRIX, PRECIPITATE

# Exponent of the superellipse |u|^p + |v|^p = 1 drawn for a cuboid: 2 is a
# circle, large is a sharp square; gamma-prime cuboids have rounded corners.
CUBOID_EXPONENT = 4.0
# Tries per wanted precipitate before the placement gives up (crowded grains).
TRIES_PER_PARTICLE = 4

Pixels = tuple[np.ndarray, np.ndarray]  # a particle's (rows, cols), as skimage.draw gives


def _cuboid(centre: np.ndarray, edge: float, angle: float, shape: tuple[int, int]) -> Pixels:
    """Pixels of a rounded square (superellipse) of ``edge`` px turned by ``angle``."""
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    cos, sin = np.cos(t), np.sin(t)
    power = 2 / CUBOID_EXPONENT
    u = edge / 2 * np.sign(cos) * np.abs(cos) ** power
    v = edge / 2 * np.sign(sin) * np.abs(sin) ** power
    rows = centre[0] + u * np.cos(angle) - v * np.sin(angle)
    cols = centre[1] + u * np.sin(angle) + v * np.cos(angle)
    return polygon(rows, cols, shape)


def _free(rr: np.ndarray, cc: np.ndarray, regions: np.ndarray, taken: np.ndarray) -> bool:
    """A particle may go where all its pixels are matrix and no particle is near."""
    return rr.size > 0 and bool((regions[rr, cc] == MATRIX).all()) and not taken[rr, cc].any()


def _place(
    wanted: float,
    candidates: np.ndarray,
    taken: np.ndarray,
    propose: Callable[[], tuple[Pixels, Pixels] | None],
) -> list[Pixels]:
    """Accept proposed particles until ``wanted`` are placed or the tries run out.

    ``propose`` draws one particle from the placement's ``rng`` (its draws are
    the same whether or not the particle is refused) and returns its grown
    outline and its pixels, or None when refused; an accepted one's grown
    outline is marked in ``taken``.
    """
    found: list[Pixels] = []
    for _ in range(int(TRIES_PER_PARTICLE * wanted)):
        if len(found) >= wanted or candidates.size == 0:
            break
        particle = propose()
        if particle is None:
            continue
        grown, pixels = particle
        taken[grown] = True
        found.append(pixels)
    return found


def intragranular_cuboids(
    grains: np.ndarray,
    boundaries: np.ndarray,
    regions: np.ndarray,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> list[Pixels]:
    """Aligned rounded cuboids inside matrix grains, apart from boundaries and each other."""
    low, high = params["precipitate_size"]
    n = int(grains.max())
    cube_axes = rng.uniform(0, np.pi / 2, n + 1)  # one alignment per grain
    hosts = (regions == MATRIX) & (boundaries == 0)
    wanted = params["precipitate_fraction"] * hosts.sum() / ((low + high) / 2) ** 2
    candidates = np.flatnonzero(hosts)
    # Pixels near an accepted particle (a gap of 2 px keeps particles apart).
    taken = boundaries > 0

    def propose() -> tuple[Pixels, Pixels] | None:
        centre = np.unravel_index(rng.choice(candidates), grains.shape)
        edge = rng.uniform(low, high)
        grain = grains[centre]
        if taken[centre]:  # the particle covers its centre: refused without drawing it
            return None
        grown = _cuboid(np.array(centre, float), edge + 4, cube_axes[grain], grains.shape)
        if not _free(*grown, regions, taken) or (grains[grown] != grain).any():
            return None
        return grown, _cuboid(np.array(centre, float), edge, cube_axes[grain], grains.shape)

    return _place(wanted, candidates, taken, propose)


def boundary_particles(
    grains: np.ndarray,
    boundaries: np.ndarray,
    regions: np.ndarray,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> list[Pixels]:
    """Rounded particles centred on grain-boundary pixels, not touching each other."""
    low, high = params["precipitate_size"]
    length = boundaries.sum() / params["boundary_width"]  # boundary line length, px
    wanted = round(float(length) / params["boundary_spacing"])
    candidates = np.flatnonzero(boundaries)
    taken = ndi.binary_dilation(regions == PRECIPITATE, iterations=2)

    def propose() -> tuple[Pixels, Pixels] | None:
        r, c = np.unravel_index(rng.choice(candidates), grains.shape)
        radii = rng.uniform(low, high, 2) / 2
        rotation = rng.uniform(0, np.pi)
        if taken[r, c] or regions[r, c] != MATRIX:  # its centre is not free: refused at once
            return None
        grown = ellipse(r, c, radii[0] + 2, radii[1] + 2, grains.shape, rotation)
        if not _free(*grown, regions, taken):
            return None
        return grown, ellipse(r, c, radii[0], radii[1], grains.shape, rotation)

    return _place(wanted, candidates, taken, propose)
