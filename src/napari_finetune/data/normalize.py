"""Robust per-image intensity normalisation (percentiles), stored with the model.

Microscope images come as uint8, uint16 or calibrated floats with arbitrary
offsets and hot pixels; mapping each image's low and high percentiles to 0 and 1
makes a model trained on one session usable on the next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Normalization:
    """Map each image's ``low`` and ``high`` percentiles to 0 and 1.

    RGB images are normalised per channel; the result is float32 and not
    clipped (bright outliers stay > 1 rather than being flattened).
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
        data = np.asarray(image, dtype=np.float32)
        axes = (0, 1)
        lo, hi = np.percentile(data, (self.low, self.high), axis=axes, keepdims=True)
        span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
        return ((data - lo) / span).astype(np.float32)

    def to_dict(self) -> dict:
        """Plain data for checkpoint metadata."""
        return {"method": "percentile", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Normalization:
        """Inverse of :meth:`to_dict`."""
        if data.get("method", "percentile") != "percentile":
            raise ValueError(f"normalisation method {data.get('method')!r} is not supported.")
        return cls(float(data["low"]), float(data["high"]))
