"""EBSD-like orientation maps coloured by an inverse-pole-figure (IPF) key.

Every grain gets a random crystal orientation (uniform on SO(3)); every pixel
shows which crystal direction is parallel to the sample normal, coloured by a
cubic IPF-Z key. Real maps have a little orientation noise from pattern
indexing and some unindexed pixels (black), mostly on boundaries where two
patterns overlap.

The colour key (:func:`ipf_colour`): the direction ``d`` is folded into the
standard triangle [001]-[101]-[111] by cubic symmetry (absolute values, sorted
``h <= k <= l``) and written as a positive sum of the corner directions
``d = r [001] + g [011] + b [111]``; so ``r = l - k``, ``g = k - h``, ``b = h``.
These weights, divided by their maximum, are the RGB: [001] red, [101] green,
[111] blue, one channel always 1 and every channel in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from napari_finetune.synth.grain_map import grain_map, random_streams
from napari_finetune.synth.parameters import check_rendering, require

_STREAMS = ("sites", "orientations", "noise", "unindexed")
# Unindexed pixels are this many times likelier on a boundary than inside a grain.
BOUNDARY_UNINDEXED_FACTOR = 8.0
SAMPLE_NORMAL = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class IPFSample:
    """An IPF-coloured orientation map and its exact labels.

    Attributes
    ----------
    image : numpy.ndarray
        float32 RGB ``(rows, cols, 3)`` in [0, 1]; unindexed pixels are black.
    grains : numpy.ndarray
        int32 grain ids.
    boundaries : numpy.ndarray
        uint8 mask, 1 on grain boundaries.
    orientations : numpy.ndarray
        float64 ``(n_grains + 1, 4)`` quaternions (x, y, z, w; crystal to sample)
        of each grain; row 0 is the identity and unused.
    unindexed : numpy.ndarray
        uint8 mask, 1 where no orientation was indexed (black pixels).
    params : dict
        Arguments that regenerate this sample.
    preset : str
        Augmentation preset to train with: ``'ebsd'`` (no flips, rotations or
        colour jitter: the colour is the orientation in the sample frame).
    """

    image: np.ndarray
    grains: np.ndarray
    boundaries: np.ndarray
    orientations: np.ndarray
    unindexed: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    preset: str = "ebsd"

    @property
    def classes(self) -> np.ndarray:
        """1 = grain interior, 2 = boundary."""
        return (1 + self.boundaries).astype(np.uint8)


def ipf_colour(directions: np.ndarray) -> np.ndarray:
    """Cubic IPF colour of crystal directions (see the module docstring for the key).

    Parameters
    ----------
    directions : numpy.ndarray
        ``(..., 3)`` crystal directions, any length (not all zero).

    Returns
    -------
    numpy.ndarray
        float32 ``(..., 3)`` RGB in [0, 1], the largest channel equal to 1.
    """
    h, k, l = np.moveaxis(np.sort(np.abs(directions), axis=-1), -1, 0)  # noqa: E741
    weights = np.stack([l - k, k - h, h], axis=-1)
    return (weights / weights.max(axis=-1, keepdims=True)).astype(np.float32)


def ipf_map(
    shape: tuple[int, int] = (512, 512),
    n_grains: int = 60,
    *,
    noise_deg: float = 1.0,
    unindexed_fraction: float = 0.01,
    boundary_width: int = 2,
    seed: int = 0,
) -> IPFSample:
    """Generate an EBSD-like IPF-Z map of random cubic orientations with its labels.

    Parameters
    ----------
    shape : tuple of int
        Map size (rows, columns).
    n_grains : int
        Number of grains.
    noise_deg : float
        Standard deviation of the per-pixel misorientation (indexing noise) in
        degrees; 0 gives one exact colour per grain.
    unindexed_fraction : float
        Fraction in [0, 0.5] of pixels left unindexed (black), concentrated on
        boundaries.
    boundary_width : int
        Width of the boundary label, px.
    seed : int
        Random seed; the same seed and parameters give the same sample.

    Returns
    -------
    IPFSample
        RGB map (float32, ``(rows, cols, 3)``), grain ids, boundaries, grain
        orientations, unindexed mask; ``preset`` is ``'ebsd'``.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    """
    params = dict(locals())
    require(0 <= noise_deg <= 30, "noise_deg", noise_deg, "must be in [0, 30] degrees")
    require(
        0 <= unindexed_fraction <= 0.5,
        "unindexed_fraction",
        unindexed_fraction,
        "must be in [0, 0.5]",
    )
    check_rendering(seed=seed)
    streams = random_streams(seed, _STREAMS)
    grains, boundaries = grain_map(shape, n_grains, boundary_width, streams["sites"])
    grain_rotations = Rotation.random(n_grains + 1, random_state=streams["orientations"])
    rotations = grain_rotations[grains.ravel()]
    if noise_deg > 0:
        wobble = streams["noise"].normal(0, np.radians(noise_deg), (grains.size, 3))
        rotations = rotations * Rotation.from_rotvec(wobble)
    # The crystal direction along the sample normal: the inverse rotation of Z.
    directions = rotations.inv().apply(SAMPLE_NORMAL)
    image = ipf_colour(directions).reshape(*grains.shape, 3)

    unindexed = _unindexed(boundaries, unindexed_fraction, streams["unindexed"])
    image[unindexed] = 0
    return IPFSample(
        image=image,
        grains=grains,
        boundaries=boundaries,
        orientations=grain_rotations.as_quat(),
        unindexed=unindexed.astype(np.uint8),
        params=params,
    )


def _unindexed(boundaries: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Random pixels, ``fraction`` of the map on average, likelier on boundaries."""
    weight = np.where(boundaries > 0, BOUNDARY_UNINDEXED_FACTOR, 1.0)
    probability = np.clip(fraction * weight / weight.mean(), 0, 1)
    return rng.uniform(size=boundaries.shape) < probability
