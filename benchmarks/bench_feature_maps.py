"""Feature maps: how long one stage's activations take on a 2048² image, per stage.

Times the shipped code the *Feature maps* dock runs in its worker
(:func:`napari_finetune.inference.feature_maps.feature_maps`: normalisation,
mirrored margins, tiles of 1024² plus the stage's margin, BatchNorm folded,
channels-last), then the per-channel contrast stretch the dock shows
(:func:`~napari_finetune.inference.feature_maps.channel_contrast`), on a
synthetic grain image with the shipped model. Stages are timed in turn, round
after round; each figure is the median of ``--repeats`` rounds. Encoder stage
*i* runs only encoder stages 0..i; a decoder stage runs the whole encoder and
the decoders up to it, on tiles whose margin covers its receptive field (160 px
for the last one): the last decoder computes 1.7x the image's pixels through
the whole network. Also timed: the kernel playground's response
(:func:`~napari_finetune.inference.kernels.apply_kernel`, 3×3 and 5×5), which
runs on every pause in typing.

Usage::

    python benchmarks/bench_feature_maps.py [--side 2048] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import markdown_table

import napari_finetune as nf
from napari_finetune.inference.feature_maps import (
    TILE,
    channel_contrast,
    feature_maps,
)
from napari_finetune.inference.kernels import apply_kernel, kernel_preset
from napari_finetune.inference.network_stages import stage_context, stages
from napari_finetune.models import DEFAULT_MODEL


def median_seconds(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model = nf.load_model(DEFAULT_MODEL)
    image = nf.voronoi_grains((args.side, args.side), 400, seed=0).image
    megapixels = args.side**2 / 1e6
    # Stages are timed in turn, round after round, so that the shared machine's
    # changing speed affects them alike; the first round also warms each up.
    times: dict[str, list[float]] = {s.name: [] for s in stages(model)}
    results = {}
    for _round in range(args.repeats):
        for stage in stages(model):
            seconds, results[stage.name] = median_seconds(
                lambda stage=stage: feature_maps(model, image, stage.index), 1
            )
            times[stage.name].append(seconds)
    rows = []
    for stage in stages(model):
        result = results[stage.name]
        seconds = statistics.median(times[stage.name])
        contrast, _ = median_seconds(lambda result=result: channel_contrast(result.maps), 1)
        _, margin = stage_context(model, stage)
        rows.append(
            [
                stage.name,
                f"1/{stage.factor}",
                stage.channels,
                "×".join(map(str, result.maps.shape)),
                margin,
                seconds,
                megapixels / seconds,
                contrast,
            ]
        )
    print(
        f"Feature maps of the shipped U-Net on a {args.side}² image ({megapixels:.1f} Mpx), "
        f"tiles of {TILE}² + margin, {torch.get_num_threads()} torch threads, "
        f"median of {args.repeats}:\n"
    )
    headers = [
        "stage",
        "resolution",
        "channels",
        "maps shape",
        "margin px",
        "seconds",
        "Mpx/s",
        "contrast s",
    ]
    print(markdown_table(headers, rows))
    kernel_rows = []
    for size in (3, 5):
        kernel = kernel_preset("Sobel x", size)
        seconds, _ = median_seconds(lambda k=kernel: apply_kernel(image, k), args.repeats)
        kernel_rows.append([f"Sobel x {size}×{size}", seconds])
    print("\nKernel playground response (normalisation included):\n")
    print(markdown_table(["kernel", "seconds"], kernel_rows))


if __name__ == "__main__":
    main()
