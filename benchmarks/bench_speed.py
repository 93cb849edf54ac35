"""Speed on this CPU: training throughput, prediction throughput, time to a good model.

- training samples/s: patches (of ``fit``'s default side) per second inside ``fit`` (augmentation,
  loss and optimiser step included);
- prediction Mpx/s: ``predict`` on 512^2 and 2048^2 images (tiling, blending and
  normalisation included), median of repeats;
- time to within 0.02 boundary F1 of the final score: isbi2012, 3 images x 4
  boxes, 60 s run; the model is scored on 3 held-out images after every epoch
  (scoring time excluded from the clock).

Usage::

    python benchmarks/bench_speed.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import isbi2012, markdown_table, paint_boxes, score_model

import napari_finetune as nf
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.training import EpochEnd, Finished, Started, Step
from napari_finetune.training.arguments import PATCH_SIZE


def prediction_speed(model, side: int, repeats: int = 3) -> float:
    image = np.random.default_rng(0).random((side, side)).astype(np.float32)
    nf.predict(model, image[:256, :256])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        nf.predict(model, image)
        times.append(time.perf_counter() - start)
    return side * side / 1e6 / statistics.median(times)


def time_to_final(seconds: float) -> tuple[list[tuple[float, float]], float]:
    data = isbi2012()
    chosen, labels = paint_boxes(data.paint_truth, 3, 4, 48, seed=0)
    images = [data.paint_images[k] for k in chosen]
    score_images, score_truth = data.score_images[:3], data.score_truth[:3]
    curve, excluded, samples = [], 0.0, []
    model = None
    for event in nf.finetune(images, labels, DEFAULT_MODEL, max_seconds=seconds, seed=0):
        if isinstance(event, Started):
            model = event.model
            curve.append((0.0, score_model(model, score_images, score_truth)))
        elif isinstance(event, Step):
            samples.append(event.samples_per_second)
        elif isinstance(event, EpochEnd):
            start = time.perf_counter()
            f1 = score_model(model, score_images, score_truth)
            curve.append((event.elapsed - excluded, f1))
            excluded += time.perf_counter() - start
        elif isinstance(event, Finished):
            curve.append((event.elapsed - excluded, score_model(model, score_images, score_truth)))
    return curve, float(np.median(samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    model = nf.load_model(DEFAULT_MODEL)
    rows = [
        [f"predict {side}²", f"{prediction_speed(model, side):.2f} Mpx/s"] for side in (512, 2048)
    ]
    curve, samples = time_to_final(args.seconds)
    final = curve[-1][1]
    reached = next(t for t, f1 in curve if f1 >= final - 0.02)
    rows.append(["training (isbi2012, 3 × 4 boxes)", f"{samples:.0f} patches of {PATCH_SIZE}²/s"])
    rows.append(
        [
            "time to within 0.02 F1 of final",
            f"{reached:.0f} s (final F1 {final:.3f} after {curve[-1][0]:.0f} s)",
        ]
    )
    print(markdown_table(["measure", "value"], rows))
    print("F1 over training time (s, F1):", ", ".join(f"({t:.0f}, {f:.3f})" for t, f in curve))


if __name__ == "__main__":
    main()
