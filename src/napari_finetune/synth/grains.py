"""Synthetic Voronoi grain microstructures with exact, free labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from napari_finetune.synth import rendering
from napari_finetune.synth.generation_cost import check_fits_in_memory
from napari_finetune.synth.grain_map import random_streams
from napari_finetune.synth.parameters import GrainParameters, TargetDomain
from napari_finetune.synth.seeds import place_sites
from napari_finetune.synth.tessellation import grain_boundaries, tessellate

# Independent random streams, so that switching on the target domain (or
# changing the dose) keeps the same grains, grey levels and so on for a seed.
_STREAMS = ("sites", "levels", "topography", "noise", "target")


@dataclass(frozen=True)
class GrainSample:
    """A synthetic micrograph and its exact labels.

    Attributes
    ----------
    image : numpy.ndarray
        float32 ``(rows, cols)`` rendered micrograph, nominally in [0, 1].
    grains : numpy.ndarray
        int32 grain ids ``1..n_grains``, one per grain.
    boundaries : numpy.ndarray
        uint8 mask, 1 on grain boundaries.
    params : GrainParameters
        Everything needed to regenerate this sample.
    """

    image: np.ndarray
    grains: np.ndarray
    boundaries: np.ndarray
    params: GrainParameters

    @property
    def classes(self) -> np.ndarray:
        """Training labels as painted in napari: 1 = grain interior, 2 = boundary."""
        return (1 + self.boundaries).astype(np.uint8)


def voronoi_grains(
    shape: tuple[int, int] = (512, 512),
    n_grains: int | None = None,
    *,
    mean_diameter: float | None = None,
    size_spread: float = 0.3,
    boundary_width: int = 3,
    morphology: str = "equiaxed",
    elongation: float | None = None,
    direction: float = 90.0,
    contrast: float = 0.4,
    boundary_contrast: float = 0.35,
    dose: float | None = 50.0,
    blur: float = 1.0,
    target_domain: bool | TargetDomain = False,
    seed: int = 0,
) -> GrainSample:
    """Generate a polycrystal micrograph with its grain ids and boundaries.

    Parameters
    ----------
    shape : tuple of int
        Image size (rows, columns), each at least 16 px.
    n_grains : int, optional
        Number of grains; the default is 60. Give this or ``mean_diameter``.
    mean_diameter : float, optional
        Mean equivalent-circle grain diameter in pixels, instead of ``n_grains``.
    size_spread : float
        Spread of grain sizes, as the standard deviation of the log of the local
        grain diameter: 0 gives near-uniform grains, 1 fine and coarse regions.
    boundary_width : int
        Width of the boundary label and of the rendered groove, in pixels.
    morphology : {'equiaxed', 'elongated'}
        ``'elongated'`` makes columnar grains as in directional solidification.
    elongation : float, optional
        Aspect ratio of elongated grains (default 3; must be 1 for equiaxed).
    direction : float
        Long axis of elongated grains in degrees counter-clockwise from the
        image x axis: 90 = vertical columns (growth along the thermal gradient).
    contrast : float
        Spread of grain grey levels in [0, 1] (orientation contrast).
    boundary_contrast : float
        Depth of the boundary grooves: > 0 dark (etched), < 0 bright edges.
    dose : float or None
        Electrons per pixel at full signal for Poisson noise; None = noise-free.
    blur : float
        Gaussian sigma of the probe in pixels.
    target_domain : bool or TargetDomain
        Render the *target domain*: scan-line jitter, vignetting and slow
        gain/offset drift on top of the SEM chain (True uses default strengths).
    seed : int
        Random seed; the same seed and parameters give the same sample.

    Returns
    -------
    GrainSample
        ``.image`` (float32), ``.grains`` (int32), ``.boundaries`` (uint8 0/1).

    Raises
    ------
    ValueError
        If a parameter is out of range; the message names it and says why.
    """
    domain = TargetDomain() if target_domain is True else (target_domain or None)
    params = GrainParameters(
        shape=shape,
        n_grains=n_grains,
        mean_diameter=mean_diameter,
        size_spread=size_spread,
        boundary_width=boundary_width,
        morphology=morphology,
        elongation=elongation,
        direction=direction,
        contrast=contrast,
        boundary_contrast=boundary_contrast,
        dose=dose,
        blur=blur,
        target_domain=domain,
        seed=seed,
    )
    return render_sample(params)


def render_sample(params: GrainParameters) -> GrainSample:
    """Generate the sample described by already-validated ``params``."""
    check_fits_in_memory(params)
    streams = random_streams(params.seed, _STREAMS)
    sites = place_sites(
        params.shape,
        params.grain_count,
        params.size_spread,
        params.hard_core_diameter,
        params.direction,
        params.elongation,
        streams["sites"],
    )
    domain = params.target_domain
    target = streams["target"]
    jitter = None
    if domain is not None and domain.scan_jitter_px > 0:
        jitter = rendering.scan_line_jitter(params.shape[0], domain.scan_jitter_px, target)
    grains = tessellate(sites, params.shape, params.direction, params.elongation, jitter)
    boundaries = grain_boundaries(grains, params.boundary_width)

    image = rendering.grain_levels(grains, params.grain_count, params.contrast, streams["levels"])
    image *= rendering.topography(params.shape, streams["topography"])
    image = rendering.draw_boundaries(image, boundaries, params.boundary_contrast)
    if domain is not None:
        gain, offset = rendering.acquisition_gain(params.shape, domain, target)
        image = image * gain + offset
    image = rendering.detect(image, params.blur, params.dose, streams["noise"])
    return GrainSample(image=image, grains=grains, boundaries=boundaries, params=params)
