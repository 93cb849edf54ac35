"""Active learning vs random labelling, how well uncertainty finds errors, and its speed.

1. Rounds: a simulated annotator starts with 2 painted boxes of 64^2, then each
   round paints 2 more boxes with the ground truth, either where
   the plugin's LabellingSession ranks boxes (active) or at random unpainted places (random),
   and the model is retrained warm-started. 5 rounds, several seeds, on
   synthetic task B (see bench_transfer.py) and on isbi2012 (pool: 4 of images
   0-19, score: 20-24). Score: boundary F1 (2 px) on the held-out images.
   Settings are chosen on "tuning isbi2012" (other images of 0-19 for both
   pool and score) and "tuning synthetic" (other seeds), never on the reported
   score images. Phases: "superalloy" (pool: the 0° train image of spots 3-7,
   score: the val images; mean IoU and tertiary γ′ IoU), tuned on "tuning
   superalloy" (pool: spots 3-5, score: spots 6-7, train images only).
2. AUROC of each uncertainty method for misclassified pixels on held-out images.
3. Seconds for uncertainty + suggestions on a 2048^2 image (default method).

Usage::

    python benchmarks/bench_active_learning.py [--seeds 3] [--rounds 5] [--steps 100]
    python benchmarks/bench_active_learning.py --datasets "tuning isbi2012" \
        --modes active --weight 4 --rounds-only   # try another exponent
    python benchmarks/bench_active_learning.py --datasets superalloy \
        --modes active "not seeking thin" random --rounds-only   # phases

Prints tables (mean and min–max per round) and writes
benchmarks/results/active_learning_<dataset>.png (synthetic, isbi2012, tuning_...).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_feature_forest import PHASE_NAMES, nasa
from bench_feature_forest import score as phase_score
from bench_transfer import task_b
from common import DATA, RESULTS, isbi2012, markdown_table, paint_boxes, score_model

import napari_finetune as nf
from napari_finetune.inference.suggest import REPRESENTATIVENESS_WEIGHT
from napari_finetune.inference.thin_class_emphasis import THIN_CLASS_WEIGHT
from napari_finetune.inference.uncertainty import DEFAULT_METHOD, METHODS
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.session import (
    CURRENT,
    LabellingSession,
    Pair,
    RoundOptions,
    SuggestionOptions,
)

BOX, START_BOXES, BOXES_PER_ROUND = 64, 2, 2
# active: what the widget suggests (boxes drawn in proportion to uncertainty x
# representativeness); best first: the best-scored boxes instead (the widget
# before 2026-12-06); uncertainty only: drawn without the representativeness factor;
# not seeking thin: active without seeking a thinly painted class (the widget before
# 2026-12-06; the same boxes while no class is thin).
MODES = {
    "active": "#d62728",
    "not seeking thin": "#2ca02c",
    "best first": "#9467bd",
    "uncertainty only": "#ff7f0e",
    "random": "#1f77b4",
}


def synthetic(pool_seed: int = 3000, test_seed: int = 4000):
    pool = [task_b(pool_seed + k) for k in range(4)]
    test = [task_b(test_seed + k) for k in range(3)]
    return (
        [s.image for s in pool],
        [s.classes for s in pool],
        [s.image for s in test],
        [s.classes for s in test],
    )


def real():
    data = isbi2012()
    pool = list(range(0, 20, 5))  # four pool images keep the rounds affordable
    return (
        [data.paint_images[k] for k in pool],
        [data.paint_truth[k] for k in pool],
        data.score_images[:5],
        data.score_truth[:5],
    )


def tuning_isbi2012():
    """isbi2012 images the other two sets never use: for choosing settings.

    Settings (such as the representativeness weight) are chosen on these, so
    that the reported isbi2012 rounds are not tuned on their own score images.
    """
    data = isbi2012()
    pool, score = [2, 7, 12, 17], [4, 9, 14, 19, 1]
    return (
        [data.paint_images[k] for k in pool],
        [data.paint_truth[k] for k in pool],
        [data.paint_images[k] for k in score],
        [data.paint_truth[k] for k in score],
    )


def tuning_isbi2012_b():
    """A second tuning set of isbi2012 images no other set uses (3, 8, 13, 18; 6, 11, 16).

    "tuning isbi2012" did not separate the rankings tried; this one reproduces
    the reported set's gap between active and random boxes (README), so ranking
    changes are tried here, never on the reported score images.
    """
    data = isbi2012()
    pool, score = [3, 8, 13, 18], [6, 11, 16]
    return (
        [data.paint_images[k] for k in pool],
        [data.paint_truth[k] for k in pool],
        [data.paint_images[k] for k in score],
        [data.paint_truth[k] for k in score],
    )


def _superalloy_images(spots: list[int], part: str = "train", angle: str = "") -> tuple:
    """The superalloy's images of ``spots`` (its README: split by spot, never by tile)."""
    names = sorted(p.name for p in Path(DATA / "nasa_superalloy" / part).glob("*_image.png"))
    train_images, train_truth, val_images, val_truth = nasa()
    images, truth = (train_images, train_truth) if part == "train" else (val_images, val_truth)
    keep = [
        k
        for k, name in enumerate(names)
        if int(name.split("_")[0][4:]) in spots and angle in ("", name.split("_")[1])
    ]
    return [images[k] for k in keep], [truth[k] for k in keep]


