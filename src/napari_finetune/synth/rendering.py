"""Turn a grain map into an SEM-like micrograph, and into a *target-domain* one.

The SEM chain: one grey level per grain (orientation/channelling contrast), a
faint topography, boundaries as dark grooves (etched) or bright edges
(secondary-electron edge effect), the probe's blur, then Poisson shot noise at
a given dose. The target domain adds what separates a simulation from a real
instrument: scan-line jitter (applied to the geometry, see
:func:`scan_line_jitter`), vignetting and slow drift of gain and offset.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from scipy.signal import lfilter

from napari_finetune.synth.parameters import TargetDomain

# Topography is a weak (3 %) low-frequency intensity modulation: enough that
# grains are not perfectly flat, far too weak to hide a boundary.
TOPOGRAPHY_AMPLITUDE = 0.03
# AR(1) memory of the scan-line offsets: neighbouring lines jitter together.
JITTER_MEMORY = 0.7


def grain_levels(
    grains: np.ndarray, n_grains: int, contrast: float, rng: np.random.Generator
) -> np.ndarray:
    """A constant grey level per grain, uniform in ``0.5 +/- contrast / 2``."""
    levels = rng.uniform(0.5 - contrast / 2, 0.5 + contrast / 2, n_grains + 1)
    return levels.astype(np.float32)[grains]


def topography(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A smooth multiplicative field ``1 +/- TOPOGRAPHY_AMPLITUDE``.

    A sum of three outer products of smooth 1-D curves: as smooth as a cubic
    zoom of random noise but ~20x cheaper on a 2048^2 image.
    """
    rows, cols = shape
    field = np.zeros(shape, np.float32)
    for _ in range(3):
        field += np.outer(_smooth_curve(rows, rng), _smooth_curve(cols, rng))
    field /= np.abs(field).max() + 1e-6
    return 1 + TOPOGRAPHY_AMPLITUDE * field


def _smooth_curve(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random curve with one to two slow cycles over ``n`` samples."""
    t = np.linspace(0, 1, n, dtype=np.float32)
    return np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 2 * np.pi))


def draw_boundaries(
    image: np.ndarray, boundaries: np.ndarray, boundary_contrast: float
) -> np.ndarray:
    """Darken (positive contrast) or brighten (negative) the boundary pixels.

    The grooves are drawn from the boundary mask itself so that what a model
    sees is exactly what the label marks; the probe blur softens them later.
    """
    strength = abs(boundary_contrast) * boundaries.astype(np.float32)
    if boundary_contrast >= 0:
        return image * (1 - strength)
    return image + strength * (1 - image)


def scan_line_jitter(rows: int, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Horizontal offset (px) of each scan line: AR(1) noise with std ``amplitude``."""
    burn_in = 50  # lets the filter forget its zero start, so every row has the same std
    shocks = rng.standard_normal(rows + burn_in)
    innovation = np.sqrt(1 - JITTER_MEMORY**2)
    offsets = lfilter([innovation], [1, -JITTER_MEMORY], shocks)[burn_in:]
    return amplitude * offsets


def acquisition_gain(
    shape: tuple[int, int], domain: TargetDomain, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative gain field (vignetting x drift) and per-row offset drift.

    Returns
    -------
    gain : numpy.ndarray
        float32 ``shape`` field; 1 at the brightest point.
    offset : numpy.ndarray
        float32 ``(rows, 1)`` additive drift of the black level.
    """
    rows, cols = shape
    centre = np.array(shape) / 2 * (1 + rng.uniform(-0.15, 0.15, 2))
    y = (np.arange(rows, dtype=np.float32) - centre[0])[:, None]
    x = (np.arange(cols, dtype=np.float32) - centre[1])[None, :]
    r2 = y**2 + x**2
    vignette = 1 - domain.vignetting * r2 / r2.max()
    # Drift is slow: one or two random cycles over the whole acquisition.
    gain_drift = 1 + domain.drift * _smooth_curve(rows, rng)
    offset_drift = 0.5 * domain.drift * _smooth_curve(rows, rng)
    return (vignette * gain_drift[:, None]).astype(np.float32), offset_drift[:, None]


def detect(
    image: np.ndarray, blur: float, dose: float | None, rng: np.random.Generator
) -> np.ndarray:
    """Probe blur then shot noise: ``Poisson(dose * image) / dose``.

    Parameters
    ----------
    image : numpy.ndarray
        Noise-free signal, nominally in [0, 1].
    blur : float
        Gaussian sigma of the probe in pixels (0 = none).
    dose : float or None
        Electrons per pixel at signal 1; ``None`` means noise-free.
    rng : numpy.random.Generator
        Noise source.

    Returns
    -------
    numpy.ndarray
        float32 image.
    """
    if blur > 0:
        image = ndi.gaussian_filter(image, sigma=blur)
    if dose is not None:
        counts = rng.poisson(np.clip(image, 0, None) * dose)
        image = counts.astype(np.float32) / np.float32(dose)
    return image.astype(np.float32, copy=False)
