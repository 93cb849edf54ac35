"""The transfer experiment: strategies x painted-label budgets on synthetic task B.

Task A is the pretraining of the default start model (``world-unet``: varied
synthetic grains among the wider world's kinds; ``voronoi-unet``, the earlier
default, saw the grains alone). Task B is one specific, different
microstructure: columnar grains at 30 deg, finer than average, thin bright SE
edges, low dose, strong target-domain effects (scan jitter, vignetting, drift).
A simulated annotator fully paints N boxes of 48^2 on a pool of task-B images;
each strategy trains the same number of steps on them; the score is boundary F1
(2 px) on fresh task-B images.

Usage::

    python benchmarks/bench_transfer.py [--steps 150] [--seeds 3] [--budgets 1 2 5 10 20]
        [--strategies scratch finetune] [--first-seed 0]

Prints a table of medians over seeds and writes benchmarks/results/transfer.png.
"""

from __future__ import annotations

import argparse
import statistics

from common import RESULTS, markdown_table, paint_boxes, score_model

import napari_finetune as nf
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.synth import TargetDomain

STRATEGIES = ("scratch", "head", "finetune", "gradual")
TASK_B = {
    "mean_diameter": 34.0,
    "morphology": "elongated",
    "elongation": 2.5,
    "direction": 30.0,
    "boundary_width": 2,
    "boundary_contrast": -0.45,
    "contrast": 0.3,
    "dose": 12.0,
    "blur": 1.2,
    "target_domain": TargetDomain(scan_jitter_px=1.5, vignetting=0.45, drift=0.2),
}
POOL, TEST, SIDE = 6, 4, 384


def task_b(seed: int):
    return nf.voronoi_grains((SIDE, SIDE), seed=seed, **TASK_B)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first..first+seeds-1")
    parser.add_argument("--budgets", type=int, nargs="+", default=[1, 2, 5, 10, 20])
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--plot", default="transfer.png", help="file name under results/")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    pool = [task_b(1000 + k) for k in range(POOL)]
    test = [task_b(2000 + k) for k in range(TEST)]
    test_images, test_truth = [s.image for s in test], [s.classes for s in test]
    start = nf.load_model(DEFAULT_MODEL)
    zero_shot = score_model(start, test_images, test_truth)
    print(f"{DEFAULT_MODEL} without fine-tuning (zero-shot) on task B: F1 {zero_shot:.3f}")

    strategies = args.strategies
    scores = {s: {b: [] for b in args.budgets} for s in strategies}
    for budget in args.budgets:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            # Boxes spread over the pool: up to 5 per image.
            n_images = min(POOL, max(1, (budget + 4) // 5))
            per_image = -(-budget // n_images)
            chosen, labels = paint_boxes([s.classes for s in pool], n_images, per_image, 48, seed)
            images = [pool[k].image for k in chosen]
            for strategy in strategies:
                model, _ = nf.fit(
                    images, labels, start, strategy=strategy, steps=args.steps, seed=seed
                )
                f1 = score_model(model, test_images, test_truth)
                scores[strategy][budget].append(f1)
                print(f"boxes {budget:2d} seed {seed} {strategy:8s} F1 {f1:.4f}", flush=True)

    rows = [
        [strategy] + [statistics.median(scores[strategy][b]) for b in args.budgets]
        for strategy in strategies
    ]
    gap = [
        statistics.median(scores["finetune"][b]) - statistics.median(scores["scratch"][b])
        for b in args.budgets
    ]
    rows.append(["gap finetune - scratch", *gap])
    print()
    print(
        f"Boundary F1 on fresh task-B images, median over {args.seeds} seeds, "
        f"{args.steps} steps each; columns = painted boxes of 48²; zero-shot {zero_shot:.3f}:"
    )
    print(markdown_table(["strategy", *map(str, args.budgets)], rows))
    _plot(scores, args.budgets, zero_shot, args.plot)


def _plot(scores, budgets, zero_shot, name) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for strategy, by_budget in scores.items():
        medians = [statistics.median(by_budget[b]) for b in budgets]
        lows = [min(by_budget[b]) for b in budgets]
        highs = [max(by_budget[b]) for b in budgets]
        ax.plot(budgets, medians, marker="o", label=strategy)
        ax.fill_between(budgets, lows, highs, alpha=0.15)
    ax.axhline(zero_shot, color="grey", linestyle="--", label="pretrained, no fine-tuning")
    ax.set_xscale("log")
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.set_xlabel("painted boxes of 48² px")
    ax.set_ylabel("boundary F1 (2 px) on task B")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / name, dpi=100)
    print(f"wrote {RESULTS / name}")


if __name__ == "__main__":
    main()
