"""Reading a model's training history: one summary per training round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Round:
    """One fine-tuning run (an active-learning round).

    ``validation_score`` is the held-out score of the weights the run handed
    back (after a fold-in, of the last validated ones); None when nothing was
    held out.
    """

    run: int
    painted_pixels: int
    validation_score: float | None
    epochs: int
    folded_after: int | None = None  # the epoch after which the held-out pixels trained too


def rounds(history: list[dict], provenance: Sequence[dict] = ()) -> list[Round]:
    """Summaries of the fine-tuning runs in ``history`` (pretraining records skipped).

    Parameters
    ----------
    history : list of dict
        The model's epoch records.
    provenance : sequence of dict
        The model's run records: each run's score is the one its ``result``
        records for the weights it kept. Runs recorded before that existed
        fall back to their best epoch's score (not always the kept one).

    Returns
    -------
    list of Round
        One per run, in run order. Painted pixels count both the training and
        the held-out pixels of that run.
    """
    kept = {}
    for record in provenance:
        # A checkpoint edited by hand may hold anything here: only a plain run
        # number with a number (or None) as its score counts; others use the epochs.
        result = record.get("result") if isinstance(record, dict) else None
        if not isinstance(result, dict) or "validation_score" not in result:
            continue
        run, score = record.get("run"), result["validation_score"]
        number = isinstance(score, float | int) and not isinstance(score, bool)
        if isinstance(run, int) and not isinstance(run, bool) and (score is None or number):
            kept[run] = score
    by_run: dict[int, list[dict]] = {}
    for record in history:
        if "epoch" in record and record.get("run", 0) >= 1:
            by_run.setdefault(int(record["run"]), []).append(record)
    summaries = []
    for run, records in sorted(by_run.items()):
        scores = [r["validation_score"] for r in records if r.get("validation_score") is not None]
        last = records[-1]
        folded = [int(r["epoch"]) for r in records if r.get("folded_in")]
        summaries.append(
            Round(
                run,
                int(last.get("train_pixels", 0)) + int(last.get("validation_pixels", 0)),
                kept[run] if run in kept else (max(scores) if scores else None),
                len(records),
                folded[0] if folded else None,
            )
        )
    return summaries
