"""The strategy advisor: which transfer-learning strategy suits the user's own painted data.

The lessons' decision table (label count × domain gap → feature extraction,
fine-tuning, BatchNorm adaptation, gradual unfreezing) is advice; this runs it.
Each strategy trains on nested subsets of the painted regions (25 / 50 / 100 %
by default) for a short budget with two or more seeds, every run scored on the
same held-out painted regions (:mod:`~napari_finetune.training.advisor_plan`);
the result plots score against painted pixels per strategy with the loss
curves, and recommends the best with how sure that is
(:mod:`~napari_finetune.training.advisor_result`). With ``other_starts`` each
pretrained strategy also runs from other start models (the shipped
``world-unet`` beside ``voronoi-unet``: which start suits these images is
measured the same way, on the same held-out regions).

``compare_strategies`` yields events, so a widget shows progress and Stop
closes it (the run in progress stops at its next step); ``compare`` is the
blocking form.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from napari_finetune.choices import BN_CHOICES, STRATEGY_CHOICES
from napari_finetune.data.painted import as_pairs
from napari_finetune.models.device import DEFAULT_DEVICE
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, load_model
from napari_finetune.training.advisor_plan import DEFAULT_FRACTIONS, plan_comparison
from napari_finetune.training.advisor_result import RunResult, StrategyComparison
from napari_finetune.training.engine import finetune
from napari_finetune.training.events import Finished, Step

DEFAULT_SECONDS = 8.0
DEFAULT_SEEDS = (0, 1)
# Seconds a run takes beyond its training budget (start, BatchNorm adaptation,
# validation), measured on this project's 2-core CPU; for the time estimate.
RUN_OVERHEAD_SECONDS = 1.5


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


def estimated_seconds(runs: int, seconds: float) -> float:
    """Wall time of ``runs`` runs of ``seconds`` each, as measured here (for estimates)."""
    return runs * (seconds + RUN_OVERHEAD_SECONDS)


def candidates_of(
    strategies: tuple[str, ...], bn_modes: tuple[str, ...] = ("auto",), starts: int = 1
) -> tuple[tuple[str, str, int], ...]:
    """The (strategy, BatchNorm mode, start index) triples compared.

    ``scratch`` runs once, with its usual BatchNorm mode and no start model
    (index 0); every other strategy runs with each mode from each of
    ``starts`` start models.

    Raises
    ------
    ValueError
        For unknown strategies or BatchNorm modes, or none of either.
    """
    unknown = [s for s in strategies if s not in STRATEGY_CHOICES]
    if unknown or not strategies:
        raise ValueError(
            f"strategies {list(strategies)} must be some of {', '.join(STRATEGY_CHOICES)}."
        )
    if not bn_modes or any(m not in BN_CHOICES for m in bn_modes):
        raise ValueError(f"bn_modes {list(bn_modes)} must be some of {', '.join(BN_CHOICES)}.")
    modes = tuple(dict.fromkeys(bn_modes))
    return tuple(
        (s, m, k)
        for s in strategies
        for k in (range(1) if s == "scratch" else range(starts))
        for m in (("auto",) if s == "scratch" else modes)
    )


def other_shipped_starts(start: object) -> tuple[str, ...]:
    """The shipped start models other than ``start``, to compare it with.

    ``start`` is what the user starts from: a shipped name, a checkpoint, a
    model, or None (from scratch, when the pretrained strategies start from
    the default). Every shipped model that is not it is offered.
    """
    current = DEFAULT_MODEL if start is None else start
    return tuple(name for name in REGISTRY if not (isinstance(current, str) and name == current))


def start_to_use(pick: object, start: object, other_starts: tuple[str, ...]) -> str | None:
    """The shipped start model to switch to for the pick, or None to keep ``start``.

    Parameters
    ----------
    pick : Recommendation
        What the comparison recommends (its ``strategy`` and ``start``).
    start : str, Path, SegmentationModel or None
        What the user starts from; None from scratch.
    other_starts : tuple of str
        The shipped models the comparison also started from.

    A pretrained pick from one of ``other_starts`` switches to that model; a
    pretrained pick while the user starts from scratch switches to the model
    the comparison used for it (the default), since a round from scratch
    would train ``scratch`` whatever the strategy says.
    """
    if pick.strategy == "scratch":
        return None
    if pick.start and pick.start in other_starts:
        return pick.start
    return DEFAULT_MODEL if start is None else None


def start_label(start: object) -> str:
    """How a start model is named in a comparison: its shipped name, file stem or name."""
    if isinstance(start, str):
        return start if start in REGISTRY else Path(start).stem
    if isinstance(start, Path):
        return start.stem
    return str(getattr(start, "name", "") or "your model")


def planned_runs(
    strategies: tuple[str, ...],
    bn_modes: tuple[str, ...] = ("auto",),
    seeds: int = len(DEFAULT_SEEDS),
    shares: int = len(DEFAULT_FRACTIONS),
    starts: int = 1,
) -> int:
    """How many runs a comparison makes (at most: shares equal in regions run once)."""
    return len(candidates_of(strategies, bn_modes, starts)) * seeds * shares


@dataclass(frozen=True)
class ComparisonStarted:
    """The plan: how many runs, on what, validated on how many held-out pixels."""

    runs: int
    strategies: tuple[str, ...]
    painted_pixels: tuple[int, ...]  # per subset, smallest first
    seeds: tuple[int, ...]
    held_out_pixels: int
    grouping: str
    caution: str | None = None  # why the runs may be too short to rank (short_run_caution)


@dataclass(frozen=True)
class RunProgress:
    """Within run ``index`` (1-based) of ``runs``: how far, overall, in [0, 1]."""

    index: int
    runs: int
    candidate: str  # as RunResult.candidate names it: 'finetune from world-unet'
    painted_pixels: int
    seed: int
    progress: float
    elapsed: float


@dataclass(frozen=True)
class RunDone:
    """A run ended and was scored on the held-out pixels."""

    index: int
    runs: int
    result: RunResult


@dataclass(frozen=True)
class ComparisonFinished:
    """Every run done: the comparison, its recommendation and the wall time."""

    comparison: StrategyComparison
    seconds: float


def compare_strategies(
    images: object,
    labels: object,
    model: str | Path | object = DEFAULT_MODEL,
    *,
    strategies: tuple[str, ...] = tuple(STRATEGY_CHOICES),
    fractions: tuple[float, ...] = DEFAULT_FRACTIONS,
    seeds: tuple[int, ...] = DEFAULT_SEEDS,
    seconds: float = DEFAULT_SECONDS,
    augmentation: object = "equiaxed",
    device: str = DEFAULT_DEVICE,
    bn_modes: tuple[str, ...] = ("auto",),
    other_starts: tuple[str | Path | object, ...] = (),
) -> Iterator[ComparisonStarted | RunProgress | RunDone | ComparisonFinished]:
    """Train every strategy on nested shares of the painted regions; yield progress.

    Parameters
    ----------
    images, labels : array or list of arrays
        The user's images and painted labels, as for :func:`~napari_finetune.finetune`.
    model : str, Path or SegmentationModel
        The pretrained start (``scratch`` ignores it); loaded once.
    strategies : tuple of str
        Strategies to compare (default all: scratch, head, finetune, gradual).
    fractions : tuple of float
        Shares of the training regions (nested subsets).
    seeds : tuple of int
        One run per seed (at least two, so a range shows).
    seconds : float
        Training budget of each run; the whole takes about
        ``len(strategies) × len(fractions) × len(seeds) × (seconds + ~1)``.
    augmentation : str, AugmentationPipeline or None
        As for :func:`~napari_finetune.finetune`.
    device : str
        Where to train (:mod:`napari_finetune.models.device`).
    bn_modes : tuple of str
        BatchNorm handlings each pretrained strategy is run with (the lessons'
        adaptation choices: ``'auto'`` — AdaBN for a pretrained start —,
        ``'frozen'``, ``'adapt'``, ``'adabn'``); ``scratch`` always adapts.
    other_starts : tuple
        Further start models (shipped names, checkpoints or models) every
        pretrained strategy also runs from, e.g. ``('world-unet',)``
        (:func:`other_shipped_starts`); each is loaded once. The candidates
        are then named with their start: ``'finetune from world-unet'``.

    Yields
    ------
    ComparisonStarted, RunProgress, RunDone, ComparisonFinished

    Raises
    ------
    ValueError
        At the call, for unknown strategies, fewer than two seeds, a budget
        under one second, a start model given twice, bad images or labels, or
        too few painted regions (saying how many more to paint).
    """
    labels_of_starts = [start_label(s) for s in (model, *other_starts)]
    if hasattr(model, "net") and labels_of_starts[0] in labels_of_starts[1:]:
        # A model in memory keeps the name of the shipped model it was fine-tuned
        # from (the dock's current model): it is not those weights.
        labels_of_starts[0] = "your model"
    twice = {name for name in labels_of_starts if labels_of_starts.count(name) > 1}
    if twice:
        raise ValueError(
            f"start model {', '.join(sorted(twice))} is given twice: compare different ones."
        )
    candidates = candidates_of(tuple(strategies), tuple(bn_modes), 1 + len(other_starts))
    if len(set(seeds)) < 2:
        raise ValueError("give at least two different seeds: one run says nothing of the noise.")
    if seconds < 1:
        raise ValueError(f"seconds={seconds} per run is too short: give at least 1.")
    plan = plan_comparison(images, labels, tuple(fractions), seeds[0])
    images = [image for image, _ in as_pairs(images, labels)]  # one list, as the plan's labels
    pretrained = any(s != "scratch" for s in strategies)
    starts = []
    for name, start in zip(labels_of_starts, (model, *other_starts), strict=True):
        if not hasattr(start, "net"):
            start = load_model(start) if pretrained else None
        # Named only when there is a choice: one start keeps the plain names.
        starts.append(("" if not other_starts else name, start))
    n_classes = max(int(lab.max()) for lab in plan.subsets[-1].labels)
    caution = short_run_caution(n_classes, starts, seconds)
    return _run(
        images, plan, starts, candidates, tuple(seeds), seconds, augmentation, device, caution
    )


def compare(images: object, labels: object, **kwargs: object) -> StrategyComparison:
    """Blocking form of :func:`compare_strategies` (same arguments): the comparison."""
    for event in compare_strategies(images, labels, **kwargs):
        if isinstance(event, ComparisonFinished):
            return event.comparison
    raise RuntimeError("the comparison ended without a result")


def _run(images, plan, starts, candidates, seeds, seconds, augmentation, device, caution):
    started = time.perf_counter()
    total = len(plan.subsets) * len(seeds) * len(candidates)

    def start_of(strategy: str, k: int) -> str:
        return "" if strategy == "scratch" else starts[k][0]

    yield ComparisonStarted(
        total,
        tuple(
            RunResult(s, 0, 0, 0, None, bn_mode=m, start=start_of(s, k)).candidate
            for s, m, k in candidates
        ),
        tuple(s.painted_pixels for s in plan.subsets),
        seeds,
        plan.held_out_pixels,
        plan.grouping,
        caution,
    )
    results: list[RunResult] = []
    index = 0
    # Smallest subsets first: a comparison stopped early still shows the few-label end.
    for subset in plan.subsets:
        for seed in seeds:
            for strategy, bn_mode, k in candidates:
                index += 1
                events = finetune(
                    images,
                    subset.labels,
                    starts[k][1],
                    strategy=strategy,
                    bn_mode=bn_mode,
                    max_seconds=seconds,
                    augmentation=augmentation,
                    seed=seed,
                    held_out=plan.held_out,
                    device=device,
                )
                finished = None
                try:
                    for event in events:
                        if isinstance(event, Step):
                            within = min(1.0, event.elapsed / seconds)
                            yield RunProgress(
                                index,
                                total,
                                RunResult(
                                    strategy,
                                    0,
                                    0,
                                    0,
                                    None,
                                    bn_mode=bn_mode,
                                    start=start_of(strategy, k),
                                ).candidate,
                                subset.painted_pixels,
                                seed,
                                (index - 1 + within) / total,
                                time.perf_counter() - started,
                            )
                        elif isinstance(event, Finished):
                            finished = event
                finally:
                    events.close()  # Stop: the run in progress ends at once
                result = RunResult(
                    strategy,
                    subset.fraction,
                    subset.painted_pixels,
                    seed,
                    finished.best_score,
                    finished.history,
                    finished.elapsed,
                    finished.history[-1]["step"] if finished.history else 0,
                    bn_mode,
                    start_of(strategy, k),
                )
                results.append(result)
                yield RunDone(index, total, result)
    comparison = StrategyComparison(tuple(results), plan.held_out_pixels, plan.grouping, caution)
    yield ComparisonFinished(comparison, time.perf_counter() - started)