def superalloy():
    """Superalloy phases: pool the 0° train image of each spot (3-7), score the val images."""
    pool_images, pool_truth = _superalloy_images([3, 4, 5, 6, 7], angle="0d")
    return pool_images, pool_truth, *nasa()[2:]


def tuning_superalloy():
    """Superalloy train images only: pool spots 3-5 (0°), score spots 6 and 7 (both angles).

    For choosing settings: the val images (the reported score) are never read.
    """
    pool_images, pool_truth = _superalloy_images([3, 4, 5], angle="0d")
    return pool_images, pool_truth, *_superalloy_images([6, 7])


def tuning_synthetic():
    """Synthetic task B images of other seeds than ``synthetic``: for choosing settings."""
    return synthetic(pool_seed=5000, test_seed=6000)


DATASETS = {
    "synthetic task B": synthetic,
    "isbi2012": real,
    "tuning isbi2012": tuning_isbi2012,
    "tuning synthetic": tuning_synthetic,
    "tuning isbi2012 b": tuning_isbi2012_b,
    "superalloy": superalloy,
    "tuning superalloy": tuning_superalloy,
}
# Region tasks: scored by mean IoU over the phases (bench_feature_forest.score), trained
# with the phases named (the start model would call class 2 'boundary').
PHASES = {"superalloy", "tuning superalloy"}


def score_round(name: str, model, images, truth) -> tuple[float, list | None]:
    """Boundary F1, or for a phase set mean IoU and the IoU of each phase."""
    if name not in PHASES:
        return score_model(model, images, truth), None
    found = phase_score("phases", [nf.predict(model, image) for image in images], truth)
    return found["score"], found["IoU per phase"]


def random_boxes(labels, n, rng):
    """``n`` boxes at random places off the paint and off each other (equal pixels)."""
    taken = [lab > 0 for lab in labels]
    boxes = []
    for _ in range(2000):
        if len(boxes) == n:
            break
        k = int(rng.integers(len(labels)))
        rows, cols = labels[k].shape
        y, x = int(rng.integers(0, rows - BOX + 1)), int(rng.integers(0, cols - BOX + 1))
        if not taken[k][y : y + BOX, x : x + BOX].any():
            boxes.append((k, y, x))
            taken[k][y : y + BOX, x : x + BOX] = True
    return boxes


