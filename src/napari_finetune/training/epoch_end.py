"""The end of a training epoch: validate, let keep-best judge, record the epoch.

:class:`EpochEnds` is what :func:`~napari_finetune.training.engine.finetune`
does every ``STEPS_PER_EPOCH`` steps (and after a last, partial epoch). It
keeps the run's history records and the held-out score of the epoch whose
weights keep-best holds, for the run's :class:`Finished` event. After a
fold-in (:mod:`~napari_finetune.training.fold_in`) that score stays the last
validated one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from napari_finetune.data.painted import PaintedPlane
from napari_finetune.data.split import Split
from napari_finetune.models.model import SegmentationModel
from napari_finetune.training.events import EpochEnd
from napari_finetune.training.fold_in import everything_trains, folds_in
from napari_finetune.training.held_out_score import HeldOutScore
from napari_finetune.training.keep_best import KeepBest
from napari_finetune.training.validation import validate


@dataclass
class EpochEnds:
    """Judges and records a run's epochs (see the module description)."""

    trained: SegmentationModel
    planes: list[PaintedPlane]
    split: Split
    painted_classes: frozenset[int]  # the classes the painting holds (validation scores them)
    keeper: KeepBest
    run: int  # the run's number in the model's history
    strategy: str
    fold_in: bool = False  # the held-out pixels may join training (training/fold_in.py)
    history: list[dict] = field(default_factory=list)
    kept_held_out: HeldOutScore | None = None  # of the epoch keep-best holds
    # After a fold-in: the last validated epoch, and the epoch and score of the
    # weights training went on from (the score the run reports).
    folded_after: int | None = None
    validated: tuple[int, float | None] | None = None

    def end(
        self,
        epoch: int,
        step: int,
        losses: list[float],
        elapsed: float,
        trainable: list[str],
        progress: float | None = None,
    ) -> tuple[EpochEnd, bool]:
        """Validate and record epoch ``epoch``; return its event and whether to stop.

        Parameters
        ----------
        epoch, step : int
            The epoch just ended (from 1) and the steps run so far.
        losses : list of float
            The epoch's training losses; emptied for the next epoch.
        elapsed : float
            Seconds since the first step.
        trainable : list of str
            Names of the parameter groups that trained in this epoch.
        progress : float, optional
            Share of the run done; past ``FOLD_IN_AT``, or earlier when early
            stopping says stop, the held-out pixels join training (the event
            says ``folded_in``; the run goes on). None (a run's last, partial
            epoch): no fold-in.
        """
        val_loss, held_out = validate(self.trained, self.planes, self.split, self.painted_classes)
        verdict = self.keeper.judge(epoch, held_out.score, val_loss)
        record = {
            "run": self.run,
            "epoch": epoch,
            "step": step,
            "strategy": self.strategy,
            "train_loss": float(np.mean(losses)),
            "validation_loss": val_loss,
            **held_out.record(),
            "elapsed": round(elapsed, 3),
            "train_pixels": self.split.n_train,
            "validation_pixels": self.split.n_validation,
        }
        self.history.append(record)
        losses.clear()
        if verdict.kept and self.folded_after is None:
            self.kept_held_out = held_out
        event = EpochEnd(
            epoch,
            step,
            record["train_loss"],
            val_loss,
            held_out.score,
            self.keeper.score,
            verdict.kept,
            elapsed,
            trainable,
            held_out,
        )
        if folds_in(self.fold_in, self.split, progress, stopping=verdict.stop):
            self._fold_in(epoch)
            # The history says it too (model cards, reports): training went on from there.
            record["folded_in"] = True
            record["continued_from_epoch"] = self.keeper.epoch
            if verdict.stop:  # instead of stopping: a last stretch (training/run_clock.py)
                record["early_stop_fold_in"] = True
            return dataclasses.replace(event, folded_in=True), False
        return event, verdict.stop

    def closed(self, step: int) -> list[dict]:
        """The run's history once it ended after ``step`` steps.

        A fold-in that no step followed (its epoch's validation ran to the
        budget's end, or the run was stopped then) is withdrawn: the held-out
        pixels never trained, so the history and the reported score say the
        kept epoch, as without a fold-in. Steps after a fold-in are kept even
        when a Stop ends them mid-epoch: nothing validates them, and the newest
        weights win at every epoch end after a fold-in. Call before restoring
        the kept weights.
        """
        folded = [r for r in self.history if r["epoch"] == self.folded_after]
        # The fold-in epoch's record holds the steps run when the held-out pixels joined.
        if folded and step <= folded[0]["step"]:
            for key in ("folded_in", "continued_from_epoch", "early_stop_fold_in"):
                folded[0].pop(key, None)
            self.folded_after = self.validated = None
        elif folded:
            self.keeper.keep_newest()
        return self.history

    def reported_score(self) -> dict:
        """The :class:`Finished` event's score fields.

        The kept epoch's score, or after a fold-in that of the last validated
        weights, with the epochs that say so.
        """
        if self.validated is None:
            return {"best_score": self.keeper.score, "held_out": self.kept_held_out}
        epoch, score = self.validated
        return {
            "best_score": score,
            "held_out": self.kept_held_out,
            "folded_after": self.folded_after,
            "validated_epoch": epoch,
        }

    def outcome(self) -> tuple[float | None, int]:
        """The reported score and the epoch it was measured at (for the provenance record)."""
        reported = self.reported_score()
        return reported["best_score"], reported.get("validated_epoch", self.keeper.epoch)

    def _fold_in(self, epoch: int) -> None:
        """Move the held-out pixels to training after epoch ``epoch``.

        The weights keep-best holds come back first (the newest, unless they
        were clearly worse), so training on everything goes on from them.
        """
        # Only the weights come back: the optimiser's moments and a domain head go
        # on from the newest epoch (they adapt within steps), and so does a mean
        # teacher's average, which for a slow teacher (strokes) is mostly the start.
        self.keeper.restore()
        self.split = everything_trains(self.split)
        self.folded_after = epoch
        self.validated = (self.keeper.epoch, self.keeper.score)
