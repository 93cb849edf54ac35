"""Time the synthetic generators (Voronoi grains and the wider world): medians per configuration.

Usage::

    python benchmarks/bench_synth.py [--repeats 7]

Prints a table (seconds, median and spread over seeds). The machine is noisy:
compare medians, never single runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import napari_finetune as nf

CONFIGS = [
    ("512² equiaxed, 60 grains", (512, 512), 60, {}),
    ("512² painted-strokes sample", (512, 512), 60, {"strokes": True}),
    ("2048² equiaxed, 500 grains", (2048, 2048), 500, {}),
    (
        "2048² elongated 30°, 500 grains",
        (2048, 2048),
        500,
        {"morphology": "elongated", "direction": 30.0},
    ),
    ("2048² target domain, 500 grains", (2048, 2048), 500, {"target_domain": True}),
]


def time_config(shape, n, kwargs, repeats):
    from napari_finetune.synth.strokes import paint_strokes

    kwargs = dict(kwargs)
    strokes = kwargs.pop("strokes", False)
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        sample = nf.voronoi_grains(shape, n, seed=seed, **kwargs)
        if strokes:
            paint_strokes(sample, seed=seed)
        times.append(time.perf_counter() - start)
    return times


def time_world(kind: str, side: int, repeats: int) -> list[float]:
    """Seconds per :func:`~napari_finetune.synth.world_sample` of ``kind`` (the wider world)."""
    from napari_finetune.synth import world_sample

    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        world_sample(kind, seed, shape=(side, side))
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    nf.voronoi_grains((256, 256), 20, seed=0)  # warm imports and caches
    print("| configuration | median (s) | min–max (s) | runs |")
    print("| --- | ---: | ---: | ---: |")
    for label, shape, n, kwargs in CONFIGS:
        times = time_config(shape, n, kwargs, args.repeats)
        print(
            f"| {label} | {statistics.median(times):.3f} | "
            f"{min(times):.3f}–{max(times):.3f} | {len(times)} |"
        )
    from napari_finetune.synth import KINDS

    for kind in KINDS:
        for side in (256, 512):
            times = time_world(kind, side, args.repeats)
            print(
                f"| world_sample {kind!r}, {side}² | {statistics.median(times):.3f} | "
                f"{min(times):.3f}–{max(times):.3f} | {len(times)} |"
            )


if __name__ == "__main__":
    main()