def run_rounds(
    name,
    data,
    mode,
    rounds,
    steps,
    seed,
    method=DEFAULT_METHOD,
    weight=REPRESENTATIVENESS_WEIGHT,
    start=DEFAULT_MODEL,
    afresh=False,
    fold_in=True,
):
    """One simulated annotator's rounds on the set called ``name``, through the LabellingSession.

    The session trains on the painted pool images and ranks boxes over all of
    them, exactly as the Fine-tune dock does; the annotator paints the top
    ``BOXES_PER_ROUND`` boxes of that ranking (active), or random boxes. Each
    round starts from the last one's model (warm), or from ``start`` when
    ``afresh``; ``fold_in`` is the round's fold-in switch.
    """
    images, truth, test_images, test_truth = data
    rng = np.random.default_rng(seed)
    _, first = paint_boxes(truth[:1], 1, START_BOXES, BOX, seed)
    labels = [first[0]] + [np.zeros_like(t) for t in truth[1:]]
    # Boxes per image as many as are painted per round: the best of each image
    # compete in the session's ranking over all images.
    suggestions = (
        None
        if mode == "random"
        else SuggestionOptions(
            method,
            BOXES_PER_ROUND,
            BOX,
            0.0 if mode == "uncertainty only" else weight,
            None if mode == "best first" else seed,
            0.0 if mode == "not seeking thin" else THIN_CLASS_WEIGHT,
        )
    )
    session = LabellingSession()
    curve = []
    for r in range(rounds):
        session.set_pairs(
            Pair(im, lab, f"pool {k}")
            for k, (im, lab) in enumerate(zip(images, labels, strict=True))
        )
        options = RoundOptions(
            start=start if r == 0 or afresh else CURRENT,
            fold_in=fold_in,
            strategy="finetune",
            steps=steps,
            seed=seed,
            live_previews=False,
            final_predictions=False,
            suggestions=suggestions,
            class_names=PHASE_NAMES if name in PHASES else None,
        )
        session.run_round(options)
        painted = int(sum((lab > 0).sum() for lab in labels))
        per_image = [int((lab > 0).sum()) for lab in labels]
        scored, per_phase = score_round(name, session.model, test_images, test_truth)
        curve.append((painted, scored, per_image, per_phase))
        if mode == "random":
            boxes = random_boxes(labels, BOXES_PER_ROUND, rng)
        else:
            boxes = [
                (int(b.target.split()[-1]), b.box[0], b.box[1])
                for b in session.ranking(BOXES_PER_ROUND)
            ]
        for k, y, x in boxes:
            labels[k][y : y + BOX, x : x + BOX] = truth[k][y : y + BOX, x : x + BOX]
    return curve


def _mean_range(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(order.size)
    ranks[order] = np.arange(1, order.size + 1)
    pos = positive.sum()
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * (~positive).sum()))


