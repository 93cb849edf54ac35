"""The strategy advisor: which transfer-learning strategy suits the user's own painted data.

The lessons' decision table (label count × domain gap → feature extraction,
fine-tuning, BatchNorm adaptation, gradual unfreezing) is advice; this runs it.
Each strategy trains on nested subsets of the painted regions (25 / 50 / 100 %
by default) for a short budget with two or more seeds, every run scored on the
same held-out painted regions (:mod:`~napari_finetune.training.advisor_plan`);
the result plots score against painted pixels per strategy with the loss
curves, and recommends the best with how sure that is
(:mod:`~napari_finetune.training.advisor_result`). With ``other_starts`` each
pretrained strategy also runs from other start models
(:mod:`~napari_finetune.training.advisor_starts`), with ``bn_modes`` in each
BatchNorm mode and with ``pseudo_labels`` with and without pseudo-labels on the
unpainted pixels (:mod:`~napari_finetune.training.advisor_candidates`).

``compare_strategies`` yields events, so a widget shows progress and Stop closes it (the
run in progress stops at its next step); ``compare`` is the blocking form.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from napari_finetune.choices import SEMI_SUPERVISED_OF, STRATEGY_CHOICES
from napari_finetune.data.painted import as_pairs
from napari_finetune.data.unpainted import unpainted_images
from napari_finetune.models.class_names import check_class_names
from napari_finetune.models.device import DEFAULT_DEVICE
from napari_finetune.models.registry import DEFAULT_MODEL, load_model
from napari_finetune.training.advisor_candidates import (
    DEFAULT_SEEDS,
    Candidate,
    candidate_name,
    candidates_of,
)
from napari_finetune.training.advisor_plan import DEFAULT_FRACTIONS, plan_comparison
from napari_finetune.training.advisor_result import RunResult, StrategyComparison
from napari_finetune.training.advisor_starts import short_run_caution, start_names
from napari_finetune.training.class_contact import new_head, suggest_pseudo_labels
from napari_finetune.training.engine import finetune
from napari_finetune.training.events import Finished, Step

DEFAULT_SECONDS = 8.0


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
    candidate: str  # as RunResult.candidate names it: 'finetune from voronoi-unet'
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
    class_names: dict[int, str] | None = None,
    pseudo_labels: tuple[str, ...] = ("auto",),
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
        Training budget of each run; all take about
        :func:`~napari_finetune.training.advisor_candidates.estimated_seconds` of
        :func:`~napari_finetune.training.advisor_candidates.planned_runs`.
    augmentation : str, AugmentationPipeline or None
        As for :func:`~napari_finetune.finetune`.
    device : str
        Where to train (:mod:`napari_finetune.models.device`).
    bn_modes : tuple of str
        BatchNorm handlings each pretrained strategy is run with (the lessons' adaptation
        choices: ``'auto'`` — AdaBN for a pretrained start —, ``'frozen'``, ``'adapt'``,
        ``'adabn'``); ``scratch`` always adapts.
    other_starts : tuple
        Further start models (shipped names, checkpoints or models) every
        pretrained strategy also runs from, e.g. ``('voronoi-unet',)``
        (:func:`~napari_finetune.training.advisor_starts.other_shipped_starts`), each loaded
        once; the candidates are then named with their start: ``'finetune from voronoi-unet'``.
    class_names : dict, optional
        As for :func:`~napari_finetune.finetune` (which classes score as thin); None: the
        first start's names, for every run, so that runs of other starts stay comparable.
    pseudo_labels : tuple of str
        Whether each pretrained strategy learns from a mean teacher's pseudo-labels on
        the unpainted pixels of the painted images: ``'auto'`` as
        :func:`~napari_finetune.finetune` decides it by the whole painting (on for
        strokes on the start's own head, off for boxes and from scratch or on a start
        of another class count; decided once, so every share trains alike), ``'on'``,
        ``'off'``; ``('off', 'on')`` compares the two. ``scratch`` runs once, with the
        first choice. Runs with pseudo-labels also learn from the images with no
        painted pixel (of the painted ones' kind), as a round does.

    Yields
    ------
    ComparisonStarted, RunProgress, RunDone, ComparisonFinished

    Raises
    ------
    ValueError
        At the call, for unknown strategies, BatchNorm modes or pseudo-label choices,
        fewer than two seeds, a budget under one
        second, a start model given twice, bad images, labels or class names, or too few
        painted regions (saying how many more to paint).
    """
    for what, given in zip(
        ("strategies", "bn_modes", "pseudo_labels"),
        (strategies, bn_modes, pseudo_labels),
        strict=True,
    ):
        if isinstance(given, str):  # tuple('on') would be ('o', 'n'), refused as letters
            raise ValueError(f"{what}={given!r} is one string: give a tuple, e.g. ({given!r},).")
    names = start_names(model, tuple(other_starts))
    class_names = check_class_names(class_names) if class_names else None
    candidates = candidates_of(
        tuple(strategies), tuple(bn_modes), 1 + len(other_starts), tuple(pseudo_labels)
    )
    if len(set(seeds)) < 2:
        raise ValueError("give at least two different seeds: one run says nothing of the noise.")
    if seconds < 1:
        raise ValueError(f"seconds={seconds} per run is too short: give at least 1.")
    plan = plan_comparison(images, labels, tuple(fractions), seeds[0])
    pairs = as_pairs(images, labels)
    images = [image for image, _ in pairs]  # one list, as the plan's labels
    # Images nobody painted are not trained on (collect_painted); they teach the runs with
    # pseudo-labels (those of the painted ones' kind), as they teach a round.
    whole = [lab for _, lab in pairs]
    unpainted = unpainted_images(images, whole, [int(np.count_nonzero(lab)) for lab in whole])
    pretrained = any(s != "scratch" for s in strategies)
    starts = [
        (name, start if hasattr(start, "net") else load_model(start) if pretrained else None)
        for name, start in zip(names, (model, *other_starts), strict=True)
    ]
    n_classes = max(int(lab.max()) for lab in plan.subsets[-1].labels)
    caution = short_run_caution(n_classes, starts, seconds)
    named = class_names or (dict(starts[0][1].classes) if starts[0][1] is not None else None)
    training = {"augmentation": augmentation, "device": device, "class_names": named}
    # 'auto' judged once on the whole painting, as the dock judges it: a 25 % share
    # could be judged otherwise, and one candidate's curve would mix the two.
    # 'auto' then follows each candidate's head, as a run's does (plan_pseudo_labels).
    strokes = suggest_pseudo_labels(whole).on
    semi = {c: pseudo_labels_of(c, starts, strokes, n_classes) for c in candidates}
    runs = (images, plan, starts, candidates, tuple(seeds), seconds, training, caution)
    return _run(*runs, semi, unpainted)


