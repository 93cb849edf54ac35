"""Percentile normalisation of an image too large to hold: percentiles from a pixel grid.

:class:`~napari_finetune.data.normalize.Normalization` takes the percentiles of
every pixel, which needs the whole image in memory. Here they come from a
deterministic subsample: the pixels of a regular grid, every ``stride``-th row
and column starting at ``stride // 2`` (so the grid keeps off the borders),
with ``stride`` the smallest whole number that leaves at most ``max_pixels``
pixels. An image of up to ``max_pixels`` pixels has ``stride == 1``: every
pixel is taken and the result is exactly the in-memory one. The grid is read a
few rows at a time, so memory stays at one block of rows whatever the image.

How far from exact: on 4 Mpx (the default) the 1st and 99.5th percentiles of
a micrograph move by a few thousandths of the image's intensity span, which
changes the predicted probabilities by far less than the model's own error
(``tests/inference/test_lazy.py`` measures it). A grid can alias a pattern
whose period divides the stride (scan lines every 16 rows, say); such an image
needs a larger ``max_pixels``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from napari_finetune.data.normalize import (
    OUTLIER_LIMIT,
    Normalization,
    percentile_span,
    working_dtype,
)

SAMPLE_PIXELS = 2048 * 2048
# Grid rows read at once: bounded reads on any image width.
_ROWS_PER_READ = 64


def sample_stride(rows: int, cols: int, max_pixels: int = SAMPLE_PIXELS) -> int:
    """The smallest grid step that samples at most ``max_pixels`` of a ``rows × cols`` image."""
    if max_pixels < 1:
        raise ValueError(f"max_pixels={max_pixels} must be at least 1.")
    stride = max(1, math.ceil(math.sqrt(rows * cols / max_pixels)))
    while math.ceil(rows / stride) * math.ceil(cols / stride) > max_pixels:
        stride += 1
    return stride


@dataclass(frozen=True)
class FixedNormalization:
    """Map given ``low`` and ``high`` values (one per channel) to 0 and 1.

    The arithmetic is that of :class:`~napari_finetune.data.normalize.Normalization`
    (in :func:`~napari_finetune.data.normalize.working_dtype` of the piece,
    constant spans by :func:`~napari_finetune.data.normalize.percentile_span`,
    clipped to ±``OUTLIER_LIMIT``), so that with the same percentiles a tile is
    normalised as the whole image is, within float32 rounding (1e-7).
    ``stride`` records the sampling grid the values came from (1: every pixel).
    """

    low: tuple[float, ...]
    high: tuple[float, ...]
    stride: int = 1

    def __call__(self, piece: np.ndarray) -> np.ndarray:
        """Normalised float32 copy of a ``(rows, cols, channels)`` piece of the image."""
        piece = np.asarray(piece)
        work = working_dtype(piece.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._map(piece, work)
            if not np.isfinite(out).all() and np.isfinite(piece).all():
                # Beyond float32's range: the same map in float64.
                out = self._map(piece, np.float64)
        np.clip(out, -OUTLIER_LIMIT, OUTLIER_LIMIT, out=out)
        return out.astype(np.float32, copy=False)

    def _map(self, piece: np.ndarray, work: type[np.floating]) -> np.ndarray:
        lo = np.asarray(self.low, work)
        span = percentile_span(lo, np.asarray(self.high, work), work)
        return (np.asarray(piece, dtype=work) - lo) / span

    def to_dict(self) -> dict:
        """Plain data for the output store's attributes."""
        return {
            "low_values": list(self.low),
            "high_values": list(self.high),
            "stride": self.stride,
        }


def grid_sample(image: object, stride: int, rows: int | None = None) -> np.ndarray:
    """The pixels of the sampling grid, ``(n, channels)``, read a block of rows at a time.

    The values are float32, or float64 for images that
    :func:`~napari_finetune.data.normalize.working_dtype` computes in float64
    (float64, integers wider than 16 bits): the percentiles must be those of
    :class:`~napari_finetune.data.normalize.Normalization`.

    Parameters
    ----------
    image : array-like
        ``(rows, cols)`` or ``(rows, cols, channels)``, sliced with steps
        (a dask or zarr array, a memory map, a NumPy array).
    stride : int
        Grid step in rows and columns; 1 takes every pixel.
    rows : int, optional
        Sample only the first ``rows`` rows (the specimen above a data bar).
    """
    rows = image.shape[0] if rows is None else min(rows, image.shape[0])
    work = working_dtype(image.dtype)
    start = stride // 2 if stride > 1 else 0
    step = _ROWS_PER_READ * stride
    blocks = []
    for y in range(start, rows, step):
        block = np.asarray(image[y : min(y + step, rows) : stride, start::stride])
        block = block.reshape(-1, block.shape[2] if block.ndim == 3 else 1)
        blocks.append(np.asarray(block, dtype=work))
    return np.concatenate(blocks)


def sampled_normalization(
    normalization: Normalization,
    image: object,
    max_pixels: int = SAMPLE_PIXELS,
    rows: int | None = None,
) -> FixedNormalization:
    """Percentiles of ``image`` from a grid of at most ``max_pixels`` pixels (see the module).

    Parameters
    ----------
    normalization : Normalization
        The model's normalisation: which percentiles (``low``, ``high``).
    image : array-like
        ``(rows, cols)`` or ``(rows, cols, channels)``, read lazily.
    max_pixels : int
        Largest sample; images this small or smaller are sampled whole (exact).
    rows : int, optional
        Take the percentiles of the first ``rows`` rows only: the specimen of an
        SEM image above its data bar, whose black and white would set them.

    Returns
    -------
    FixedNormalization
        The percentiles per channel, and the grid step they came from.

    Raises
    ------
    ValueError
        If a sampled pixel is NaN or infinite (before any band is predicted).
    """
    rows = image.shape[0] if rows is None else min(rows, image.shape[0])
    stride = sample_stride(rows, image.shape[1], max_pixels)
    sample = grid_sample(image, stride, rows)
    bad = int(np.count_nonzero(~np.isfinite(sample)))
    if bad:
        # Percentiles would be NaN and every band class 1, written as if final.
        raise ValueError(
            f"image contains NaN or infinite values ({bad:,} of {sample.shape[0]:,} pixels "
            f"sampled every {stride} rows and columns): fill or crop them away first."
        )
    lo, hi = np.percentile(sample, (normalization.low, normalization.high), axis=0)
    return FixedNormalization(tuple(float(v) for v in lo), tuple(float(v) for v in hi), stride)
