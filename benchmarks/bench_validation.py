"""Does the validation F1 the user is shown track the true score?

For each set and seed a run fine-tunes the default start model on a simulated
painting, and three numbers are compared:

- **reported**: the validation F1 of the kept epoch as the dock and the CLI show
  it (:mod:`napari_finetune.training.held_out_score`: thin classes in a 2-px
  tolerance band beside the held-out strokes), with its bootstrap range and
  whether it came with a caution;
- **pixel F1**: the score shown before, per pixel on the same held-out pixels
  with the same final model;
- **true**: boundary F1 (2 px tolerance) of the same model against the exact
  labels of images never painted on.

Sets: synthetic SEM-like grains painted with strokes (the painted-strokes
sample's painter), isbi2012 (3 images x 4 boxes of 48 px) and NIST steel
(12 boxes on the left half, scored on the right half), as the README of each
data folder prescribes. Two step budgets per seed give weaker and stronger
models, so the true score varies. The summary gives the correlation of
reported and true scores, the bias (mean reported - true) and the mean
absolute error, for the new and the old number.

Usage::

    python benchmarks/bench_validation.py [--seeds 3] [--steps 40 160]
"""

from __future__ import annotations

import argparse

import numpy as np
from common import isbi2012, markdown_table, nist_steel, paint_boxes, score_model

import napari_finetune as nf
from napari_finetune.data.painted import collect_painted
from napari_finetune.data.split import split_validation
from napari_finetune.inference.predict import predict_plane
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training.events import Finished

BOX = 48
BOXES = {"isbi2012": (3, 4), "nist_steel": (1, 12)}


def synthetic(seed: int) -> tuple[list, list, list, list]:
    """Two painted SEM-like samples; two fresh ones to score on."""
    paint = [
        nf.voronoi_grains((384, 384), 40, target_domain=True, seed=100 + 2 * seed + k)
        for k in (0, 1)
    ]
    score = [nf.voronoi_grains((384, 384), 40, target_domain=True, seed=900 + k) for k in (0, 1)]
    labels = [paint_strokes(s, seed=seed) for s in paint]
    return (
        [s.image for s in paint],
        labels,
        [s.image for s in score],
        [np.where(s.boundaries == 1, 2, 1).astype(np.uint8) for s in score],
    )


def real(dataset, seed: int) -> tuple[list, list, list, list]:
    n_images, boxes = BOXES[dataset.name]
    chosen, labels = paint_boxes(dataset.paint_truth, n_images, boxes, BOX, seed)
    images = [dataset.paint_images[k] for k in chosen]
    return images, labels, dataset.score_images, dataset.score_truth


def pixel_f1(model, images, labels, seed: int) -> float | None:
    """The old validation number: per-pixel mean class F1 on the same held-out pixels."""
    planes = collect_painted(images, labels).normalized(model.normalization)
    split = split_validation(planes, 0.2, seed)
    per_class = {}
    for plane, held in zip(planes, split.validation, strict=True):
        if not held.any():
            continue
        predicted = np.argmax(predict_plane(model, plane.image), axis=0) + 1
        for k in np.unique(held[held > 0]):
            truth, pred = held == k, (predicted == k) & (held > 0)
            counts = per_class.setdefault(int(k), np.zeros(3))
            counts += ((truth & pred).sum(), truth.sum(), pred.sum())
    scores = [2 * tp / (t + p) for tp, t, p in per_class.values() if t + p]
    return float(np.mean(scores)) if scores else None


def run(name: str, data: tuple, steps: int, seed: int) -> list[object]:
    images, labels, score_images, score_truth = data
    # fold_in=False: the question is whether the reported score tracks the true one, so
    # the held-out pixels must stay unseen by the model that is scored.
    events = nf.finetune(images, labels, DEFAULT_MODEL, steps=steps, seed=seed, fold_in=False)
    for event in events:
        if isinstance(event, Finished):
            finished = event
    held = finished.held_out
    true = score_model(finished.model, score_images, score_truth)
    old = pixel_f1(finished.model, images, labels, seed)
    return [
        name,
        seed,
        steps,
        int(sum((lab > 0).sum() for lab in labels)),
        held.score,
        f"{held.low:.2f}–{held.high:.2f}" if held.low is not None else "",
        "yes" if held.caution else "",
        old,
        true,
    ]


def summary(rows: list[list[object]], column: int, label: str) -> list[object]:
    pairs = np.array([(r[column], r[-1]) for r in rows if r[column] is not None], float)
    reported, true = pairs[:, 0], pairs[:, 1]
    correlation = float(np.corrcoef(reported, true)[0, 1]) if len(pairs) > 2 else float("nan")
    return [
        label,
        len(pairs),
        correlation,
        float(np.mean(reported - true)),
        float(np.mean(np.abs(reported - true))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, nargs="+", default=[40, 160])
    args = parser.parse_args()
    rows = []
    sets = {"synthetic strokes": synthetic, "isbi2012": isbi2012(), "nist_steel": nist_steel()}
    for name, source in sets.items():
        for seed in range(args.seeds):
            data = source(seed) if callable(source) else real(source, seed)
            for steps in args.steps:
                rows.append(run(name, data, steps, seed))
                print(" | ".join(str(v) for v in rows[-1]), flush=True)
    headers = [
        "set",
        "seed",
        "steps",
        "painted px",
        "reported",
        "range",
        "caution",
        "pixel F1 (old)",
        "true F1",
    ]
    print(markdown_table(headers, rows))
    print()
    print(
        markdown_table(
            [
                "number shown",
                "runs",
                "correlation with true",
                "bias (shown - true)",
                "mean |error|",
            ],
            [summary(rows, 4, "band F1 (now)"), summary(rows, 7, "pixel F1 (before)")],
        )
    )


if __name__ == "__main__":
    main()
