"""Reading a model's training history: one summary per training round."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Round:
    """One fine-tuning run (an active-learning round)."""

    run: int
    painted_pixels: int
    best_validation_score: float | None
    epochs: int


def rounds(history: list[dict]) -> list[Round]:
    """Summaries of the fine-tuning runs in ``history`` (pretraining records skipped).

    Painted pixels count both the training and the held-out pixels of that run.
    """
    by_run: dict[int, list[dict]] = {}
    for record in history:
        if "epoch" in record and record.get("run", 0) >= 1:
            by_run.setdefault(int(record["run"]), []).append(record)
    summaries = []
    for run, records in sorted(by_run.items()):
        scores = [r["validation_score"] for r in records if r.get("validation_score") is not None]
        last = records[-1]
        summaries.append(
            Round(
                run,
                int(last.get("train_pixels", 0)) + int(last.get("validation_pixels", 0)),
                max(scores) if scores else None,
                len(records),
            )
        )
    return summaries
