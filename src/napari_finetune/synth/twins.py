"""Annealing twins: straight, parallel-sided bands across some grains.

Annealed FCC metals (copper, brass, austenitic steel, nickel alloys) show
Sigma-3 twins as bands with two straight, parallel coherent boundaries that run
from one side of the grain to the other. A twin has its own orientation, hence
its own grey level, and coherent twin boundaries etch only faintly.

The labels keep the two kinds of boundary apart: ASTM E112 counts grains, not
twins, so a twin boundary is *not* a grain boundary (``classes`` marks it as
interior); the separate ``twin_boundaries`` mask says where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from napari_finetune.synth import rendering
from napari_finetune.synth.grain_map import grain_map, random_streams
from napari_finetune.synth.parameters import check_rendering, require

_STREAMS = ("sites", "twins", "levels", "topography", "noise")
# A band must leave this fraction of its grain as matrix on each side, so it
# really crosses the grain and both of its edges are twin boundaries.
MIN_MATRIX_SIDE = 0.1
# Twin levels stay inside the range a grain level can have, away from black.
LEVEL_RANGE = (0.1, 0.95)


@dataclass(frozen=True)
class TwinBand:
    """One twin: a band of ``width`` px whose centre line is ``offset`` px from ``centre``.

    Attributes
    ----------
    twin_id : int
        Value of the band in :attr:`TwinSample.twins`.
    grain : int
        Id of the grain the band crosses (its parent).
    angle : float
        Direction of the band's normal, degrees from the row axis (``(cos, sin)``
        in ``(y, x)``).
    centre : tuple of float
        Grain centroid ``(y, x)`` the offset is measured from.
    offset, width : float
        Signed distance of the centre line from ``centre``, and band width, px.
    """

    twin_id: int
    grain: int
    angle: float
    centre: tuple[float, float]
    offset: float
    width: float


@dataclass(frozen=True)
class TwinSample:
    """A micrograph of twinned grains and its exact labels.

    Attributes
    ----------
    image : numpy.ndarray
        float32 ``(rows, cols)`` micrograph, nominally in [0, 1].
    grains : numpy.ndarray
        int32 grain ids; a twin belongs to the grain it crosses.
    boundaries : numpy.ndarray
        uint8 mask, 1 on grain boundaries only.
    twins : numpy.ndarray
        int32 twin-band ids (0 = no twin); see :attr:`bands`.
    twin_boundaries : numpy.ndarray
        uint8 mask, 1 on the twins' coherent boundaries (never on a grain boundary).
    bands : tuple of TwinBand
        Geometry of every band.
    params : dict
        Arguments that regenerate this sample.
    """

    image: np.ndarray
    grains: np.ndarray
    boundaries: np.ndarray
    twins: np.ndarray
    twin_boundaries: np.ndarray
    bands: tuple[TwinBand, ...]
    params: dict[str, Any] = field(default_factory=dict)
    preset: str = "equiaxed"

    @property
    def classes(self) -> np.ndarray:
        """1 = grain interior (twins and twin boundaries included), 2 = grain boundary.

        Twin boundaries are interior on purpose: ASTM E112 grain size excludes
        them, so a model that learns these classes measures grain size right.
        """
        return (1 + self.boundaries).astype(np.uint8)


def annealing_twins(
    shape: tuple[int, int] = (512, 512),
    n_grains: int = 40,
    *,
    twin_fraction: float = 0.5,
    twin_width: tuple[float, float] = (0.1, 0.25),
    boundary_width: int = 3,
    contrast: float = 0.4,
    twin_contrast: float = 0.2,
    boundary_contrast: float = 0.35,
    twin_boundary_contrast: float = 0.15,
    dose: float | None = 50.0,
    blur: float = 1.0,
    seed: int = 0,
) -> TwinSample:
    """Generate grains crossed by annealing twins, with grain and twin labels.

    Parameters
    ----------
    shape : tuple of int
        Image size (rows, columns).
    n_grains : int
        Number of grains.
    twin_fraction : float
        Probability in [0, 1] that a grain is twinned (one or two parallel bands).
    twin_width : tuple of float
        Range of band widths as fractions of the grain's equivalent diameter.
    boundary_width : int
        Width of the grain-boundary label and groove, px.
    contrast : float
        Spread of grain grey levels in [0, 1].
    twin_contrast : float
        Grey-level step between a twin and its parent grain.
    boundary_contrast, twin_boundary_contrast : float
        Depth of the grain-boundary and (fainter) twin-boundary grooves, in [0, 1].
    dose : float or None
        Electrons per pixel for Poisson noise; None = noise-free.
    blur : float
        Gaussian sigma of the probe, px.
    seed : int
        Random seed; the same seed and parameters give the same sample.

    Returns
    -------
    TwinSample
        Image, grain ids, grain boundaries, twin ids and twin boundaries.
        ``classes`` counts grain boundaries only; twin boundaries are interior.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    """
    params = dict(locals())
    require(0 <= twin_fraction <= 1, "twin_fraction", twin_fraction, "must be in [0, 1]")
    require(
        0 < twin_width[0] <= twin_width[1] < 0.5,
        "twin_width",
        twin_width,
        "must be a (low, high) range of diameter fractions within (0, 0.5)",
    )
    names = ("contrast", "twin_contrast", "boundary_contrast", "twin_boundary_contrast")
    check_rendering(dose, blur, seed, **{name: params[name] for name in names})
    streams = random_streams(seed, _STREAMS)
    grains, boundaries = grain_map(shape, n_grains, boundary_width, streams["sites"])
    twins, bands = _place_bands(grains, twin_fraction, twin_width, streams["twins"])
    twin_boundaries = _twin_boundaries(grains, twins) & (boundaries == 0)

    image = rendering.grain_levels(grains, n_grains, contrast, streams["levels"])
    levels = streams["levels"]
    for twin_id, box in enumerate(ndi.find_objects(twins), start=1):
        band = twins[box] == twin_id
        parent = float(image[box][band][0])  # still the parent grain's level
        step = levels.choice([-1.0, 1.0]) * levels.uniform(0.6, 1.0) * twin_contrast
        image[box][band] = np.clip(parent + step, *LEVEL_RANGE)
    image *= rendering.topography(grains.shape, streams["topography"])
    image = rendering.draw_boundaries(image, boundaries, boundary_contrast)
    image = rendering.draw_boundaries(image, twin_boundaries, twin_boundary_contrast)
    image = rendering.detect(image, blur, dose, streams["noise"])
    return TwinSample(
        image=image,
        grains=grains,
        boundaries=boundaries,
        twins=twins,
        twin_boundaries=twin_boundaries.astype(np.uint8),
        bands=tuple(bands),
        params=params,
    )


def _place_bands(
    grains: np.ndarray,
    fraction: float,
    width_range: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[TwinBand]]:
    """Twin-id map and band geometry: one or two parallel bands per twinned grain."""
    twins = np.zeros(grains.shape, np.int32)
    bands: list[TwinBand] = []
    for grain, box in enumerate(ndi.find_objects(grains), start=1):
        # Draw every number for every grain, twinned or not, so that changing
        # the fraction does not reshuffle the bands of the other grains.
        twinned = rng.uniform() < fraction
        angle = rng.uniform(0, 180)
        first = rng.uniform(-0.25, 0.25)
        widths = rng.uniform(*width_range, size=2)
        gap = rng.uniform(0.5, 1.5)
        second = rng.uniform() < 0.4
        if not twinned or box is None:
            continue
        inside = grains[box] == grain
        yy, xx = np.nonzero(inside)
        centre = (yy.mean() + box[0].start, xx.mean() + box[1].start)
        diameter = 2 * np.sqrt(inside.sum() / np.pi)
        normal = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        # Signed distance of every pixel of the box from the line through the centroid.
        rows, cols = np.indices(inside.shape, dtype=np.float64)
        along = (rows + box[0].start - centre[0]) * normal[0]
        along += (cols + box[1].start - centre[1]) * normal[1]
        offsets = [first * diameter]
        if second:
            # A parallel sister band, on the side of the centroid, where the
            # grain is widest, one gap clear of the first band.
            step = (widths[0] + widths[1]) / 2 + gap * widths[0]
            towards_centre = -1.0 if first > 0 else 1.0
            offsets.append(offsets[0] + towards_centre * step * diameter)
        for offset, width_fraction in zip(offsets, widths, strict=False):
            width = max(3.0, width_fraction * diameter)
            band = inside & (np.abs(along - offset) < width / 2)
            below = (inside & (along < offset - width / 2)).sum()
            above = (inside & (along > offset + width / 2)).sum()
            # Both sides keep matrix (else one "twin boundary" is a grain
            # boundary) and bands never touch, so every edge is a twin boundary.
            enough = min(below, above) >= MIN_MATRIX_SIDE * inside.sum()
            touches = ndi.binary_dilation(band, iterations=2) & (twins[box] > 0)
            if not enough or band.sum() < 6 or touches.any():
                continue
            twin_id = len(bands) + 1
            twins[box][band] = twin_id
            bands.append(TwinBand(twin_id, grain, angle, centre, float(offset), float(width)))
    return twins, bands


def _twin_boundaries(grains: np.ndarray, twins: np.ndarray) -> np.ndarray:
    """Pixels on either side of a twin/matrix change that stays within one grain."""
    edge = np.zeros(grains.shape, bool)
    vertical = (twins[1:, :] != twins[:-1, :]) & (grains[1:, :] == grains[:-1, :])
    horizontal = (twins[:, 1:] != twins[:, :-1]) & (grains[:, 1:] == grains[:, :-1])
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    return edge
