"""The GPU path against the CPU's: speed, and whether the answers agree.

For each device PyTorch sees here (the CPU, and a CUDA GPU where there is one):

- fine-tuning: ``fit`` for a fixed number of steps (so both devices do the same
  work) on synthetic task B, 3 images × 4 painted boxes of 48²; training
  patches per second, wall time, and boundary F1 on 4 held-out images (CUDA
  trains in bfloat16 autocast, the CPU in float32: the F1s say whether that
  costs anything);
- prediction: ``predict`` of a 2048² and a 4096² image (tiling, blending and
  normalisation included), megapixels per second, median of repeats;
- agreement: the largest absolute difference between the GPU's and the CPU's
  class probabilities and entropy uncertainty of the same model on the same
  image (the exports and the device choice promise 1e-4).

Synthetic data only, so that it runs on a machine without ``../shared/data``.

Usage::

    python benchmarks/bench_device.py [--steps 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from bench_transfer import task_b
from common import markdown_table, paint_boxes, score_model

import napari_finetune as nf
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.models.device import available_devices, describe_device
from napari_finetune.training import Step


def fine_tune(device: str, steps: int) -> dict[str, float]:
    """Fixed-step fine-tuning on task B: patches/s, seconds, held-out F1."""
    pool = [task_b(1000 + k) for k in range(6)]
    chosen, labels = paint_boxes([s.classes for s in pool], 3, 4, 48, seed=0)
    images = [pool[k].image for k in chosen]
    test = [task_b(2000 + k) for k in range(4)]
    rates, model = [], None
    began = time.perf_counter()
    for event in nf.finetune(images, labels, DEFAULT_MODEL, steps=steps, seed=0, device=device):
        if isinstance(event, Step):
            rates.append(event.samples_per_second)
        model = getattr(event, "model", model)
    seconds = time.perf_counter() - began
    f1 = score_model(model, [s.image for s in test], [s.classes for s in test])
    return {"patches/s": statistics.median(rates), "seconds": seconds, "F1": f1, "model": model}


def prediction_speed(model, device: str, side: int, repeats: int) -> float:
    """Megapixels per second of ``predict`` on a ``side``² image (median of repeats)."""
    image = np.random.default_rng(0).random((side, side)).astype(np.float32)
    nf.predict(model, image[:512, :512], device=device)  # warm-up: kernels, cuDNN choices
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        nf.predict(model, image, device=device)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - began)
    return side * side / 1e6 / statistics.median(times)


def agreement(model, device: str) -> tuple[float, float]:
    """Largest |GPU − CPU| of class probabilities and of entropy uncertainty."""
    image = task_b(3000).image
    probabilities = np.abs(
        nf.predict(model, image, device=device) - nf.predict(model, image, device="cpu")
    ).max()
    entropy = np.abs(
        nf.uncertainty(model, image, device=device) - nf.uncertainty(model, image, device="cpu")
    ).max()
    return float(probabilities), float(entropy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    devices = ["cpu", *[d for d in available_devices() if d.startswith("cuda")][:1]]
    rows = []
    for device in devices:
        tuned = fine_tune(device, args.steps)
        speeds = [prediction_speed(tuned["model"], device, s, args.repeats) for s in (2048, 4096)]
        if device == "cpu":
            differences = "–"
        else:
            p, u = agreement(tuned["model"], device)
            differences = f"{p:.1e} / {u:.1e}"
        rows.append(
            [
                describe_device(torch.device(device)),
                f"{tuned['patches/s']:.0f}",
                f"{tuned['seconds']:.1f}",
                f"{tuned['F1']:.3f}",
                f"{speeds[0]:.1f}",
                f"{speeds[1]:.1f}",
                differences,
            ]
        )
        print(device, rows[-1], flush=True)
    print()
    print(
        f"fit: {args.steps} steps on task B (3 images × 4 boxes of 48²), F1 on 4 held-out "
        f"images; predict: median of {args.repeats}; CPU threads {torch.get_num_threads()}:"
    )
    headers = [
        "device",
        "training patches/s",
        f"fit {args.steps} steps (s)",
        "held-out F1",
        "predict 2048² (Mpx/s)",
        "predict 4096² (Mpx/s)",
        "largest GPU − CPU difference: probabilities / entropy",
    ]
    print(markdown_table(headers, rows))
    if len(devices) == 1:
        print("No CUDA GPU here: the CPU row only.")


if __name__ == "__main__":
    main()
