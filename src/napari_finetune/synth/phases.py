"""Second phases: precipitates in and on grains, and lamellar colonies.

Two microstructures that grain-only models never see:

* **Precipitates**, as gamma-prime in nickel superalloys: rounded cuboids of a
  range of sizes inside grains, all aligned with their grain's cube axes (so the
  alignment changes from grain to grain), plus rounded particles sitting on the
  grain boundaries (carbides, allotriomorphs).
* **Lamellar colonies**, as pearlite in steel: some grains are filled with thin
  parallel plates alternating with matrix, one plate direction per colony.

Region classes (:attr:`PhaseSample.regions`, see :data:`REGION_NAMES`):
1 = matrix, 2 = precipitate, 3 = lamellar colony (plates and the matrix
between them; the plates alone are in :attr:`PhaseSample.lamellae`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from napari_finetune.synth import rendering
from napari_finetune.synth.grain_map import grain_map, random_streams
from napari_finetune.synth.parameters import check_rendering, require
from napari_finetune.synth.phase_classes import LAMELLAR, MATRIX, PRECIPITATE
from napari_finetune.synth.precipitates import boundary_particles, intragranular_cuboids

_STREAMS = ("sites", "colonies", "precipitates", "levels", "topography", "noise")
# Cementite is about an eighth of pearlite by volume; plates are drawn thicker
# so that they survive the probe blur at typical magnifications.
PLATE_FRACTION = 0.35


@dataclass(frozen=True)
class PhaseSample:
    """A two-phase micrograph and its exact labels.

    Attributes
    ----------
    image : numpy.ndarray
        float32 ``(rows, cols)`` micrograph, nominally in [0, 1].
    grains : numpy.ndarray
        int32 grain ids of the matrix.
    boundaries : numpy.ndarray
        uint8 mask, 1 on grain boundaries (also under boundary precipitates).
    regions : numpy.ndarray
        uint8 region classes: 1 matrix, 2 precipitate, 3 lamellar colony.
    lamellae : numpy.ndarray
        uint8 mask, 1 on the plates of lamellar colonies.
    params : dict
        Arguments that regenerate this sample.
    """

    image: np.ndarray
    grains: np.ndarray
    boundaries: np.ndarray
    regions: np.ndarray
    lamellae: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    preset: str = "equiaxed"

    @property
    def classes(self) -> np.ndarray:
        """1 = grain interior, 2 = grain boundary (whatever the phase)."""
        return (1 + self.boundaries).astype(np.uint8)


def second_phases(
    shape: tuple[int, int] = (512, 512),
    n_grains: int = 25,
    *,
    precipitate_fraction: float = 0.15,
    precipitate_size: tuple[float, float] = (5.0, 12.0),
    boundary_spacing: float | None = 40.0,
    colony_fraction: float = 0.25,
    lamella_spacing: tuple[float, float] = (5.0, 9.0),
    boundary_width: int = 2,
    contrast: float = 0.2,
    precipitate_contrast: float = 0.3,
    boundary_contrast: float = 0.35,
    dose: float | None = 50.0,
    blur: float = 1.0,
    seed: int = 0,
) -> PhaseSample:
    """Generate grains with precipitates and lamellar colonies, with region labels.

    Parameters
    ----------
    shape : tuple of int
        Image size (rows, columns).
    n_grains : int
        Number of matrix grains.
    precipitate_fraction : float
        Wanted area fraction of intragranular precipitates in non-colony grains.
    precipitate_size : tuple of float
        Range of cuboid edge lengths, px.
    boundary_spacing : float or None
        Mean distance between precipitates along grain boundaries, px; None = none.
    colony_fraction : float
        Probability in [0, 1] that a grain is a lamellar colony.
    lamella_spacing : tuple of float
        Range of plate repeat distances, px (one per colony).
    boundary_width : int
        Width of the grain-boundary label and groove, px.
    contrast : float
        Spread of matrix grain grey levels in [0, 1].
    precipitate_contrast : float
        Grey-level step of precipitates and plates over the matrix mean:
        > 0 brighter (as standing proud after etching), < 0 darker.
    boundary_contrast : float
        Depth of the grain-boundary grooves in [0, 1].
    dose : float or None
        Electrons per pixel for Poisson noise; None = noise-free.
    blur : float
        Gaussian sigma of the probe, px.
    seed : int
        Random seed; the same seed and parameters give the same sample.

    Returns
    -------
    PhaseSample
        Image, grain ids, boundaries, region classes (1 matrix, 2 precipitate,
        3 lamellar colony) and the plate mask.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    """
    params = dict(locals())
    require(
        0 <= precipitate_fraction < 0.6,
        "precipitate_fraction",
        precipitate_fraction,
        "must be in [0, 0.6)",
    )
    require(
        2 <= precipitate_size[0] <= precipitate_size[1],
        "precipitate_size",
        precipitate_size,
        "must be a (low, high) edge range of at least 2 px",
    )
    require(
        boundary_spacing is None or boundary_spacing > 0,
        "boundary_spacing",
        boundary_spacing,
        "must be a positive distance in px, or None",
    )
    require(0 <= colony_fraction <= 1, "colony_fraction", colony_fraction, "must be in [0, 1]")
    require(
        2 <= lamella_spacing[0] <= lamella_spacing[1],
        "lamella_spacing",
        lamella_spacing,
        "must be a (low, high) range of at least 2 px",
    )
    require(
        -1 <= precipitate_contrast <= 1,
        "precipitate_contrast",
        precipitate_contrast,
        "must be in [-1, 1]",
    )
    check_rendering(dose, blur, seed, contrast=contrast, boundary_contrast=boundary_contrast)
    streams = random_streams(seed, _STREAMS)
    grains, boundaries = grain_map(shape, n_grains, boundary_width, streams["sites"])
    regions = np.full(grains.shape, MATRIX, np.uint8)
    lamellae = _lamellar_colonies(grains, colony_fraction, lamella_spacing, streams["colonies"])
    regions[lamellae > 0] = LAMELLAR

    # Intragranular particles first, so boundary ones keep clear of them.
    rng = streams["precipitates"]
    for rr, cc in intragranular_cuboids(grains, boundaries, regions, params, rng):
        regions[rr, cc] = PRECIPITATE
    if boundary_spacing is not None:
        for rr, cc in boundary_particles(grains, boundaries, regions, params, rng):
            regions[rr, cc] = PRECIPITATE

    image = rendering.grain_levels(grains, n_grains, contrast, streams["levels"])
    image *= rendering.topography(grains.shape, streams["topography"])
    image = rendering.draw_boundaries(image, boundaries, boundary_contrast)
    # Second phases are drawn over the grooves: a particle on a boundary hides it.
    mean = float(image.mean())
    second_phase = np.float32(np.clip(mean + precipitate_contrast, 0.02, 1.0))
    image[regions == PRECIPITATE] = second_phase
    image[lamellae == 1] = second_phase
    # The matrix between plates etches deeper than free matrix, which is what
    # makes a colony read as stripes rather than as a grain with faint lines.
    image[lamellae == 2] = np.float32(np.clip(mean - precipitate_contrast / 2, 0.02, 1.0))
    image = rendering.detect(image, blur, dose, streams["noise"])
    plates = (lamellae == 1).astype(np.uint8)
    return PhaseSample(image, grains, boundaries, regions, plates, params)


def _lamellar_colonies(
    grains: np.ndarray,
    fraction: float,
    spacing: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """0 outside colonies, 1 on plates, 2 on the matrix between plates."""
    n = int(grains.max())
    # Per-grain draws happen for every grain, so the fraction does not reshuffle them.
    chosen = rng.uniform(size=n + 1) < fraction
    angles = np.radians(rng.uniform(0, 180, n + 1))
    repeat = rng.uniform(*spacing, n + 1)
    phase = rng.uniform(0, 1, n + 1)
    chosen[0] = False
    yy, xx = np.indices(grains.shape, dtype=np.float32)
    # Position along each colony's plate normal, in repeats; plates where the
    # fractional part is small: straight, parallel, evenly spaced.
    along = (yy * np.cos(angles)[grains] + xx * np.sin(angles)[grains]) / repeat[grains]
    plate = np.mod(along + phase[grains], 1.0) < PLATE_FRACTION
    return np.where(chosen[grains], np.where(plate, 1, 2), 0).astype(np.uint8)
