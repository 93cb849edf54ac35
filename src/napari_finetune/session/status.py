"""What the status line says about a round: one sentence per event, for dock and CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari_finetune.models.registry import REGISTRY
from napari_finetune.session.deep_stack_prediction import PlanesPredicted
from napari_finetune.session.events import RoundFinished
from napari_finetune.session.labelling import ROUND_STOPPED
from napari_finetune.training.events import EpochEnd, Finished, Preparing, Started, Step
from napari_finetune.training.history import rounds

if TYPE_CHECKING:
    from napari_finetune.models.model import SegmentationModel

STOPPING = "Stopping after this batch; keeping the best model so far…"
STOPPED = "Stopped: the best model so far is kept (Save model… to keep it)."


def stopped(outcome: str | None, has_model: bool) -> str:
    """What Stop left behind: the round's best so far, or (too early) the previous model.

    Parameters
    ----------
    outcome : str or None
        :attr:`LabellingSession.outcome <napari_finetune.session.LabellingSession.outcome>`.
    has_model : bool
        Whether the session has a model now.
    """
    if outcome == ROUND_STOPPED:
        return STOPPED
    if has_model:
        return "Stopped before the first epoch was validated: the previous model is kept."
    return "Stopped before the first epoch was validated: there is no model yet."


def input_removed(name: str) -> str:
    """Why training stopped when a layer it learns from disappeared."""
    return (
        f"Training stopped: layer '{name}' it learns from was removed. "
        "The best model so far is kept."
    )


class StatusLine:
    """Turns a round's events into status sentences.

    Remembers the latest validation score so that step lines can show it, and
    whether the held-out pixels train now (training/fold_in.py).
    """

    def __init__(self) -> None:
        self.last_score: float | None = None
        self.last_range = ""
        self.folded_after: int | None = None
        self.planes_said: list[str] = []  # deep stacks predicted in part this round

    def describe(self, event: object) -> str | None:
        """The status for ``event``, or None when it does not change the status."""
        if isinstance(event, Preparing):
            return f"Preparing: {event.stage}…"
        if isinstance(event, Started):
            self.last_score, self.folded_after, self.planes_said = None, None, []
            budget = f"{event.max_seconds:.0f} s" if event.max_seconds else "a step budget"
            used, usual = event.threads or (0, 0)
            busy = (
                f", {used} of {usual} threads: other programs keep cores busy"
                if used < usual
                else ""
            )
            return (
                f"Training '{event.strategy}' (BatchNorm {event.bn_mode}, "
                f"{event.levers + ', ' if event.levers else ''}{event.device}, "
                f"{budget}{busy}) on {event.n_train_pixels:,} painted px; "
                f"{event.n_validation_pixels:,} px held out by {event.validation}."
            )
        if isinstance(event, EpochEnd):
            if event.validation_score is not None:
                self.last_score = event.validation_score
                self.last_range = _range(event.held_out)
            if event.folded_in:
                # Training goes on from the kept weights: theirs is the score to show.
                self.folded_after = event.epoch
                if event.best_score is not None:
                    self.last_score = event.best_score
            return None
        if isinstance(event, Step):
            score = (
                f" · val F1 {self.last_score:.3f}{self.last_range}"
                if self.last_score is not None
                else ""
            )
            if self.folded_after is not None and score:
                score += f" to epoch {self.folded_after}; the held-out pixels train now"
            return (
                f"epoch {event.epoch} · {event.samples_per_second:.0f} patches/s · "
                f"{event.time_left:.0f} s left{score}"
            )
        if isinstance(event, Finished):
            return finished_text(event)
        if isinstance(event, PlanesPredicted):
            self.planes_said.append(event.describe())
            return None
        if isinstance(event, RoundFinished):
            return " ".join([finished_text(event.finished, len(event.rounds)), *self.planes_said])
        return None


def _range(held_out: object) -> str:
    low = getattr(held_out, "low", None)
    return f" ({low:.2f}–{held_out.high:.2f})" if low is not None else ""


def finished_text(event: Finished, round_number: int | None = None) -> str:
    """The end of a run in words, e.g. "Done (time budget, 60 s): kept epoch 9; …".

    The validation score is given with its range, what it rests on and, when
    it cannot be trusted, why (see :class:`~napari_finetune.training.held_out_score.HeldOutScore`).
    """
    names = getattr(event.model, "classes", None)  # the classes the kept weights segment
    if (
        event.folded_after is not None
        and event.held_out is not None
        and event.held_out.score is not None
    ):
        # The held-out pixels trained the kept weights: their score is an earlier one.
        best = f"; at epoch {event.validated_epoch}, {event.held_out.describe(names)}"
    elif event.held_out is not None and event.held_out.score is not None:
        best = f"; {event.held_out.describe(names)}"
    elif event.best_score is not None:
        best = f"; best validation F1 {event.best_score:.3f}"
    else:
        best = "; nothing held out for validation"
    kept = f"epoch {event.best_epoch}" if event.best_epoch else "the starting weights"
    if event.folded_after is not None:
        kept += f" (the held-out pixels trained too from epoch {event.folded_after + 1})"
    which = f"Round {round_number} done" if round_number else "Done"
    return f"{which} ({event.reason}, {event.elapsed:.0f} s): kept {kept}{best}."


def describe_model(model: SegmentationModel | None, loaded: bool = False) -> str:
    """Which model is current, in one line, e.g. "model: fine-tuned from voronoi-unet, 2 rounds".

    The user must know what *Predict*, *Save model…* and a warm-started
    *Retrain* act on: the shipped weights, their own fine-tuned ones, or a file.

    Parameters
    ----------
    model : SegmentationModel or None
        The session's model; None before the first round.
    loaded : bool
        Whether it was just read from a checkpoint file (its ``name`` is then
        the model it descends from, or the file name).
    """
    if model is None:
        return "model: none trained yet (Predict uses the start model as shipped)"
    n = len(rounds(model.history))
    origin = "loaded checkpoint, " if loaded else ""
    if n and model.name == "scratch":
        return f"model: {origin}trained from scratch, {n} round{'s' * (n > 1)}"
    if n:
        return f"model: {origin}fine-tuned from {model.name}, {n} round{'s' * (n > 1)}"
    if loaded or model.name not in REGISTRY:
        return f"model: {model.name} (loaded)"
    return f"model: {model.name} (shipped)"
