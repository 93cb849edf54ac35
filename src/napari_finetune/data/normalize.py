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


@dataclass(frozen=True)
class Normalization:
    """Map each image's ``low`` and ``high`` percentiles to 0 and 1.

    RGB images are normalised per channel; the result is float32 and clipped
    only far out, to ±``OUTLIER_LIMIT`` (bright outliers stay > 1 rather than
    being flattened, but never overflow the network).
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
            out = self._map(np.asarray(source, dtype=np.float32))
        if not np.isfinite(out).all() and np.isfinite(source).all():
            # Values near or beyond float32's range (float64 images up to 1.8e308)
            # overflow on the way: redo the arithmetic in float64, scaled to ±1.
            data = np.asarray(source, dtype=np.float64)
            data = data / max(float(np.abs(data).max()), np.finfo(np.float64).tiny)
            out = self._map(data)
        np.clip(out, -OUTLIER_LIMIT, OUTLIER_LIMIT, out=out)
        return out.astype(np.float32, copy=False)

    def _map(self, data: np.ndarray) -> np.ndarray:
        lo, hi = np.percentile(data, (self.low, self.high), axis=(0, 1), keepdims=True)
        span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
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
