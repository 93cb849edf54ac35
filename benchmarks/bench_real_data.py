"""Fine-tuning on real micrographs vs training from scratch vs a random forest.

isbi2012 (EM membranes): paint 3 images x 4 boxes of 48^2 among images 0-19,
score on images 20-29. nist_steel (etched steel): paint 12 boxes on the left
half, score on the right half. Every method learns from the same painted
pixels; score = boundary F1 with 2 px tolerance. The random forest on
scikit-image multiscale features is what a napari user would pick instead
(ilastik / APOC style).

Usage::

    python benchmarks/bench_real_data.py [--seconds 60] [--seeds 3]

Prints a table of medians over seeds and writes benchmarks/results/real_data.png.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from common import (
    RESULTS,
    isbi2012,
    markdown_table,
    nist_steel,
    paint_boxes,
    random_forest_baseline,
    score_model,
)

import napari_finetune as nf
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.training import Finished, Step

SETTINGS = {"isbi2012": (3, 4), "nist_steel": (1, 12)}  # images, boxes per image
BOX = 48
FINETUNE = f"{DEFAULT_MODEL} finetune"  # the method as the tables name it


def run(dataset, seconds: float, seed: int) -> dict[str, float]:
    n_images, boxes = SETTINGS[dataset.name]
    chosen, labels = paint_boxes(dataset.paint_truth, n_images, boxes, BOX, seed)
    images = [dataset.paint_images[k] for k in chosen]
    result = {"painted px": float(sum((lab > 0).sum() for lab in labels))}
    for method, strategy in ((FINETUNE, "finetune"), ("scratch", "scratch")):
        speed = []
        for event in nf.finetune(
            images, labels, DEFAULT_MODEL, strategy=strategy, max_seconds=seconds, seed=seed
        ):
            if isinstance(event, Step):
                speed.append(event.samples_per_second)
            if isinstance(event, Finished):
                model = event.model
        result[method] = score_model(model, dataset.score_images, dataset.score_truth)
        result[f"{method} samples/s"] = speed[-1]
    rf, rf_seconds = random_forest_baseline(
        images, labels, dataset.score_images, dataset.score_truth, seed
    )
    result["random forest"], result["random forest s"] = rf, rf_seconds
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    methods = [FINETUNE, "scratch", "random forest"]
    rows, medians = [], {}
    for dataset in (isbi2012(), nist_steel()):
        runs = [run(dataset, args.seconds, seed) for seed in range(args.seeds)]
        for r in runs:
            print(dataset.name, {k: round(v, 3) for k, v in r.items()}, flush=True)
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        spread = {m: (min(r[m] for r in runs), max(r[m] for r in runs)) for m in methods}
        medians[dataset.name] = med
        rows.append(
            [dataset.name, int(med["painted px"])]
            + [f"{med[m]:.3f} ({spread[m][0]:.3f}–{spread[m][1]:.3f})" for m in methods]
            + [f"{med[FINETUNE + ' samples/s']:.0f}"]
        )
    print()
    print(
        f"Boundary F1 (2 px), median (min–max) over {args.seeds} seeds, "
        f"{args.seconds:.0f} s training per network:"
    )
    print(markdown_table(["data", "painted px", *methods, "training samples/s"], rows))
    _plot(medians, methods)


def _plot(medians: dict[str, dict[str, float]], methods: list[str]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    width = 0.25
    for k, method in enumerate(methods):
        values = [medians[d][method] for d in medians]
        ax.bar(np.arange(len(medians)) + (k - 1) * width, values, width, label=method)
    ax.set_xticks(range(len(medians)), list(medians))
    ax.set_ylabel("boundary F1 (2 px)")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(RESULTS / "real_data.png", dpi=100)
    print(f"wrote {RESULTS / 'real_data.png'}")


if __name__ == "__main__":
    main()
