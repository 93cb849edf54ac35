"""Electron-microscopy membranes: cells with organelles, like serial-section EM.

Cells come from the grain tessellation, warped by a smooth random displacement
so that membranes curve as in tissue. Membranes are thin and dark; cytoplasm is
mid-grey and grainy. Inside cells sit organelles that also have dark rims:
mitochondria (elongated, double rim, cristae across the long axis) and small
round vesicles. Their rims look like membrane but are *not* cell membrane, which
is what makes EM membrane segmentation hard; the labels say so:

* ``cells``: cell ids; ``membranes``: 1 on cell membranes (``classes`` 2);
* ``organelles``: 0 none, 1 mitochondrion, 2 vesicle (see :data:`ORGANELLE_NAMES`),
  never overlapping a membrane and interior (class 1) in ``classes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from skimage.draw import disk, ellipse

from napari_finetune.synth import rendering
from napari_finetune.synth.grain_map import grain_map, random_streams
from napari_finetune.synth.parameters import check_rendering, require
from napari_finetune.synth.tessellation import grain_boundaries

MITOCHONDRION, VESICLE = 1, 2
ORGANELLE_NAMES = {MITOCHONDRION: "mitochondrion", VESICLE: "vesicle"}

_STREAMS = ("sites", "warp", "organelles", "levels", "texture", "noise")
# Grey levels of a heavy-metal stained section (membranes take up the stain).
CYTOPLASM, MEMBRANE, RIM, MATRIX, CRISTA, LUMEN = 0.65, 0.15, 0.18, 0.35, 0.6, 0.85
# Organelles keep this far (px) from the membrane, so labels never touch.
CLEARANCE = 3
TRIES_PER_ORGANELLE = 6
# Cristae repeat (px) across a mitochondrion's long axis.
CRISTA_PERIOD = 5.0


@dataclass(frozen=True)
class MembraneSample:
    """An EM-like micrograph of cells and its exact labels.

    Attributes
    ----------
    image : numpy.ndarray
        float32 ``(rows, cols)`` micrograph, nominally in [0, 1].
    cells : numpy.ndarray
        int32 cell ids.
    membranes : numpy.ndarray
        uint8 mask, 1 on cell membranes.
    organelles : numpy.ndarray
        uint8 organelle classes: 0 none, 1 mitochondrion, 2 vesicle.
    params : dict
        Arguments that regenerate this sample.
    """

    image: np.ndarray
    cells: np.ndarray
    membranes: np.ndarray
    organelles: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    preset: str = "equiaxed"

    @property
    def classes(self) -> np.ndarray:
        """1 = cell interior (organelles included), 2 = membrane."""
        return (1 + self.membranes).astype(np.uint8)


def em_membranes(
    shape: tuple[int, int] = (512, 512),
    n_cells: int = 30,
    *,
    membrane_width: int = 3,
    warp: float = 0.15,
    mitochondria: float = 1.0,
    vesicles: float = 3.0,
    texture: float = 0.06,
    dose: float | None = 60.0,
    blur: float = 1.0,
    seed: int = 0,
) -> MembraneSample:
    """Generate an EM-like image of membrane-bound cells with organelles.

    Parameters
    ----------
    shape : tuple of int
        Image size (rows, columns).
    n_cells : int
        Number of cells.
    membrane_width : int
        Membrane width in px (label and rendering).
    warp : float
        Amplitude of the smooth warp as a fraction of the mean cell diameter;
        0 keeps straight Voronoi walls.
    mitochondria, vesicles : float
        Mean number of each organelle per cell (Poisson).
    texture : float
        Amplitude of the grainy cytoplasm texture.
    dose : float or None
        Electrons per pixel for Poisson noise; None = noise-free.
    blur : float
        Gaussian sigma of the optics, px.
    seed : int
        Random seed; the same seed and parameters give the same sample.

    Returns
    -------
    MembraneSample
        Image, cell ids, membrane mask and organelle classes.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    """
    params = dict(locals())
    require(0 <= warp <= 0.3, "warp", warp, "must be in [0, 0.3]")
    require(mitochondria >= 0, "mitochondria", mitochondria, "must be >= 0")
    require(vesicles >= 0, "vesicles", vesicles, "must be >= 0")
    require(texture >= 0, "texture", texture, "must be >= 0")
    check_rendering(dose, blur, seed)
    streams = random_streams(seed, _STREAMS)
    try:
        cells, _ = grain_map(shape, n_cells, membrane_width, streams["sites"])
    except ValueError as err:  # worded for grains: say the names this function takes
        said = str(err).replace("n_grains", "n_cells").replace("boundary_width", "membrane_width")
        raise ValueError(said.replace("grains", "cells")) from None
    diameter = np.sqrt(4 * cells.size / (np.pi * n_cells))
    cells = _warp(cells, warp * diameter, diameter, streams["warp"])
    membranes = grain_boundaries(cells, membrane_width)
    organelles, mito_axis = _organelles(cells, membranes, diameter, params, streams["organelles"])

    levels = streams["levels"]
    image = (CYTOPLASM + levels.uniform(-0.08, 0.08, n_cells + 1)).astype(np.float32)[cells]
    grain = streams["texture"].standard_normal(shape).astype(np.float32)
    image += texture * ndi.gaussian_filter(grain, 1.0) / 0.28  # std of the filtered noise
    image[membranes > 0] = MEMBRANE
    _draw_organelles(image, organelles, mito_axis)
    image = rendering.detect(np.clip(image, 0, 1), blur, dose, streams["noise"])
    return MembraneSample(image, cells, membranes, organelles, params)


def _warp(
    cells: np.ndarray, amplitude: float, smoothness: float, rng: np.random.Generator
) -> np.ndarray:
    """Resample the id map through a smooth random displacement (ids stay exact)."""
    if amplitude <= 0:
        return cells
    fields = []
    for _ in range(2):
        noise = ndi.gaussian_filter(rng.standard_normal(cells.shape), smoothness / 2)
        fields.append(amplitude * noise / (noise.std() + 1e-12))
    coords = np.indices(cells.shape, dtype=np.float64) + np.stack(fields)
    return ndi.map_coordinates(cells, coords, order=0, mode="nearest").astype(np.int32)


def _organelles(
    cells: np.ndarray,
    membranes: np.ndarray,
    diameter: float,
    params: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Organelle classes and, per pixel of a mitochondrion, its long-axis angle."""
    organelles = np.zeros(cells.shape, np.uint8)
    axis = np.zeros(cells.shape, np.float32)
    room = ndi.distance_transform_edt(membranes == 0) >= CLEARANCE
    # A gap around every organelle, so two never merge into one blob.
    taken = ~room
    candidates = np.flatnonzero(room)
    n_cells = int(cells.max())
    wanted = {
        MITOCHONDRION: rng.poisson(params["mitochondria"] * n_cells),
        VESICLE: rng.poisson(params["vesicles"] * n_cells),
    }
    for kind, count in wanted.items():
        placed = 0
        for _ in range(TRIES_PER_ORGANELLE * count):
            if placed >= count or candidates.size == 0:
                break
            r, c = np.unravel_index(rng.choice(candidates), cells.shape)
            angle = rng.uniform(0, np.pi)
            if kind == MITOCHONDRION:
                long = rng.uniform(0.12, 0.3) * diameter
                radii = (long, max(3.0, rng.uniform(0.3, 0.6) * long))
            else:
                radii = (max(3.0, rng.uniform(0.04, 0.08) * diameter),)
            # The shape always covers its centre: a taken centre is a refusal without
            # drawing anything (most tries, once the cells fill up; the same draws
            # from rng either way, so a seed gives the sample it always gave).
            if taken[r, c]:
                continue
            grown = _organelle_pixels(r, c, radii, angle, cells.shape, margin=2)
            if taken[grown].any() or (cells[grown] != cells[r, c]).any():
                continue
            pixels = _organelle_pixels(r, c, radii, angle, cells.shape)
            taken[grown] = True
            organelles[pixels] = kind
            axis[pixels] = angle
            placed += 1
    return organelles, axis