def error_detection(data, seed=0):
    images, truth, test_images, test_truth = data
    chosen, labels = paint_boxes(truth, 2, 3, BOX, seed)
    model, _ = nf.fit([images[k] for k in chosen], labels, DEFAULT_MODEL, steps=100, seed=seed)
    result = {}
    for method in METHODS:
        start, scores, wrong = time.perf_counter(), [], []
        for image, exact in zip(test_images, test_truth, strict=True):
            probs = nf.predict(model, image)
            wrong.append(((np.argmax(probs, 0) + 1) != exact).ravel())
            scores.append(nf.uncertainty(model, image, method=method).ravel())
        result[method] = (
            auroc(np.concatenate(scores), np.concatenate(wrong)),
            time.perf_counter() - start,
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first..first+seeds-1")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--skip-rounds", action="store_true", help="only AUROC and timing")
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["synthetic task B", "isbi2012"],
        choices=list(DATASETS),
        help="which data",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        default=[mode for mode in MODES if mode != "not seeking thin"],  # = active, no thin class
        choices=list(MODES),
        help="which selection",
    )
    parser.add_argument("--method", default=DEFAULT_METHOD, choices=METHODS, help="active's map")
    parser.add_argument(
        "--weight",
        type=float,
        default=REPRESENTATIVENESS_WEIGHT,
        help="active's representativeness exponent",
    )
    parser.add_argument("--rounds-only", action="store_true", help="no AUROC and timing")
    parser.add_argument("--start", default=DEFAULT_MODEL, help="the first round's start model")
    parser.add_argument("--afresh", action="store_true", help="every round from --start")
    parser.add_argument("--no-fold-in", action="store_true", help="rounds without the fold-in")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    datasets = {name: DATASETS[name]() for name in args.datasets}
    curves = {}
    for name, data in ({} if args.skip_rounds else datasets).items():
        for mode in args.modes:
            runs = [
                run_rounds(
                    name,
                    data,
                    mode,
                    args.rounds,
                    args.steps,
                    s,
                    args.method,
                    args.weight,
                    args.start,
                    args.afresh,
                    not args.no_fold_in,
                )
                for s in range(args.first_seed, args.first_seed + args.seeds)
            ]
            curves[(name, mode)] = runs
            print(name, mode, runs, flush=True)
    for name in {} if args.skip_rounds else datasets:
        phases = name in PHASES
        metric = "mean IoU" if phases else "F1"
        what = ("painted px", metric, "tertiary γ′ IoU") if phases else ("painted px", metric)
        rows = []
        for r in range(args.rounds):
            row = [r + 1]
            for mode in args.modes:
                runs = curves[(name, mode)]
                px, scored = [run[r][0] for run in runs], [run[r][1] for run in runs]
                row += [int(np.mean(px)), _mean_range(scored)]
                if phases:  # the thinly painted phase: where the paint goes shows first
                    row.append(_mean_range([run[r][3][2] or 0.0 for run in runs]))
            rows.append(row)
        print(f"\n{name}: {metric} per round, mean (min–max) over {args.seeds} seeds")
        print(markdown_table(["round"] + [f"{m} {w}" for m in args.modes for w in what], rows))
    if not args.skip_rounds:
        _plot(curves, datasets, args.modes)
    if args.rounds_only:
        return
    print("\nAUROC of the uncertainty map for misclassified pixels (held-out images):")
    rows = []
    for name, data in datasets.items():
        result = error_detection(data)
        rows += [[name, method, f"{a:.3f}", f"{s:.1f}"] for method, (a, s) in result.items()]
    print(markdown_table(["data", "method", "AUROC", "seconds (all test images)"], rows))
    big = nf.voronoi_grains((2048, 2048), 500, seed=1)
    session = LabellingSession(
        [Pair(big.image, np.zeros(big.image.shape, np.uint8), "big")],
        nf.load_model(DEFAULT_MODEL),
    )
    start = time.perf_counter()
    (found,) = session.suggest(SuggestionOptions(n=5, size=BOX))
    boxes = found.boxes
    seconds = time.perf_counter() - start
    print(
        f"\nuncertainty ({DEFAULT_METHOD}) + representativeness + {len(boxes)} suggestions "
        f"on 2048²: {seconds:.1f} s"
    )


def _plot(curves, datasets, modes) -> None:
    """One figure per dataset, so datasets can run in parallel processes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for name in datasets:
        fig = Figure(figsize=(5, 3.6))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        for mode in modes:
            colour = MODES[mode]
            runs = curves[(name, mode)]
            px = np.mean([[p for p, *_ in run] for run in runs], axis=0)
            f1 = np.array([[f for _, f, *_ in run] for run in runs])
            ax.plot(px, f1.mean(0), marker="o", color=colour, label=f"{mode} ({len(runs)} seeds)")
            ax.fill_between(px, f1.min(0), f1.max(0), color=colour, alpha=0.12)
        ax.set_title(f"{name}: mean and min–max over seeds")
        ax.set_xlabel("painted pixels")
        ax.set_ylabel("mean IoU (phases)" if name in PHASES else "boundary F1 (2 px)")
        ax.legend()
        fig.tight_layout()
        slug = name.replace("task B", "").strip().replace(" ", "_")
        path = RESULTS / f"active_learning_{slug}.png"
        fig.savefig(path, dpi=100)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
