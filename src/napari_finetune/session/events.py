"""Events a labelling session yields besides the engine's (Started, Step, EpochEnd, Finished)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from napari_finetune.models.model import SegmentationModel
    from napari_finetune.training.events import Finished
    from napari_finetune.training.history import Round


@dataclass(frozen=True)
class Prediction:
    """Probabilities ``(K, ...)`` for the image named ``target``.

    Live previews cover one plane (``plane`` is its index in a stack, None for
    2D); the final prediction (``final``) covers the whole image. ``views``:
    how many flipped and rotated views the probabilities average
    (:mod:`~napari_finetune.inference.views`; 1: the image as it is).
    ``classes``: the names of the classes of the model that predicted (a live
    preview's model is the one in training, not yet the session's).
    ``clears``: the first plane of a deep stack predicted plane by plane
    (:mod:`~napari_finetune.session.deep_stack_prediction`): the stack's other planes,
    predicted before by another model, are stale from now on.
    ``labels``: the most probable class of each pixel (1-based), computed when
    the event is made, in the thread that predicted: the viewer's thread then only
    writes them into a layer (an ``argmax`` of a 2048² plane takes ~70 ms). A
    ``dataclasses.replace`` of the probabilities must pass ``labels=None`` too.
    """

    target: str
    probabilities: np.ndarray
    final: bool
    plane: int | None = None
    views: int = 1
    classes: dict[int, str] = field(default_factory=dict)
    clears: bool = False
    labels: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.labels is None:
            # Imported here: the events are read by the CLI, which must not load torch early.
            from napari_finetune.inference.predict import labels_from_probabilities

            object.__setattr__(self, "labels", labels_from_probabilities(self.probabilities))


@dataclass(frozen=True)
class Suggestions:
    """Uncertainty of the model on one image (or plane) and the boxes to paint next.

    ``boxes`` are ``(y0, x0, y1, x1)``, best first, with their ``scores``
    (comparable across images; for boxes drawn in proportion to their worth,
    the default, their drawn priority:
    :func:`~napari_finetune.inference.suggest.drawn_priorities`).
    ``display_max`` is the map's 99.5th percentile (at least 1e-3), a good upper
    contrast limit: computed in the worker, not in the GUI thread. ``favoured``
    names the thinly painted classes the boxes sought
    (:mod:`~napari_finetune.inference.thin_class_emphasis`); the map shown stays
    the plain uncertainty.
    """

    target: str
    uncertainty: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    scores: list[float] = field(default_factory=list)
    plane: int | None = None
    display_max: float = 1.0
    favoured: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankedBox:
    """One box to paint, in the ranking over all images of a session.

    ``score`` orders the ranking: the box's score, or its drawn priority
    (:class:`Suggestions`).
    """

    target: str
    box: tuple[int, int, int, int]
    score: float
    plane: int | None = None


@dataclass(frozen=True)
class RoundFinished:
    """A round is over: the session's model, the run's result and the rounds curve.

    ``ranking`` lists the boxes of every image, best first (empty when no
    suggestions were asked for); ``rounds`` summarises every round of the
    model's history (painted pixels against the kept weights' validation score).
    """

    model: SegmentationModel
    finished: Finished
    rounds: list[Round]
    ranking: list[RankedBox]
