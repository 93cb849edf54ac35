"""Hand-made kernels beside the learned ones: presets, parsing, applying, comparing.

The kernel playground of the *Feature maps* dock: a user types a 3x3 or 5x5
grid of numbers (or picks Sobel, Laplacian or Gaussian), sees its response on
the image, and learns which of the network's first-layer filters look most
like it.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from scipy import ndimage as ndi

from napari_finetune.data.channel_axis import without_grey_axis
from napari_finetune.data.normalize import Normalization

_SMOOTH = {3: np.array([1.0, 2, 1]), 5: np.array([1.0, 4, 6, 4, 1])}
_SLOPE = {3: np.array([-1.0, 0, 1]), 5: np.array([-1.0, -2, 0, 2, 1])}

# name -> {size: kernel}. Sobel x responds to intensity rising to the right (a
# vertical edge), Sobel y to intensity rising downwards (a horizontal edge).
KERNEL_PRESETS: dict[str, dict[int, np.ndarray]] = {
    "Sobel x": {n: np.outer(_SMOOTH[n], _SLOPE[n]) for n in (3, 5)},
    "Sobel y": {n: np.outer(_SLOPE[n], _SMOOTH[n]) for n in (3, 5)},
    "Laplacian": {
        3: np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]),
        # The common 5x5 Laplacian of Gaussian: a wider, smoother blob detector.
        5: np.array(
            [
                [0.0, 0, 1, 0, 0],
                [0, 1, 2, 1, 0],
                [1, 2, -16, 2, 1],
                [0, 1, 2, 1, 0],
                [0, 0, 1, 0, 0],
            ]
        ),
    },
    "Gaussian": {n: np.outer(_SMOOTH[n], _SMOOTH[n]) / _SMOOTH[n].sum() ** 2 for n in (3, 5)},
}
KERNEL_SIZES = (3, 5)


def kernel_preset(name: str, size: int = 3) -> np.ndarray:
    """A copy of a preset kernel (float64, ``size`` x ``size``).

    Raises
    ------
    ValueError
        For an unknown name or size, naming the known ones.
    """
    if name not in KERNEL_PRESETS:
        raise ValueError(f"kernel preset {name!r} is unknown: choose {', '.join(KERNEL_PRESETS)}.")
    if size not in KERNEL_PRESETS[name]:
        raise ValueError(f"size={size!r}: presets come in {' and '.join(map(str, KERNEL_SIZES))}.")
    return KERNEL_PRESETS[name][size].copy()


def kernel_cells(kernel: np.ndarray) -> list[list[str]]:
    """The kernel as cell texts: integers as such, small fractions as ``'1/16'``."""

    def text(value: float) -> str:
        exact = Fraction(float(value)).limit_denominator(256)
        if float(exact) != float(value):
            return f"{value:.4g}"
        return str(exact)  # '2', '-1', '1/16'

    return [[text(v) for v in row] for row in np.asarray(kernel, float)]


class KernelCellError(ValueError):
    """A kernel cell that is not a number; ``row`` and ``column`` count from 1."""

    def __init__(self, message: str, row: int, column: int) -> None:
        super().__init__(message)
        self.row, self.column = row, column


def parse_kernel(cells: Sequence[Sequence[str]]) -> np.ndarray:
    """A kernel from a square grid of cell texts (``'2'``, ``'-0.5'``, ``'1/16'``, ``'3e-2'``).

    Raises
    ------
    KernelCellError
        A ValueError naming the first cell that is not a finite number ("row 2,
        column 3: 'abc' is not a number"; also in its ``row`` and ``column``).
    ValueError
        For a grid that is not square with an odd side.
    """
    rows = [list(row) for row in cells]
    size = len(rows)
    if size == 0 or size % 2 == 0 or any(len(row) != size for row in rows):
        shape = f"{size} rows of {sorted({len(r) for r in rows})} cells"
        raise ValueError(f"a kernel needs a square grid with an odd side (3x3, 5x5), not {shape}.")
    kernel = np.empty((size, size))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            text = str(cell).strip().replace("−", "-")  # a typographic minus pasted in
            where = f"row {i + 1}, column {j + 1}"
            if not text:
                raise KernelCellError(
                    f"{where} is empty: enter a number (0 for nothing).", i + 1, j + 1
                )
            value = _cell_value(text)
            if value is None:
                raise KernelCellError(f"{where}: {cell!r} is not a number.", i + 1, j + 1)
            if not np.isfinite(value):
                raise KernelCellError(
                    f"{where}: {cell!r} is not a finite number: give one within ±1e308.",
                    i + 1,
                    j + 1,
                )
            kernel[i, j] = value
    return kernel


def _cell_value(text: str) -> float | None:
    """The cell's number (inf or NaN for those, or beyond the floats); None if not a number."""
    try:
        return float(Fraction(text))
    except OverflowError:  # '1e400': a Fraction, beyond the largest float
        return np.inf
    except (ValueError, ZeroDivisionError):
        # Fraction takes no 'inf' or 'nan': say what they are rather than 'not a number'.
        return np.nan if text.lower().lstrip("+-") in {"inf", "infinity", "nan"} else None


def grey_normalised(image: np.ndarray, normalization: Normalization | None = None) -> np.ndarray:
    """A 2D float32 plane as the model would see it; RGB as the mean of its normalised channels.

    A grey plane with its channel axis, ``(rows, cols, 1)``, is grey, as
    :func:`~napari_finetune.inference.predict.as_planes` reads it
    (:func:`~napari_finetune.data.channel_axis.without_grey_axis`).

    Raises
    ------
    ValueError
        For non-numeric data, more than one plane, or NaN or infinite values
        (as :func:`~napari_finetune.inference.predict.as_planes` refuses them).
    """
    image = np.asarray(image)
    if image.dtype.kind not in "biuf":
        raise ValueError(f"image dtype {image.dtype} is not numeric.")
    image = without_grey_axis(image)  # a view
    colour = image.ndim == 3 and image.shape[-1] in (3, 4)
    if image.ndim != 2 and not colour:
        raise ValueError(f"image of shape {image.shape} is not one 2D plane: give one plane.")
    if not np.all(np.isfinite(image)):
        # One NaN spreads through the normalisation's percentiles: the whole response is NaN.
        raise ValueError("image contains NaN or infinite values.")
    normalised = (normalization or Normalization())(image[..., :3] if colour else image)
    return normalised.mean(axis=-1) if colour else normalised


def apply_kernel(
    image: np.ndarray, kernel: np.ndarray, normalization: Normalization | None = None
) -> np.ndarray:
    """The response of one hand-made kernel on an image, as a CNN's first layer computes it.

    Parameters
    ----------
    image : numpy.ndarray
        One 2D grey or RGB plane.
    kernel : numpy.ndarray
        2D kernel (e.g. :func:`parse_kernel` or :func:`kernel_preset`).
    normalization : Normalization, optional
        How the model normalises images (default: its usual percentiles).

    Returns
    -------
    numpy.ndarray
        float32 ``(rows, cols)``. A correlation (:func:`scipy.ndimage.correlate`),
        not a convolution: the kernel is not flipped, exactly as a CNN's
        ``Conv2d`` applies its weights, so the numbers typed compare directly
        with the learned ones. Borders are mirrored (``mode='reflect'``).
    """
    plane = grey_normalised(image, normalization)
    return ndi.correlate(plane, np.asarray(kernel, np.float32), mode="reflect")
