"""Robust per-image intensity normalisation (percentiles), stored with the model.

Microscope images come as uint8, uint16 or calibrated floats with arbitrary
offsets and hot pixels; mapping each image's low and high percentiles to 0 and 1
makes a model trained on one session usable on the next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# Normalised values are kept within this many percentile spans of 0: a hot
# pixel still reads as far brighter than anything else, but values near
# float32's limit (3.4e38) made the network's activations overflow into NaN.
OUTLIER_LIMIT = 1e6


def working_dtype(dtype: np.dtype | type) -> type[np.floating]:
    """The float type percentiles and ``(x - lo) / span`` are computed in for ``dtype``.

    float64 for float64 (and wider) images and for integers wider than 16 bits:
    float32's 24-bit mantissa merges their levels (a height map of
    2e6 + [0, 1) keeps 9 distinct values, int64 1e8 + 0..999 only 126).
    float32 otherwise, which holds every 8- and 16-bit level exactly.

    Parameters
    ----------
    dtype : numpy.dtype or type
        The image's dtype (anything :class:`numpy.dtype` accepts).

    Returns
    -------
    type
        ``numpy.float64`` or ``numpy.float32`` (the scalar type, not a dtype).
    """
    dtype = np.dtype(dtype)
    if (dtype.kind == "f" and dtype.itemsize > 4) or (dtype.kind in "iu" and dtype.itemsize > 2):
        return np.float64
    return np.float32


def percentile_span(lo: np.ndarray, hi: np.ndarray, work: type[np.floating]) -> np.ndarray:
    """``hi - lo``, or a divisor that maps ``x`` to about 0 where the image is flat.

    Flat means a span of at most one rounding step of the values' magnitude
    (``eps * max(|lo|, |hi|)`` in the working type ``work``, and no less than
    its smallest normal number), zero included. The floor is relative, not
    absolute: an image in small units (currents in amperes, a span of 3e-13)
    is still stretched to 0..1. A flat image is divided by ``max(|lo|, |hi|, 1)``
    so that rounding steps stay near 0 at any magnitude while a bright outlier
    over a flat background still stands out (by ``x - lo`` for values under 1).

    Parameters
    ----------
    lo, hi : numpy.ndarray
        The low and high percentiles, per channel, in the image's units; any
        shapes that broadcast together (``(1, 1[, channels])`` from
        :meth:`Normalization.bounds`).
    work : type
        The float type to compute in (:func:`working_dtype`).

    Returns
    -------
    numpy.ndarray
        The divisor, of dtype ``work`` and the broadcast shape of ``lo`` and
        ``hi``, in the image's units; positive wherever both are finite.
    """
    lo, hi = np.asarray(lo, work), np.asarray(hi, work)
    span = hi - lo
    scale = np.maximum(np.abs(lo), np.abs(hi))
    info = np.finfo(work)
    # "not >" so that a NaN span also counts as flat rather than spreading NaN.
    flat = ~(span > np.maximum(info.eps * scale, info.tiny))
    return np.where(flat, np.maximum(scale, work(1)), span).astype(work, copy=False)


@dataclass(frozen=True)
class Normalization:
    """Map each image's ``low`` and ``high`` percentiles to 0 and 1.

    RGB images are normalised per channel; the result is float32 and clipped
    only far out, to ±``OUTLIER_LIMIT`` (bright outliers stay > 1 rather than
    being flattened, but never overflow the network). The arithmetic runs in
    :func:`working_dtype` (float64 for float64 and > 16-bit integer images) and
    a constant image is told by :func:`percentile_span`.
    """

    low: float = 1.0
    high: float = 99.5

    def __post_init__(self) -> None:
        if not 0 <= self.low < self.high <= 100:
            raise ValueError(
                f"normalisation percentiles low={self.low}, high={self.high} must satisfy "
                "0 <= low < high <= 100."
            )

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Normalised float32 copy of a (rows, cols) or (rows, cols, channels) image."""
        source = np.asarray(image)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._map(np.asarray(source, dtype=working_dtype(source.dtype)))
        if not np.isfinite(out).all() and np.isfinite(source).all():
            # Values near or beyond float32's range (float64 images up to 1.8e308)
            # overflow on the way: redo the arithmetic in float64, scaled to ±1.
            data = np.asarray(source, dtype=np.float64)
            data = data / max(float(np.abs(data).max()), np.finfo(np.float64).tiny)
            out = self._map(data)
        np.clip(out, -OUTLIER_LIMIT, OUTLIER_LIMIT, out=out)
        return out.astype(np.float32, copy=False)

    def bounds(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel low percentile and span of ``image``: ``normalised = (x - low) / span``.

        Computed in :func:`working_dtype` and shaped ``(1, 1[, channels])`` so that
        they broadcast against the image; the span of a flat image is
        :func:`percentile_span`'s divisor.
        """
        data = np.asarray(image)
        data = np.asarray(data, dtype=working_dtype(data.dtype))
        lo, hi = np.percentile(data, (self.low, self.high), axis=(0, 1), keepdims=True)
        return lo, percentile_span(lo, hi, data.dtype.type)

    def _map(self, data: np.ndarray) -> np.ndarray:
        lo, span = self.bounds(data)
        return (data - lo) / span

    def to_dict(self) -> dict:
        """Plain data for checkpoint metadata."""
        return {"method": "percentile", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Normalization:
        """Inverse of :meth:`to_dict`."""
        if data.get("method", "percentile") != "percentile":
            raise ValueError(f"normalisation method {data.get('method')!r} is not supported.")
        return cls(float(data["low"]), float(data["high"]))
