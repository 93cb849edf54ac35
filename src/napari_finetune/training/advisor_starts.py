"""Which start models a strategy comparison runs from, how it names them, and when to switch.

Beside the user's start model the advisor can run each pretrained strategy
from the other shipped ones (``world-unet`` beside ``voronoi-unet``): which
start suits the user's images is then measured as the strategies are, on the
same held-out painted regions (which start a pick needs when it is used:
:mod:`~napari_finetune.session.advisor_pick`). Runs too short to train a new output layer
rank them wrongly; :func:`short_run_caution` says so before the first run.
"""

from __future__ import annotations

from pathlib import Path

from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY

# Seconds per run a comparison needs when the start model gets a new output
# layer (the painting has another number of classes than it was pretrained on):
# on the superalloy's three phases 8-s runs ranked the start models against
# what 60-s runs found, 30-s runs as they did (README, bench_advisor.py).
NEW_HEAD_SECONDS = 30.0


def short_run_caution(
    n_classes: int, starts: list[tuple[str, object]], seconds: float
) -> str | None:
    """Why runs of ``seconds`` are too short to rank, or None when they are not.

    Parameters
    ----------
    n_classes : int
        The number of classes painted (the highest class value).
    starts : list of (name, SegmentationModel or None)
        The start models compared (None: from scratch only).
    seconds : float
        Each run's budget.
    """
    fresh = [m for _, m in starts if m is not None and m.n_classes != n_classes]
    if not fresh or seconds >= NEW_HEAD_SECONDS:
        return None
    return (
        f"your painting has {n_classes} classes and the start model was pretrained on "
        f"{fresh[0].n_classes}: its output layer starts afresh, and runs of {seconds:g} s "
        "are too short to rank strategies or start models (on a three-phase superalloy, "
        "8-s runs picked the wrong start model, 30-s runs the right one). Give each run "
        f"{NEW_HEAD_SECONDS:g} s or more."
    )


def other_shipped_starts(start: object) -> tuple[str, ...]:
    """The shipped start models other than ``start``, to compare it with.

    ``start`` is what the user starts from: a shipped name, a checkpoint, a
    model, or None (from scratch, when the pretrained strategies start from
    the default). Every shipped model that is not it is offered.
    """
    current = DEFAULT_MODEL if start is None else start
    return tuple(name for name in REGISTRY if not (isinstance(current, str) and name == current))


def start_label(start: object) -> str:
    """How a start model is named in a comparison: its shipped name, file stem or name."""
    if isinstance(start, str):
        return start if start in REGISTRY else Path(start).stem
    if isinstance(start, Path):
        return start.stem
    return str(getattr(start, "name", "") or "your model")


def start_names(model: object, other_starts: tuple) -> list[str]:
    """The name of each start model in a comparison: ``''`` for all when only one.

    Raises
    ------
    ValueError
        When a start model is given twice.
    """
    names = [start_label(s) for s in (model, *other_starts)]
    if hasattr(model, "net") and names[0] in names[1:]:
        # A model in memory keeps the name of the shipped model it was fine-tuned
        # from (the dock's current model): it is not those weights.
        names[0] = "your model"
    twice = {name for name in names if names.count(name) > 1}
    if twice:
        raise ValueError(
            f"start model {', '.join(sorted(twice))} is given twice: compare different ones."
        )
    # Named only when there is a choice: one start keeps the plain strategy names.
    return names if other_starts else [""]
