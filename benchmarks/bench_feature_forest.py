"""Fine-tuning vs the frozen-features peer: the shipped backbone's features + a random forest.

Recent work ("Maybe you don't need a U-Net", Docherty et al. 2025; napari-convpaint;
FeatureForest) argues that a pretrained network's features, upsampled to every
pixel, with a random forest trained on the painted pixels, beat fine-tuning.
This measures that claim on the plugin's own backbone (issue 20's peer): the
features are ``nf.feature_maps`` (the Feature maps dock's core) of the start
model (``--model``; default the shipped default, ``world-unet``) at every encoder
stage and the last decoder stage, upsampled bilinearly to the image
(``scipy.ndimage.zoom``, order 1) and concatenated with the normalised intensity;
the forest is scikit-learn's (100 trees, depth 12, as the plain random-forest
baseline). Every method learns from the same
painted pixels:

- ``isbi2012``: 3 images × 4 boxes of 48² among images 0–19, scored on 20–29;
- ``nist_steel``: 12 boxes on the left half, scored on the right half;
- ``taskb``: synthetic task B (bench_transfer) 3 images × 4 boxes, fresh images;
- ``nasa``: the superalloy ``train`` images, 3 images × 4 boxes of 48² (classes
  +1), scored on ``val`` by mean IoU over the three phases and the γ′ area
  fraction error (secondary + tertiary).

Boundary sets are scored by boundary F1 (2 px). Columns: fine-tuned (``finetune``,
``--seconds`` each), deep features + forest, plain multiscale features + forest
(``common.random_forest_probabilities``); median (min–max) over seeds and the
fine-tuned model's margin over the deep forest at its worst seed.

Usage::

    python benchmarks/bench_feature_forest.py [--datasets isbi2012 nist_steel taskb nasa]
        [--seconds 60] [--seeds 3] [--model voronoi-unet]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from bench_transfer import POOL, task_b
from common import (
    BOUNDARY,
    DATA,
    isbi2012,
    markdown_table,
    nist_steel,
    paint_boxes,
    random_forest_probabilities,
)
from scipy import ndimage as ndi
from skimage.io import imread

import napari_finetune as nf
from napari_finetune.inference.metrics import boundary_f1
from napari_finetune.models import DEFAULT_MODEL

STAGES = ("encoder 0", "encoder 1", "encoder 2", "encoder 3", "encoder 4", "decoder 3")
BOX = 48


def deep_features(model, image: np.ndarray) -> np.ndarray:
    """(rows, cols, F): intensity and every stage's maps, upsampled to the pixels."""
    rows, cols = image.shape[:2]
    planes = [model.normalization(image[..., None].astype(np.float32))[..., 0][None]]
    for stage in STAGES:
        found = nf.feature_maps(model, image, stage)
        maps = found.maps
        if found.factor > 1:
            zoom = (1, rows / maps.shape[1], cols / maps.shape[2])
            maps = ndi.zoom(maps, zoom, order=1)[:, :rows, :cols]
        planes.append(maps)
    return np.concatenate(planes).transpose(1, 2, 0)


def deep_forest(model, images, labels, score_images, seed):
    """Class probabilities (K, rows, cols) per scoring image, and the seconds it took."""
    from sklearn.ensemble import RandomForestClassifier

    start = time.perf_counter()
    xs, ys = [], []
    for image, lab in zip(images, labels, strict=True):
        painted = lab > 0
        xs.append(deep_features(model, image)[painted])
        ys.append(lab[painted])
    forest = RandomForestClassifier(
        n_estimators=100, max_depth=12, n_jobs=-1, random_state=seed
    ).fit(np.concatenate(xs), np.concatenate(ys))
    out = []
    for image in score_images:
        feats = deep_features(model, image)
        flat = forest.predict_proba(feats.reshape(-1, feats.shape[-1]))
        full = np.zeros((int(max(forest.classes_)), *image.shape[:2]), np.float32)
        full[forest.classes_ - 1] = flat.T.reshape(-1, *image.shape[:2])
        out.append(full)
    return out, time.perf_counter() - start


# The superalloy's classes as the data README names them (label + 1): named so, the
# second phase is not validated as a thin 'boundary' (the start model's class 2).
PHASE_NAMES = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}


def nasa():
    """Superalloy phases: train images to paint on, val images to score (classes 1..3)."""
    folder = DATA / "nasa_superalloy"

    def load(part: str) -> tuple[list, list]:
        names = sorted(Path(folder / part).glob("*_image.png"))
        images = [imread(p) for p in names]
        truth = [imread(str(p).replace("_image", "_label")).astype(np.uint8) + 1 for p in names]
        return images, truth

    return (*load("train"), *load("val"))


