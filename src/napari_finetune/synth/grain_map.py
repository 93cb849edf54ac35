"""The grain map every kind of the wider synthetic world starts from.

Twins, second phases, tint etching, IPF maps and EM cells all need the same
thing first: a Voronoi tessellation with exact ids and a boundary mask of a
given width, and independent random streams so that a seed fixes everything.
This module builds both from the same parts as :func:`voronoi_grains`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_finetune.synth.parameters import GrainParameters
from napari_finetune.synth.seeds import place_sites
from napari_finetune.synth.tessellation import grain_boundaries, tessellate


def random_streams(seed: int, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """Independent generators, one per name, all derived from ``seed``.

    Independent streams keep one aspect of a sample (say the grain shapes)
    fixed when another (say the noise) is switched off or changed.

    Parameters
    ----------
    seed : int
        Master seed (>= 0).
    names : sequence of str
        One stream per name; the order matters, keep it fixed.

    Returns
    -------
    dict
        Name -> :class:`numpy.random.Generator`.
    """
    children = np.random.SeedSequence(seed).spawn(len(names))
    generators = (np.random.default_rng(child) for child in children)
    return dict(zip(names, generators, strict=True))


def grain_map(
    shape: tuple[int, int],
    n_grains: int,
    boundary_width: int,
    rng: np.random.Generator,
    *,
    size_spread: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """Equiaxed grain ids and their boundary mask.

    Parameters
    ----------
    shape : tuple of int
        Image size (rows, columns).
    n_grains : int
        Number of grains (ids ``1..n_grains``).
    boundary_width : int
        Width of the boundary mask in pixels.
    rng : numpy.random.Generator
        Source of the nucleation sites.
    size_spread : float
        Spread of grain sizes (see :func:`napari_finetune.voronoi_grains`).

    Returns
    -------
    grains : numpy.ndarray
        int32 ids, ``shape``.
    boundaries : numpy.ndarray
        uint8 mask, 1 on grain boundaries.

    Raises
    ------
    ValueError
        If the shape, grain count or boundary width are out of range.
    """
    # GrainParameters does the checking (and words the errors) for us.
    params = GrainParameters(
        shape=shape, n_grains=n_grains, boundary_width=boundary_width, size_spread=size_spread
    )
    sites = place_sites(
        params.shape,
        params.grain_count,
        params.size_spread,
        params.hard_core_diameter,
        params.direction,
        params.elongation,
        rng,
    )
    grains = tessellate(sites, params.shape)
    return grains, grain_boundaries(grains, boundary_width)
