"""How far a run has come: the progress its schedule, unfreezing and fold-in follow.

Normally that is the share of the budget spent (seconds / ``max_seconds``, or
step / ``steps``). But when validation stops improving before the fold-in
(:mod:`~napari_finetune.training.fold_in`), stopping there would leave the
held-out fifth of the painting untrained, and a longer budget made that
likelier: on isbi2012 with 180 s two of three seeds stopped early, at 57 s and
101 s, before the fold-in at 108 s (one scored 0.890, below the 60-s runs'
0.902-0.910). So the held-out pixels join at once instead and the rest of the
run is a last stretch: the last ``1 - FOLD_IN_AT`` of a run that was never
stopped, compressed. Its progress runs from ``FOLD_IN_AT`` to 1 over
``(1 - FOLD_IN_AT) / FOLD_IN_AT`` (two thirds) of what the run had done, so it
ends within the budget. The learning rate (the one-cycle's decay from where a
regular fold-in takes it), the pseudo-label ramp and ``gradual``'s unfreezing
follow that progress as at the end of a full run (``gradual`` stopped in its
first 60 % thus unfreezes the stages due by then at once). A stop at or past
``FOLD_IN_AT`` (before the fold-in's epoch end) folds in and goes on to the
budget's end, as a regular fold-in does: only a fold-in before ``FOLD_IN_AT``,
which only early stopping brings, begins a stretch.
"""

from __future__ import annotations

from dataclasses import dataclass

from napari_finetune.training.fold_in import FOLD_IN_AT


@dataclass
class RunClock:
    """A run's progress over its budget, and its last stretch after early stopping.

    Parameters
    ----------
    max_seconds : float or None
        The time budget (used when ``steps`` is None).
    steps : int or None
        The step budget, if the run counts steps.
    """

    max_seconds: float | None
    steps: int | None
    # After an early fold-in: where the last stretch began and how long it is,
    # in steps or seconds (whichever the budget counts).
    stretch: tuple[float, float] | None = None

    def _done(self, step: int, elapsed: float) -> float:
        return float(step) if self.steps else elapsed

    def _budget(self) -> float:
        return float(self.steps) if self.steps else float(self.max_seconds)

    def progress(self, step: int, elapsed: float) -> float:
        """Share of the run done after ``step`` steps and ``elapsed`` seconds (1: over)."""
        done = self._done(step, elapsed)
        if self.stretch is None:
            return done / self._budget()
        began, length = self.stretch
        return FOLD_IN_AT + (1 - FOLD_IN_AT) * (done - began) / length

    def end(self) -> float:
        """Where the run ends, in steps or seconds (the budget, or the stretch's end)."""
        if self.stretch is None:
            return self._budget()
        began, length = self.stretch
        return began + length

    def seconds_left(self, step: int, elapsed: float) -> float:
        """Seconds the run has left (for a step budget: at the pace so far)."""
        if self.steps:
            return elapsed / max(step, 1) * max(0.0, self.end() - step)
        return max(0.0, self.end() - elapsed)

    def estimated_steps(self, step: int, elapsed: float) -> int:
        """The run's steps in all: exact for a step budget, else at the pace so far."""
        if self.steps:
            return int(self.end())
        return max(step, int(step * self.end() / max(elapsed, 1e-9)))

    def end_reason(self) -> str:
        """Why a run that reached its end ended: its budget, or early stopping's stretch."""
        if self.stretch is not None:
            return "early stopping"
        return "completed" if self.steps else "time budget"

    def folded_in(self, step: int, elapsed: float) -> None:
        """The held-out pixels joined training; before ``FOLD_IN_AT``, the last stretch begins.

        Parameters
        ----------
        step, elapsed : int, float
            Steps and seconds done when they joined (after the epoch's
            validation, which a short stretch must not pay for).
        """
        if self.stretch is not None or self.progress(step, elapsed) >= FOLD_IN_AT:
            return  # the regular fold-in, or a stop past it: on to the budget's end
        done = self._done(step, elapsed)
        # done < FOLD_IN_AT x budget, so the stretch ends within the budget (in
        # whole steps, at most on its last step).
        length = done * (1 - FOLD_IN_AT) / FOLD_IN_AT
        if self.steps:
            length = float(max(1, round(length)))
        self.stretch = (done, length)
