"""Shared pieces of the benchmarks: data, simulated painting, baselines, scoring.

Benchmarks are scripts (``python benchmarks/<name>.py``); they print Markdown
tables and save PNG plots under ``benchmarks/results/``. They need the
``benchmarks`` extra (scikit-learn, matplotlib).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from skimage.feature import multiscale_basic_features
from skimage.io import imread

from napari_finetune.inference import labels_from_probabilities, predict
from napari_finetune.inference.metrics import boundary_f1

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
INTERIOR, BOUNDARY = 1, 2


@dataclass
class Dataset:
    """Images with exact classes (1 interior, 2 boundary), split paint/score."""

    name: str
    paint_images: list[np.ndarray]
    paint_truth: list[np.ndarray]
    score_images: list[np.ndarray]
    score_truth: list[np.ndarray]


def isbi2012() -> Dataset:
    """EM membranes: paint on images 0-19, score on 20-29 (membrane = boundary)."""
    folder = DATA / "isbi2012"

    def load(k: int) -> tuple[np.ndarray, np.ndarray]:
        image = imread(folder / "image" / f"{k}.png")
        label = imread(folder / "label" / f"{k}.png")
        return image, np.where(label < 128, BOUNDARY, INTERIOR).astype(np.uint8)

    paint = [load(k) for k in range(20)]
    score = [load(k) for k in range(20, 30)]
    return Dataset(
        "isbi2012", *map(list, zip(*paint, strict=True)), *map(list, zip(*score, strict=True))
    )


def nist_steel() -> Dataset:
    """Etched steel: paint on the left half, score on the right half."""
    folder = DATA / "nist_steel"
    image = imread(folder / "image.png")
    truth = np.where(imread(folder / "boundary_label.png") > 0, BOUNDARY, INTERIOR).astype(
        np.uint8
    )
    half = image.shape[1] // 2
    return Dataset(
        "nist_steel", [image[:, :half]], [truth[:, :half]], [image[:, half:]], [truth[:, half:]]
    )


def paint_boxes(
    truth: list[np.ndarray], n_images: int, boxes_per_image: int, size: int, seed: int
) -> tuple[list[int], list[np.ndarray]]:
    """A simulated annotator fully paints square boxes with the exact classes.

    Returns the chosen image indices and their sparse labels (0 outside boxes).
    Each box is placed where it contains some boundary (a person paints where
    there is something to paint), boxes on one image do not overlap.
    """
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(truth), size=min(n_images, len(truth)), replace=False))
    labels = []
    for index in chosen:
        full = truth[index]
        painted = np.zeros_like(full)
        placed = 0
        for _ in range(500):
            if placed == boxes_per_image:
                break
            y = int(rng.integers(0, full.shape[0] - size + 1))
            x = int(rng.integers(0, full.shape[1] - size + 1))
            box = (slice(y, y + size), slice(x, x + size))
            if painted[box].any() or not (full[box] == BOUNDARY).any():
                continue
            painted[box] = full[box]
            placed += 1
        labels.append(painted)
    return list(chosen), labels


def score_model(model, images: list[np.ndarray], truth: list[np.ndarray]) -> float:
    """Mean boundary F1 (2 px tolerance) of a model over scoring images."""
    scores = []
    for image, exact in zip(images, truth, strict=True):
        predicted = labels_from_probabilities(predict(model, image)) == BOUNDARY
        scores.append(boundary_f1(predicted, exact == BOUNDARY).f1)
    return float(np.mean(scores))


def _features(image: np.ndarray) -> np.ndarray:
    # The ilastik/APOC-style pixel features: intensity, edges and texture at
    # several scales.
    return multiscale_basic_features(
        image.astype(np.float32),
        intensity=True,
        edges=True,
        texture=True,
        sigma_min=1,
        sigma_max=16,
    )


def random_forest_probabilities(
    images: list[np.ndarray],
    labels: list[np.ndarray],
    score_images: list[np.ndarray],
    seed: int,
) -> tuple[list[np.ndarray], float]:
    """A random-forest pixel classifier on the painted pixels: (K, H, W) per image, seconds."""
    from sklearn.ensemble import RandomForestClassifier

    start = time.perf_counter()
    xs, ys = [], []
    for image, lab in zip(images, labels, strict=True):
        feats = _features(image)
        painted = lab > 0
        xs.append(feats[painted])
        ys.append(lab[painted])
    forest = RandomForestClassifier(
        n_estimators=100, max_depth=12, n_jobs=-1, random_state=seed
    ).fit(np.concatenate(xs), np.concatenate(ys))
    seconds = time.perf_counter() - start
    probabilities = []
    for image in score_images:
        feats = _features(image)
        flat = forest.predict_proba(feats.reshape(-1, feats.shape[-1]))
        probabilities.append(flat.T.reshape(-1, *image.shape).astype(np.float32))
    return probabilities, seconds


def random_forest_baseline(
    images: list[np.ndarray],
    labels: list[np.ndarray],
    score_images: list[np.ndarray],
    score_truth: list[np.ndarray],
    seed: int,
) -> tuple[float, float]:
    """Train a random-forest pixel classifier on the same painted pixels; F1, seconds."""
    probabilities, seconds = random_forest_probabilities(images, labels, score_images, seed)
    scores = []
    for probs, exact in zip(probabilities, score_truth, strict=True):
        predicted = np.argmax(probs, axis=0) + 1
        scores.append(boundary_f1(predicted == BOUNDARY, exact == BOUNDARY).f1)
    return float(np.mean(scores)), seconds


def timed(function, repeats: int) -> float:
    """Median wall time in seconds of ``function()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table, floats to three decimals."""

    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
