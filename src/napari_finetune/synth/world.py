"""The wider synthetic world: every kind of synthetic micrograph behind one call.

:func:`world_sample` draws a random sample of one kind with random parameters
and returns the common view a pretraining loop needs (:class:`WorldSample`):
the image, the boundary classes, the region classes where the kind has phases,
and the augmentation preset the kind must be trained with.

RGB kinds (``tint_etch``, ``ebsd_ipf``) give ``(rows, cols, 3)`` images: they
need a model with three input channels, or conversion with :func:`grey` (which
throws away what tells tint-etched grains and IPF orientations apart).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from skimage.color import rgb2gray

from napari_finetune.synth.grains import voronoi_grains
from napari_finetune.synth.ipf import ipf_map
from napari_finetune.synth.membranes import em_membranes
from napari_finetune.synth.phases import second_phases
from napari_finetune.synth.tint_etch import tint_etch
from napari_finetune.synth.twins import annealing_twins

KINDS: dict[str, str] = {
    "sem_grains": "Voronoi grains in SEM contrast: grey level per grain, grooves, shot noise.",
    "twins": "Grains crossed by straight annealing-twin bands; twin boundaries are interior.",
    "second_phases": "Aligned cuboid precipitates, boundary particles and lamellar colonies.",
    "tint_etch": "RGB optical micrograph, a tint colour per grain, weak or no grooves.",
    "ebsd_ipf": "RGB EBSD orientation map in cubic IPF-Z colours, a few unindexed pixels.",
    "em_membranes": "EM cells: dark membranes, grainy cytoplasm, mitochondria and vesicles.",
}

_PRESETS = {kind: "equiaxed" for kind in KINDS} | {"ebsd_ipf": "ebsd"}
# Mean grain (cell) diameters drawn for a sample, px: small enough that a
# 256 px tile holds many grains, large enough for twins and particles inside.
DIAMETER_RANGE = (30.0, 70.0)


@dataclass(frozen=True)
class WorldSample:
    """One synthetic sample in the common view used for pretraining.

    Attributes
    ----------
    kind : str
        Key of :data:`KINDS`.
    image : numpy.ndarray
        float32 ``(rows, cols)`` grey or ``(rows, cols, 3)`` RGB (tint etch,
        EBSD); RGB needs an RGB model or :func:`grey`.
    classes : numpy.ndarray
        uint8 ``(rows, cols)``: 1 interior, 2 boundary (grain boundary or cell
        membrane; twin boundaries and organelle rims are interior).
    regions : numpy.ndarray or None
        uint8 region classes where the kind has phases (``second_phases``:
        1 matrix, 2 precipitate, 3 lamellar colony), else None.
    preset : str
        Key of the augmentation preset to train with (``augment.presets``).
    """

    kind: str
    image: np.ndarray
    classes: np.ndarray
    regions: np.ndarray | None
    preset: str

    @property
    def is_rgb(self) -> bool:
        """Whether the image has three colour channels."""
        return self.image.ndim == 3

    def grey(self) -> np.ndarray:
        """The image as float32 luminance ``(rows, cols)`` (see :func:`grey`)."""
        return grey(self.image)


def grey(image: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image (Rec. 709 weights); grey images pass through.

    Parameters
    ----------
    image : numpy.ndarray
        ``(rows, cols)`` or ``(rows, cols, 3)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(rows, cols)``.
    """
    if image.ndim == 2:
        return image.astype(np.float32, copy=False)
    return rgb2gray(image).astype(np.float32)


def preset_for(kind: str) -> str:
    """The augmentation preset key a kind must be trained with.

    Parameters
    ----------
    kind : str
        Key of :data:`KINDS`.

    Returns
    -------
    str
        ``'ebsd'`` for IPF maps (their colours are orientations in the sample
        frame), ``'equiaxed'`` for the others.

    Raises
    ------
    ValueError
        If ``kind`` is unknown.
    """
    _check_kind(kind)
    return _PRESETS[kind]


def world_sample(
    kind: str,
    rng_or_seed: int | np.random.Generator,
    shape: tuple[int, int] = (256, 256),
) -> WorldSample:
    """A random sample of ``kind`` with random parameters, in the common view.

    Parameters
    ----------
    kind : str
        Key of :data:`KINDS`.
    rng_or_seed : int or numpy.random.Generator
        A seed (same seed, same sample) or a generator to draw from (a stream
        of different samples).
    shape : tuple of int
        Image size (rows, columns).

    Returns
    -------
    WorldSample
        Image, boundary classes, region classes (or None) and preset key.

    Raises
    ------
    ValueError
        If ``kind`` is unknown; the message names it and the choices.
    """
    _check_kind(kind)
    if isinstance(rng_or_seed, np.random.Generator):
        rng = rng_or_seed
    else:
        # The kind joins the seed, so seed 0 of two kinds are not the same grains.
        rng = np.random.default_rng([int(rng_or_seed), list(KINDS).index(kind)])
    seed = int(rng.integers(2**31))
    diameter = rng.uniform(*DIAMETER_RANGE)
    area = shape[0] * shape[1]
    count = int(np.clip(round(area / (math.pi * diameter**2 / 4)), 2, area // 64))
    sample = _MAKERS[kind](shape, count, rng, seed)
    regions = getattr(sample, "regions", None)
    return WorldSample(kind, sample.image, sample.classes, regions, _PRESETS[kind])


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is unknown: choose one of {', '.join(KINDS)}.")


def _dose(rng: np.random.Generator) -> float:
    # Log-uniform between noisy and clean acquisitions.
    return float(np.exp(rng.uniform(np.log(10.0), np.log(200.0))))


_MAKERS: dict[str, Callable[[tuple[int, int], int, np.random.Generator, int], object]] = {
    "sem_grains": lambda shape, n, rng, seed: voronoi_grains(
        shape,
        n,
        contrast=rng.uniform(0.2, 0.6),
        boundary_contrast=rng.choice([-1, 1]) * rng.uniform(0.2, 0.5),
        boundary_width=int(rng.integers(2, 4)),
        dose=_dose(rng),
        seed=seed,
    ),
    "twins": lambda shape, n, rng, seed: annealing_twins(
        shape, n, twin_fraction=rng.uniform(0.3, 0.8), dose=_dose(rng), seed=seed
    ),
    "second_phases": lambda shape, n, rng, seed: second_phases(
        shape,
        n,
        precipitate_fraction=rng.uniform(0.05, 0.3),
        colony_fraction=rng.uniform(0.0, 0.5),
        precipitate_contrast=rng.choice([-1, 1]) * rng.uniform(0.2, 0.4),
        dose=_dose(rng),
        seed=seed,
    ),
    "tint_etch": lambda shape, n, rng, seed: tint_etch(
        shape, n, groove_strength=rng.uniform(0.0, 0.5), seed=seed
    ),
    "ebsd_ipf": lambda shape, n, rng, seed: ipf_map(
        shape,
        n,
        noise_deg=rng.uniform(0.0, 2.0),
        unindexed_fraction=rng.uniform(0.0, 0.05),
        seed=seed,
    ),
    "em_membranes": lambda shape, n, rng, seed: em_membranes(
        shape, n, warp=rng.uniform(0.05, 0.2), dose=_dose(rng), seed=seed
    ),
}
