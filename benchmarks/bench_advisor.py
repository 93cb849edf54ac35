"""The strategy advisor on real and synthetic paintings: its wall time and its pick.

Runs the shipped advisor (``napari_finetune.training.advisor.compare_strategies``,
as *Compare strategies…* and ``napari-finetune compare`` run it: 4 strategies ×
25/50/100 % of the painted regions × 2 seeds, ``--seconds`` each) on

- ``painted``: the painted-strokes sample (File > Open Sample);
- ``isbi2012`` (3 images × 4 boxes of 48² among images 0–19), ``taskb``
  (synthetic task B of bench_transfer, 3 images × 4 boxes), ``nist_steel`` (12
  boxes on its paint image) and ``nasa`` (3 superalloy ``train`` images × 4 boxes,
  scored as mean IoU of the three phases): the paintings of ``bench_levers.py``
  at ``--painting-seed`` (default 0); ``--images`` and ``--boxes`` paint more of
  isbi2012 or task B (a painting with more held-out regions).

With ``--truth-seconds S`` it also trains every candidate on all the painted
pixels for S seconds (2 seeds) and scores it against the exact labels of
unseen images (isbi2012 20–29; fresh task-B images; NIST steel's right half;
the superalloy's ``val``): the best candidate there is what the pick should
match, within noise.

``--strategies`` narrows the strategies compared; ``--also-from voronoi-unet``
runs each pretrained strategy from that start model too (``--model`` sets the
first start; default the shipped default ``world-unet``), as the dock's *also
start from* box does, so the advisor picks the start model as well;
``--bn-modes`` and ``--pseudo-labels`` as ``compare``'s (the dock's *also BatchNorm
frozen / adapt* and *pseudo-labels on and off*). The truth runs train every candidate
compared, in its own BatchNorm mode and with its own pseudo-labels.

Usage::

    python benchmarks/bench_advisor.py [--datasets painted isbi2012 taskb nist_steel nasa]
        [--seconds 8] [--truth-seconds 60] [--strategies finetune] [--also-from voronoi-unet]
        [--bn-modes auto frozen] [--pseudo-labels off on] [--model M] [--painting-seed 0]
        [--images 6 --boxes 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

from bench_feature_forest import PHASE_NAMES, dataset, score
from common import markdown_table

import napari_finetune as nf
from napari_finetune._sample_data import painted_grains
from napari_finetune.choices import (
    BN_CHOICES,
    PSEUDO_LABEL_CHOICES,
    SEMI_SUPERVISED_OF,
    STRATEGY_CHOICES,
)
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.training.advisor import ComparisonFinished, RunDone, compare_strategies
from napari_finetune.training.advisor_starts import start_label


def painted_data(_seed: int = 0):
    layers = {kind: data for data, _, kind in painted_grains()}
    return "boundary", [layers["image"]], [layers["labels"]], None, None


DATASETS = {
    "painted": painted_data,
    # The paintings of bench_levers.py / bench_feature_forest.py at --painting-seed.
    **{name: partial(dataset, name) for name in ("isbi2012", "taskb", "nist_steel", "nasa")},
}


def truth_scores(kind, images, labels, test_images, test_truth, seconds, candidates):
    """Median (low, high) test score per candidate, trained on every painted pixel (2 seeds).

    ``candidates`` maps a candidate's name to its (strategy, start model, BatchNorm
    mode, pseudo-label choice).
    """
    scores = {}
    for name, (strategy, start, bn_mode, pseudo_labels) in candidates.items():
        runs = []
        for seed in (0, 1):
            model, _ = nf.fit(
                images,
                labels,
                start,
                strategy=strategy,
                bn_mode=bn_mode,
                semi_supervised=SEMI_SUPERVISED_OF[pseudo_labels],
                max_seconds=seconds,
                seed=seed,
                class_names=PHASE_NAMES if kind == "phases" else None,
            )
            probabilities = [nf.predict(model, image) for image in test_images]
            runs.append(score(kind, probabilities, test_truth)["score"])
        scores[name] = (statistics.median(runs), min(runs), max(runs))
        print(f"  truth: {name} test score {scores[name][0]:.3f} {runs}", flush=True)
    return scores


def sureness(pick) -> str:
    """``clear``, or the candidates within seed noise / doubted by redrawn regions."""
    if pick.clear:
        return "clear"
    said = [f"overlap: {', '.join(pick.close)}"] if pick.close else []
    said += [f"lean over {', '.join(pick.unsure)} (regions)"] if pick.unsure else []
    return "; ".join(said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", choices=list(DATASETS), default=["painted", "isbi2012", "taskb"]
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="budget of each advisor run")
    parser.add_argument("--truth-seconds", type=float, default=0, help="0: skip the truth runs")
    parser.add_argument(
        "--strategies", nargs="+", choices=STRATEGY_CHOICES, default=STRATEGY_CHOICES
    )
    parser.add_argument(
        "--also-from", nargs="+", default=[], help="other start models (e.g. voronoi-unet)"
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the first start model")
    parser.add_argument(
        "--bn-modes", nargs="+", choices=BN_CHOICES, default=["auto"], help="as compare's"
    )
    parser.add_argument(
        "--pseudo-labels",
        nargs="+",
        choices=PSEUDO_LABEL_CHOICES,
        default=["auto"],
        help="as compare's: 'off on' compares both",
    )
    parser.add_argument(
        "--images", type=int, help="paint this many images (isbi2012, taskb; default 3)"
    )
    parser.add_argument(
        "--boxes", type=int, help="boxes of 48² per image (isbi2012, taskb; default 4)"
    )
    parser.add_argument(
        "--painting-seed", type=int, default=0, help="which of bench_levers' paintings"
    )
    args = parser.parse_args()
    more = {"n_images": args.images, "boxes": args.boxes}
    more = more if any(v is not None for v in more.values()) else {}
    if more and set(args.datasets) - {"isbi2012", "taskb"}:
        parser.error("--images and --boxes paint isbi2012 and taskb only")
    start = nf.load_model(args.model)
    others = [nf.load_model(name) for name in args.also_from]
    rows = []
    for name in args.datasets:
        kind, images, labels, test_images, test_truth = DATASETS[name](args.painting_seed, **more)
        began = time.perf_counter()
        events = compare_strategies(
            images,
            labels,
            start,
            strategies=tuple(args.strategies),
            seconds=args.seconds,
            other_starts=tuple(others),
            class_names=PHASE_NAMES if kind == "phases" else None,
            bn_modes=tuple(args.bn_modes),
            pseudo_labels=tuple(args.pseudo_labels),
        )
        for event in events:
            if isinstance(event, RunDone):
                r = event.result
                print(
                    f"{name} [{event.index}/{event.runs}] {r.candidate} {r.painted_pixels} px "
                    f"seed {r.seed}: {r.score:.3f} ({r.steps} steps)",
                    flush=True,
                )
            elif isinstance(event, ComparisonFinished):
                comparison = event.comparison
        wall = time.perf_counter() - began
        pick = comparison.recommendation()
        print(pick.text)
        gaps = ", ".join(f"{g:+.3f} @ {px}" for px, g in comparison.transfer_gap().items())
        truth = "–"
        if args.truth_seconds and test_images is not None:
            # A run names its start model ('' when only one was compared).
            by_name = {"": start} | {start_label(m): m for m in (start, *others)}
            candidates = {
                r.candidate: (r.strategy, by_name[r.start], r.bn_mode, r.pseudo_labels)
                for r in comparison.runs
            }
            found = truth_scores(
                kind, images, labels, test_images, test_truth, args.truth_seconds, candidates
            )
            best = max(found, key=lambda s: found[s][0])
            low = found[best][1]
            within = [s for s, (_, _, high) in found.items() if high >= low]
            truth = f"{best} {found[best][0]:.3f}; within noise: {', '.join(within)}"
        rows.append(
            [
                name,
                f"{wall:.0f} s",
                f"{pick.candidate} {pick.median:.3f}",
                sureness(pick),
                gaps,
                truth,
            ]
        )
    print()
    runs = len(comparison.runs)
    print(f"Advisor, {args.seconds:g} s per run, {runs} runs each (the last data set's count):")
    print(
        markdown_table(
            [
                "data",
                "wall time",
                "pick (held-out F1)",
                "sure?",
                "transfer gap by px",
                "long runs",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
