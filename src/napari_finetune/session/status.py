"""What the status line says about a round: one sentence per event, for dock and CLI."""

from __future__ import annotations

from napari_finetune.session.events import RoundFinished
from napari_finetune.training.events import EpochEnd, Finished, Started, Step

STOPPING = "Stopping after this batch; keeping the best model so far…"
STOPPED = "Stopped: the best model so far is kept (Save model… to keep it)."


def input_removed(name: str) -> str:
    """Why training stopped when a layer it learns from disappeared."""
    return (
        f"Training stopped: layer '{name}' it learns from was removed. "
        "The best model so far is kept."
    )


class StatusLine:
    """Turns a round's events into status sentences.

    Remembers the latest validation score so that step lines can show it.
    """

    def __init__(self) -> None:
        self.last_score: float | None = None

    def describe(self, event: object) -> str | None:
        """The status for ``event``, or None when it does not change the status."""
        if isinstance(event, Started):
            self.last_score = None
            budget = f"{event.max_seconds:.0f} s" if event.max_seconds else "a step budget"
            return (
                f"Training '{event.strategy}' (BatchNorm {event.bn_mode}, {event.device}, "
                f"{budget}) on {event.n_train_pixels:,} painted px; "
                f"{event.n_validation_pixels:,} px held out by {event.validation}."
            )
        if isinstance(event, EpochEnd):
            if event.validation_score is not None:
                self.last_score = event.validation_score
            return None
        if isinstance(event, Step):
            score = f" · val F1 {self.last_score:.3f}" if self.last_score is not None else ""
            return (
                f"epoch {event.epoch} · {event.samples_per_second:.0f} patches/s · "
                f"{event.time_left:.0f} s left{score}"
            )
        if isinstance(event, Finished):
            return finished_text(event)
        if isinstance(event, RoundFinished):
            return finished_text(event.finished, len(event.rounds))
        return None


def finished_text(event: Finished, round_number: int | None = None) -> str:
    """The end of a run in words, e.g. "Done (time budget, 60 s): kept epoch 9; …"."""
    best = f"; best validation F1 {event.best_score:.3f}" if event.best_score is not None else ""
    kept = f"epoch {event.best_epoch}" if event.best_epoch else "the starting weights"
    which = f"Round {round_number} done" if round_number else "Done"
    return f"{which} ({event.reason}, {event.elapsed:.0f} s): kept {kept}{best}."
