"""Live predictions while training: how often, on which image, at what cost."""

from __future__ import annotations

import time

from napari_finetune.inference.predict import predict
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.events import Prediction
from napari_finetune.session.pairs import Pair

# Live previews take at most this share of the worker's time (measured:
# a larger share is what made training in the widget slower than headless).
PREVIEW_SHARE = 0.05
PREVIEW_MIN_INTERVAL = 5.0


class LivePreviews:
    """Predict on one image at a time between training steps, round-robin.

    The interval between previews grows with their cost, so that previews
    never take more than :data:`PREVIEW_SHARE` of the time; a stack previews
    only the plane in view.
    """

    def __init__(self, pairs: list[Pair]) -> None:
        self.pairs = pairs
        self._next = 0
        self._last = time.perf_counter()
        self._interval = PREVIEW_MIN_INTERVAL

    def due(self) -> bool:
        """Whether it is time for the next preview."""
        return bool(self.pairs) and time.perf_counter() - self._last >= self._interval

    def preview(self, model: SegmentationModel) -> Prediction:
        """Predict on the next image's plane in view; reschedule by the cost."""
        pair = self.pairs[self._next % len(self.pairs)]
        self._next += 1
        start = time.perf_counter()
        probabilities = predict(model, pair.plane_image)
        cost = time.perf_counter() - start
        self._interval = max(PREVIEW_MIN_INTERVAL, cost / PREVIEW_SHARE)
        self._last = time.perf_counter()
        names = dict(model.classes)
        return Prediction(pair.name, probabilities, final=False, plane=pair.plane, classes=names)
