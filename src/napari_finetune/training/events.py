"""Small events that a training run yields: the widget and the CLI consume the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from napari_finetune.models.model import SegmentationModel
    from napari_finetune.training.held_out_score import HeldOutScore


@dataclass(frozen=True)
class Preparing:
    """Setting up before the first step (normalising, BatchNorm adaptation, optimiser).

    Yielded after the inputs were checked, so a consumer can show progress from
    the first second: on a busy 2-core machine the set-up took 9 s.
    """

    stage: str  # what is being done, as a phrase for the status line
    fraction: float  # of the set-up done, 0..1


@dataclass(frozen=True)
class Started:
    """Training is about to begin.

    ``model`` is the object being trained: after the run (or after the consumer
    stops asking and closes the generator) it holds the kept weights (see
    :mod:`~napari_finetune.training.keep_best`).
    """

    model: SegmentationModel
    strategy: str
    bn_mode: str
    total_steps: int
    n_train_pixels: int
    n_validation_pixels: int
    validation: str
    classes: dict[int, str]
    device: str = "cpu"
    max_seconds: float | None = None  # the time budget; None when a step count is set
    # (used, usual): fewer than usual when other programs keep cores busy
    threads: tuple[int, int] | None = None
    # What teaches besides the painted pixels, in words ("" for nothing): the
    # adaptation levers in effect and the pseudo-labels (training/objectives.py).
    levers: str = ""


@dataclass(frozen=True)
class Step:
    """One optimisation step (one batch)."""

    step: int
    total_steps: int
    epoch: int
    loss: float
    learning_rates: dict[str, float]
    elapsed: float
    samples_per_second: float
    time_left: float = 0.0  # seconds left of the budget or last stretch (estimated for steps)


@dataclass(frozen=True)
class EpochEnd:
    """End of an epoch: training and validation loss and score."""

    epoch: int
    step: int
    train_loss: float
    validation_loss: float | None
    validation_score: float | None
    best_score: float | None
    is_best: bool
    elapsed: float
    trainable: list[str] = field(default_factory=list)
    held_out: HeldOutScore | None = None  # the score with its range, size and caution
    # The held-out pixels train from the next epoch on (training/fold_in.py).
    folded_in: bool = False


@dataclass(frozen=True)
class Finished:
    """The run ended; ``model`` holds the kept weights (those of ``best_epoch``).

    ``best_score`` is the validation score of the kept weights (None when
    nothing was held out); ``best_epoch`` 0 means the starting weights. After a
    fold-in (``folded_after`` set: the held-out pixels trained from the next
    epoch on) ``best_score`` and ``held_out`` are those of ``validated_epoch``,
    the weights training went on from: the last honest estimate.
    """

    model: SegmentationModel
    history: list[dict]
    reason: str
    best_epoch: int
    elapsed: float
    best_score: float | None = None
    held_out: HeldOutScore | None = None  # of the kept epoch (see above)
    folded_after: int | None = None
    validated_epoch: int | None = None