def _organelle_pixels(
    r: int, c: int, radii: tuple[float, ...], angle: float, shape: tuple, margin: float = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A mitochondrion's ellipse (two radii) or a vesicle's disk (one), grown by ``margin``."""
    if len(radii) == 2:
        return ellipse(r, c, radii[0] + margin, radii[1] + margin, shape, angle)
    return disk((r, c), radii[0] + margin, shape=shape)


def _draw_organelles(image: np.ndarray, organelles: np.ndarray, axis: np.ndarray) -> None:
    """Dark rims, grey mitochondrial matrix with cristae, pale vesicle lumens (in place)."""
    mito = organelles == MITOCHONDRION
    vesicle = organelles == VESICLE
    # Organelles never touch, so eroding the union erodes each one on its own.
    mito_inner = ndi.binary_erosion(mito, iterations=2)
    vesicle_inner = ndi.binary_erosion(vesicle, iterations=1)
    rows, cols = np.indices(image.shape, dtype=np.float32)
    # skimage's ellipse rotation turns the row axis towards -x; this is the
    # coordinate along the long axis, and cristae are stripes across it.
    along = rows * np.cos(axis) - cols * np.sin(axis)
    cristae = np.cos(2 * np.pi * along / CRISTA_PERIOD) > 0.5
    image[mito] = RIM
    image[mito_inner] = MATRIX
    image[mito_inner & cristae] = CRISTA
    image[vesicle] = RIM
    image[vesicle_inner] = LUMEN
