"""Colour tint etching: optical micrographs where each grain has its own colour.

Tint etchants (Beraha, Klemm) grow an interference film whose thickness depends
on the grain's orientation, so under bright-field light each grain shows its own
hue and brightness: straw, brown, purple, blue. The film barely attacks the
boundaries, so the grooves a model learns from grey micrographs are weak or
absent (``groove_strength``); boundaries are visible only as colour changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from napari_finetune.synth import rendering
from napari_finetune.synth.grain_map import grain_map, random_streams
from napari_finetune.synth.parameters import check_rendering, require

_STREAMS = ("sites", "colours", "illumination", "noise")
# Film thicknesses drawn per grain; the one farthest from its neighbours' is
# kept, so touching grains of one colour (an invisible boundary) become rare.
THICKNESS_CANDIDATES = 6
# Interference colours of a growing tint film (first and second order), as
# Beraha-type etchants give on steel: straw, gold, brown, purple, violet, blue,
# light blue, pale green. Thickness interpolates between these stops.
FILM_COLOURS = np.array(
    [
        [0.85, 0.80, 0.62],
        [0.82, 0.66, 0.32],
        [0.55, 0.36, 0.20],
        [0.55, 0.26, 0.42],
        [0.40, 0.26, 0.60],
        [0.20, 0.34, 0.70],
        [0.46, 0.64, 0.84],
        [0.72, 0.80, 0.56],
    ]
)
BRIGHTNESS = (0.75, 1.1)
# Camera read noise of a colour CCD on a well-exposed image.
CAMERA_NOISE = 0.02


@dataclass(frozen=True)
class TintSample:
    """A colour tint-etched micrograph and its exact labels.

    Attributes
    ----------
    image : numpy.ndarray
        float32 RGB ``(rows, cols, 3)`` in [0, 1].
    grains : numpy.ndarray
        int32 grain ids.
    boundaries : numpy.ndarray
        uint8 mask, 1 on grain boundaries.
    colours : numpy.ndarray
        float32 ``(n_grains + 1, 3)`` RGB of each grain before grooves, light and noise.
    params : dict
        Arguments that regenerate this sample.
    """

    image: np.ndarray
    grains: np.ndarray
    boundaries: np.ndarray
    colours: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    preset: str = "equiaxed"

    @property
    def classes(self) -> np.ndarray:
        """1 = grain interior, 2 = boundary."""
        return (1 + self.boundaries).astype(np.uint8)


def tint_etch(
    shape: tuple[int, int] = (512, 512),
    n_grains: int = 60,
    *,
    groove_strength: float = 0.2,
    boundary_width: int = 3,
    noise: float = CAMERA_NOISE,
    blur: float = 1.0,
    seed: int = 0,
) -> TintSample:
    """Generate a colour tint-etched micrograph with its grain labels.

    Parameters
    ----------
    shape : tuple of int
        Image size (rows, columns).
    n_grains : int
        Number of grains.
    groove_strength : float
        Darkening of the boundary grooves in [0, 1]: 0 = no grooves (boundaries
        show only as colour changes), 1 = black grooves.
    boundary_width : int
        Width of the boundary label and groove, px.
    noise : float
        Standard deviation of the camera's Gaussian noise per channel.
    blur : float
        Gaussian sigma of the optics, px.
    seed : int
        Random seed; the same seed and parameters give the same sample.

    Returns
    -------
    TintSample
        RGB image (float32, ``(rows, cols, 3)``), grain ids, boundaries and the
        colour of every grain.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    """
    params = dict(locals())
    require(0 <= groove_strength <= 1, "groove_strength", groove_strength, "must be in [0, 1]")
    require(noise >= 0, "noise", noise, "must be >= 0")
    check_rendering(None, blur, seed)
    streams = random_streams(seed, _STREAMS)
    grains, boundaries = grain_map(shape, n_grains, boundary_width, streams["sites"])
    colours = grain_colours(grains, n_grains, streams["colours"])

    image = colours[grains]
    # Uneven Koehler illumination dims the field smoothly, the same in all channels.
    image *= rendering.topography(grains.shape, streams["illumination"])[..., None]
    image *= 1 - groove_strength * boundaries[..., None].astype(np.float32)
    if blur > 0:
        image = ndi.gaussian_filter(image, sigma=(blur, blur, 0))
    if noise > 0:
        image = image + streams["noise"].normal(0, noise, image.shape).astype(np.float32)
    image = np.clip(image, 0, 1).astype(np.float32)
    return TintSample(image, grains, boundaries, colours, params)


def interference_colour(thickness: np.ndarray) -> np.ndarray:
    """RGB of a tint film of relative ``thickness`` in [0, 1] (:data:`FILM_COLOURS`).

    Parameters
    ----------
    thickness : numpy.ndarray
        Film thickness, 0 = thinnest (pale straw) to 1 = thickest (pale green).

    Returns
    -------
    numpy.ndarray
        float32 ``(*thickness.shape, 3)`` RGB in [0, 1].
    """
    stops = np.linspace(0, 1, len(FILM_COLOURS))
    rgb = [np.interp(thickness, stops, FILM_COLOURS[:, k]) for k in range(3)]
    return np.stack(rgb, axis=-1).astype(np.float32)


def grain_colours(grains: np.ndarray, n_grains: int, rng: np.random.Generator) -> np.ndarray:
    """An RGB colour per grain from its film thickness, neighbours kept apart.

    Parameters
    ----------
    grains : numpy.ndarray
        int32 grain ids ``1..n_grains``.
    n_grains : int
        Number of grains.
    rng : numpy.random.Generator
        Source of the colours.

    Returns
    -------
    numpy.ndarray
        float32 ``(n_grains + 1, 3)`` RGB in [0, 1]; row 0 is unused (black).
    """
    neighbours = _neighbours(grains, n_grains)
    candidates = rng.uniform(0, 1, (n_grains + 1, THICKNESS_CANDIDATES))
    brightness = rng.uniform(*BRIGHTNESS, n_grains + 1)
    thickness = np.full(n_grains + 1, np.nan)
    for grain in range(1, n_grains + 1):
        chosen = thickness[list(neighbours[grain])]
        chosen = chosen[~np.isnan(chosen)]
        if chosen.size == 0:
            thickness[grain] = candidates[grain, 0]
            continue
        gap = np.abs(candidates[grain][:, None] - chosen[None, :]).min(axis=1)
        thickness[grain] = candidates[grain, np.argmax(gap)]
    thickness[0] = 0.0
    colours = interference_colour(thickness) * brightness[:, None].astype(np.float32)
    colours[0] = 0
    return np.clip(colours, 0, 1)


def _neighbours(grains: np.ndarray, n_grains: int) -> list[set[int]]:
    """Grains that share a boundary with each grain (4-connectivity)."""
    pairs = np.concatenate(
        [
            np.stack([grains[1:, :].ravel(), grains[:-1, :].ravel()], axis=1),
            np.stack([grains[:, 1:].ravel(), grains[:, :-1].ravel()], axis=1),
        ]
    )
    pairs = np.unique(pairs[pairs[:, 0] != pairs[:, 1]], axis=0)
    neighbours: list[set[int]] = [set() for _ in range(n_grains + 1)]
    for a, b in pairs:
        neighbours[a].add(int(b))
        neighbours[b].add(int(a))
    return neighbours