def score(kind: str, probabilities: list[np.ndarray], truth: list[np.ndarray]) -> dict:
    """Boundary F1, or mean IoU and γ′ area fraction error (phases)."""
    if kind == "boundary":
        f1 = [
            boundary_f1(np.argmax(p, 0) + 1 == BOUNDARY, t == BOUNDARY).f1
            for p, t in zip(probabilities, truth, strict=True)
        ]
        return {"score": float(np.mean(f1))}
    ious, errors = [], []
    intersections, unions = np.zeros(3), np.zeros(3)  # per phase, over all images
    for p, t in zip(probabilities, truth, strict=True):
        found = np.argmax(p, 0) + 1
        for k in (1, 2, 3):
            union = ((found == k) | (t == k)).sum()
            intersection = ((found == k) & (t == k)).sum()
            intersections[k - 1] += intersection
            unions[k - 1] += union
            if union:
                ious.append(intersection / union)
        errors.append(abs((found > 1).mean() - (t > 1).mean()))
    # Which phase a gap comes from (matrix, secondary γ′, tertiary γ′).
    pairs = zip(intersections, unions, strict=True)
    per_phase = [round(float(i / u), 3) if u else None for i, u in pairs]
    return {
        "score": float(np.mean(ious)),
        "fraction error": float(np.mean(errors)),
        "IoU per phase": per_phase,
    }


def dataset(name: str, seed: int, n_images: int | None = None, boxes: int | None = None):
    """(kind, paint images, their labels, score images, score truth) for one seed.

    ``n_images`` × ``boxes`` (isbi2012 and task B only) paint more than the
    default 3 images × 4 boxes of 48², for a painting with more regions.
    """
    if name in ("isbi2012", "nist_steel"):
        data = isbi2012() if name == "isbi2012" else nist_steel()
        default = (3, 4) if name == "isbi2012" else (1, 12)
        n_images, boxes = n_images or default[0], boxes or default[1]
        chosen, labels = paint_boxes(data.paint_truth, n_images, boxes, BOX, seed)
        images = [data.paint_images[k] for k in chosen]
        return "boundary", images, labels, data.score_images, data.score_truth
    if name == "taskb":
        pool = [task_b(1000 + k) for k in range(POOL)]
        chosen, labels = paint_boxes(
            [s.classes for s in pool], n_images or 3, boxes or 4, BOX, seed
        )
        test = [task_b(2000 + k) for k in range(4)]
        images = [pool[k].image for k in chosen]
        return "boundary", images, labels, [s.image for s in test], [s.classes for s in test]
    train_images, train_truth, val_images, val_truth = nasa()
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(train_images), 3, replace=False))
    labels = []
    for k in chosen:
        painted = np.zeros_like(train_truth[k])
        for _ in range(4):  # boxes anywhere: every phase is everywhere in these images
            y, x = rng.integers(0, np.array(train_truth[k].shape) - BOX + 1)
            painted[y : y + BOX, x : x + BOX] = train_truth[k][y : y + BOX, x : x + BOX]
        labels.append(painted)
    return "phases", [train_images[k] for k in chosen], labels, val_images, val_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["isbi2012", "nist_steel", "taskb", "nasa"]
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="backbone and start model: shipped name or file"
    )
    args = parser.parse_args()
    start = nf.load_model(args.model)
    rows = []
    for name in args.datasets:
        results = []
        for seed in range(args.seeds):
            kind, images, labels, score_images, truth = dataset(name, seed)
            named = PHASE_NAMES if kind == "phases" else None
            tuned, _ = nf.fit(
                images, labels, start, max_seconds=args.seconds, seed=seed, class_names=named
            )
            found = {"finetune": score(kind, [nf.predict(tuned, i) for i in score_images], truth)}
            probs, _ = deep_forest(start, images, labels, score_images, seed)
            found["deep features + RF"] = score(kind, probs, truth)
            probs, _ = random_forest_probabilities(images, labels, score_images, seed)
            found["multiscale + RF"] = score(kind, probs, truth)
            print(
                name,
                seed,
                # Scores rounded; the per-phase IoU list is rounded already.
                {
                    m: {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                    for m, r in found.items()
                },
                flush=True,
            )
            results.append(found)
        row = [name]
        for method in ("finetune", "deep features + RF", "multiscale + RF"):
            values = [r[method]["score"] for r in results]
            cell = f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"
            if "fraction error" in results[0][method]:
                error = statistics.median(r[method]["fraction error"] for r in results)
                cell += f", γ′ error {error:.3f}"
            row.append(cell)
        margins = [r["finetune"]["score"] - r["deep features + RF"]["score"] for r in results]
        row.append(f"{min(margins):+.3f}")
        rows.append(row)
    print()
    print(
        f"Median (min–max) over {args.seeds} seeds; boundary F1 (2 px), or mean IoU for nasa; "
        f"fine-tuning {args.seconds:g} s:"
    )
    headers = ["data", "fine-tuned", "deep features + RF", "multiscale + RF", "worst-seed margin"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
