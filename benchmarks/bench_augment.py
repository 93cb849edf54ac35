"""Time the augmentation preview: N synchronized views of an image and its labels.

Usage::

    python benchmarks/bench_augment.py [--repeats 5] [--views 6]

Prints median seconds per preview (views + tiling, what the widget's worker
does) for the equiaxed preset with elastic deformation switched on.
"""

from __future__ import annotations

import argparse
import statistics
import time

import napari_finetune as nf
from napari_finetune.augment import AugmentationPipeline, preview_mosaic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--views", type=int, default=6)
    args = parser.parse_args()
    pipeline = AugmentationPipeline.from_preset("equiaxed").with_enabled("ElasticTransform")
    print("| image | views | median (s) | min–max (s) | unsynchronized demo median (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for size in (512, 2048):
        sample = nf.voronoi_grains((size, size), 60 if size == 512 else 500, seed=0)
        row = []
        for unsync in (False, True):
            times = []
            for seed in range(args.repeats):
                start = time.perf_counter()
                preview_mosaic(sample.image, sample.classes, pipeline, args.views, seed, unsync)
                times.append(time.perf_counter() - start)
            row.append(times)
        plain, demo = row
        print(
            f"| {size}² | {args.views} | {statistics.median(plain):.2f} | "
            f"{min(plain):.2f}–{max(plain):.2f} | {statistics.median(demo):.2f} |"
        )


if __name__ == "__main__":
    main()