def pseudo_labels_of(candidate: Candidate, starts: list, strokes: bool, n_classes: int) -> bool:
    """A candidate's pseudo-label switch, 'auto' decided as in a run.

    'auto' is on for strokes (judged on the whole painting) on the start's own
    head: off from scratch or on a start of another class count.
    """
    if candidate.pseudo_labels != "auto":
        return SEMI_SUPERVISED_OF[candidate.pseudo_labels]
    start = 0 if candidate.strategy == "scratch" else starts[candidate.start][1].n_classes
    return strokes and not new_head(start, n_classes)


def compare(images: object, labels: object, **kwargs: object) -> StrategyComparison:
    """Blocking form of :func:`compare_strategies` (same arguments): the comparison."""
    for event in compare_strategies(images, labels, **kwargs):
        if isinstance(event, ComparisonFinished):
            return event.comparison
    raise RuntimeError("the comparison ended without a result")


def _run(images, plan, starts, candidates, seeds, seconds, training, caution, semi, unpainted):
    started = time.perf_counter()
    total = len(plan.subsets) * len(seeds) * len(candidates)

    def start_of(c) -> str:
        return "" if c.strategy == "scratch" else starts[c.start][0]

    def named(c) -> str:
        return candidate_name(c.strategy, c.bn_mode, start_of(c), c.pseudo_labels)

    painted = tuple(s.painted_pixels for s in plan.subsets)
    held, grouping = plan.held_out_pixels, plan.grouping
    names = tuple(named(c) for c in candidates)
    yield ComparisonStarted(total, names, painted, seeds, held, grouping, caution)
    results: list[RunResult] = []
    index = 0
    # Smallest subsets first: a comparison stopped early still shows the few-label end.
    for subset in plan.subsets:
        for seed in seeds:
            for candidate in candidates:
                index += 1
                events = finetune(
                    images,
                    subset.labels,
                    starts[candidate.start][1],
                    strategy=candidate.strategy,
                    bn_mode=candidate.bn_mode,
                    max_seconds=seconds,
                    seed=seed,
                    held_out=plan.held_out,
                    semi_supervised=semi[candidate],  # decided once per candidate
                    unlabelled=unpainted if semi[candidate] else None,
                    **training,  # augmentation, device, class names
                )
                finished = None
                try:
                    for event in events:
                        if isinstance(event, Step):
                            within = min(1.0, event.elapsed / seconds)
                            yield RunProgress(
                                index,
                                total,
                                named(candidate),
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
                    candidate.strategy,
                    subset.fraction,
                    subset.painted_pixels,
                    seed,
                    finished.best_score,
                    finished.history,
                    finished.elapsed,
                    finished.history[-1]["step"] if finished.history else 0,
                    candidate.bn_mode,
                    start_of(candidate),
                    finished.held_out.counts if finished.held_out is not None else (),
                    candidate.pseudo_labels,
                )
                results.append(result)
                yield RunDone(index, total, result)
    comparison = StrategyComparison(tuple(results), held, grouping, caution, names, seeds, painted)
    yield ComparisonFinished(comparison, time.perf_counter() - started)
