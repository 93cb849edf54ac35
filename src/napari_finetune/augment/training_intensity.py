"""Intensities as training sees them: a preview augments the normalised image, then shows it back.

Training augments patches of images normalised by their percentiles
(:class:`~napari_finetune.data.normalize.Normalization`), whatever their
dtype. Augmenting the raw plane instead scales an integer image by its dtype's
range: a 12-bit image stored as uint16 (0-4095) sits in [0, 0.0625], where a
brightness shift blacks it out or saturates it, unlike anything training does.
The preview therefore transforms the normalised image and maps the result back
to the image's own intensities, so the source layer's contrast limits show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from napari_finetune.augment.arrays import IntensityMap, unit_to_image
from napari_finetune.data.normalize import Normalization


@dataclass(frozen=True)
class TrainingIntensity:
    """The normalised image training augments, and the way back to the source's intensities.

    Attributes
    ----------
    normalised : numpy.ndarray
        float32 image as training normalises it (low percentile 0, high 1).
    low, span : numpy.ndarray
        Per-channel percentile and span: ``source = normalised * span + low``.
    dtype : numpy.dtype
        The source image's dtype.
    """

    normalised: np.ndarray
    low: np.ndarray
    span: np.ndarray
    dtype: np.dtype

    @classmethod
    def of(
        cls, image: np.ndarray, normalization: Normalization | None = None
    ) -> TrainingIntensity:
        """Normalise ``image`` (2D grey or ``(rows, cols, channels)``) as training does."""
        normalization = normalization or Normalization()
        image = np.asarray(image)
        low, span = normalization.bounds(image)
        return cls(normalization(image), low, span, image.dtype)

    def back(self, normalised: np.ndarray) -> np.ndarray:
        """An augmented normalised image in the source's intensities and dtype.

        Integer images are rounded and clipped to their dtype (a brightened
        12-bit image may exceed 4095, never 65535); others come back float32.
        """
        # The pipeline's own way back (rounding and clipping integers), with the
        # percentiles as offset and span; float images come back float32 for display.
        dtype = self.dtype if self.dtype == bool or np.issubdtype(self.dtype, np.integer) else None
        mapping = IntensityMap(dtype or np.dtype(np.float32), self.low, self.span)
        return unit_to_image(np.asarray(normalised), mapping)
