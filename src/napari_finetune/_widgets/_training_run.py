"""What runs in the fine-tune worker thread: training events plus prediction previews.

Qt-free: a generator the widget hands to napari's ``thread_worker``. It passes
the engine's events through and, between steps, predicts on the image in view
so the widget can refresh a live prediction layer (in a main-thread slot).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from napari_finetune.inference.predict import predict
from napari_finetune.inference.representativeness import representativeness
from napari_finetune.inference.suggest import REPRESENTATIVENESS_WEIGHT, suggest_regions
from napari_finetune.inference.uncertainty import DEFAULT_METHOD, uncertainty
from napari_finetune.training.events import Finished, Started, Step

# Live previews take at most this share of the worker's time (measured:
# a larger share is what made training in the widget slower than headless).
PREVIEW_SHARE = 0.05
PREVIEW_MIN_INTERVAL = 5.0


@dataclass(frozen=True)
class Prediction:
    """Probabilities ``(K, ...)`` for the image layer ``target``.

    Live previews cover one plane (``plane`` is its index in a stack, None for
    2D); the final prediction (``final``) covers the whole image.
    """

    target: str
    probabilities: np.ndarray
    final: bool
    plane: int | None = None


@dataclass(frozen=True)
class Suggestions:
    """Uncertainty of the model on one plane and the boxes to paint next.

    ``display_max`` is the map's 99.5th percentile (at least 1e-3), the upper
    contrast limit: computed here, in the worker, not in the GUI thread.
    """

    target: str
    uncertainty: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    plane: int | None = None
    display_max: float = 1.0


@dataclass(frozen=True)
class ActiveLearning:
    """What to compute after training: the map's method and the boxes wanted.

    ``typical_weight`` is the exponent of the representativeness factor of
    :func:`~napari_finetune.inference.suggest.suggest_regions` (0: uncertainty only).
    """

    labels: np.ndarray
    method: str = DEFAULT_METHOD
    n: int = 5
    size: int = 64
    typical_weight: float = REPRESENTATIVENESS_WEIGHT


def training_with_previews(
    events: Iterator,
    image: np.ndarray | None,
    target: str,
    plane: int | None = None,
    active: ActiveLearning | None = None,
) -> Iterator:
    """Yield the engine's ``events``, live ``Prediction``s, and a final one.

    Parameters
    ----------
    events : iterator
        A :func:`napari_finetune.finetune` generator.
    image : numpy.ndarray or None
        The image whose prediction is shown (2D, RGB or a stack), or None.
    target : str
        Name of the image layer the predictions belong to.
    plane : int, optional
        For a stack, the plane in view: live previews predict only that one.
    active : ActiveLearning, optional
        After training, also yield :class:`Suggestions` for the plane in view.
    """
    preview = None if image is None else (image if plane is None else image[plane])
    model, last, interval = None, time.perf_counter(), PREVIEW_MIN_INTERVAL
    try:
        for event in events:
            if isinstance(event, Started):
                model = event.model
            yield event
            if isinstance(event, Finished):
                if image is not None:
                    yield Prediction(target, predict(event.model, image), final=True)
                if image is not None and active is not None:
                    labels = active.labels if plane is None else active.labels[plane]
                    unsure = uncertainty(event.model, preview, method=active.method)
                    typical = (
                        representativeness(event.model, preview, active.size)
                        if active.typical_weight
                        else None
                    )
                    boxes = suggest_regions(
                        unsure, labels, active.n, active.size, typical, active.typical_weight
                    )
                    top = float(max(np.percentile(unsure, 99.5), 1e-3))
                    yield Suggestions(target, unsure, boxes, plane, top)
                return
            if preview is None or not isinstance(event, Step):
                continue
            if time.perf_counter() - last >= interval:
                start = time.perf_counter()
                yield Prediction(target, predict(model, preview), final=False, plane=plane)
                cost = time.perf_counter() - start
                interval = max(PREVIEW_MIN_INTERVAL, cost / PREVIEW_SHARE)
                last = time.perf_counter()
    finally:
        # Stop: closing this generator closes the engine's, which restores the
        # best weights into the model.
        events.close()
