"""CPU inference: which runtime runs the shipped U-Net fastest, and how close to the limit.

Every row runs the shipped prediction code (normalisation, 512² tiles with 64 px
overlap, blending and softmax included) on a random float32 image; only what
runs the network differs:

- ``torch eager (as trained)``: the network as training leaves it (weights in
  the default layout, BatchNorm separate): what ``predict`` ran before;
- ``torch, BN folded only`` and ``torch, channels-last only``: each half of
  the preparation below by itself;
- ``torch (backend='torch')``: BatchNorm folded into the convolutions and
  weights channels-last (:func:`napari_finetune.inference.runtime.logits_function`);
- ``ONNX Runtime (backend='onnxruntime')``: what ``backend='auto'`` ships;
- ``torch.compile``: the folded channels-last network compiled by inductor
  (not shipped: it needs a C++ compiler on the user's PC and compiles for
  tens of seconds on a cold cache; first-call time shown).

The runtimes are timed in turn, round after round (``--repeats`` rounds; one
for 8192²), and the median of each is reported, so that the machine's changing
speed (it is shared) affects them alike. Mpx/s counts image pixels; max |Δ| is
the largest probability difference against ``torch eager``. The conv-limit
column is Mpx/s × 23.1 kFLOP/px (the forward cost of the shipped U-Net, counted
with ``torch.utils.flop_counter``) over the 75 GFLOP/s that torch sustains on
3×3 convolutions on these 2 cores; the 64 px tile overlap makes a runtime
compute 1.56× the pixels of a 2048² image (1.41× at 8192²) on top of that.

Further rows: the uncertainty map (entropy and MC dropout), a live preview
during training (weights change before every call, so the prepared network or
session is rebuilt each time), larger tiles, and ONNX export time and size.

Usage::

    python benchmarks/bench_inference.py [--sizes 512 2048 8192] [--repeats 5] [--no-compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

# Inductor compiles in this process, without a pool of worker processes that
# would stay behind and share the 2 cores with the runtimes timed after it.
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")

import numpy as np
import torch
from common import markdown_table, timed
from torch.utils.flop_counter import FlopCounterMode

import napari_finetune as nf
from napari_finetune.inference.predict import predict_plane
from napari_finetune.inference.runtime import inference_network, logits_function
from napari_finetune.models import DEFAULT_MODEL, SegmentationModel
from napari_finetune.models.fused import fused_for_inference
from napari_finetune.models.onnx_export import export_onnx

CONV_LIMIT_GFLOPS = 75.0


def flops_per_pixel(model: SegmentationModel, side: int = 256) -> float:
    """Forward FLOPs per pixel of the network (multiply-add = 2 FLOPs)."""
    x = torch.zeros(1, model.in_channels, side, side)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model.net.eval()(x)
    return counter.get_total_flops() / side**2


def runtimes(model: SegmentationModel, compile_too: bool) -> dict[str, object]:
    """Runtime name -> function of an image returning probabilities; eager first."""

    def as_trained(image, m=model):
        return predict_plane(m, m.normalization(image[..., None]), backend=None)

    # What each half of the torch preparation buys by itself.
    folded = SegmentationModel(fused_for_inference(model.net), model.classes, model.normalization)
    channels_last = model.copy()
    channels_last.net.to(memory_format=torch.channels_last)
    found = {
        "torch eager (as trained)": as_trained,
        "torch, BN folded only": lambda image: as_trained(image, folded),
        "torch, channels-last only": lambda image: as_trained(image, channels_last),
        "torch (backend='torch')": lambda image: nf.predict(model, image, backend="torch"),
        "ONNX Runtime (backend='onnxruntime')": lambda image: nf.predict(
            model, image, backend="onnxruntime"
        ),
    }
    if compile_too:
        compiled_net = torch.compile(inference_network(model), dynamic=False)
        compiled = SegmentationModel(compiled_net, model.classes, model.normalization)
        found["torch.compile (not shipped)"] = lambda image: as_trained(image, compiled)
    return found


def runtime_rows(model, sizes, repeats, compile_too, kflop):
    rows = []
    found = runtimes(model, compile_too)
    for side in sizes:
        image = np.random.default_rng(side).random((side, side)).astype(np.float32)
        first_call, results, times = {}, {}, {name: [] for name in found}
        for name, run in found.items():
            start = time.perf_counter()
            run(image[:512, :512])  # warm-up (and compilation)
            first_call[name] = time.perf_counter() - start
        reference = found["torch eager (as trained)"](image)
        for _ in range(1 if side > 4096 else repeats):
            for name, run in found.items():
                start = time.perf_counter()
                results[name] = run(image)
                times[name].append(time.perf_counter() - start)
        for name in found:
            mpx = side * side / 1e6 / statistics.median(times[name])
            delta = float(np.abs(results[name] - reference).max())
            extra = f" (first call {first_call[name]:.0f} s)" if "compile" in name else ""
            rows.append(
                [
                    name + extra,
                    f"{side}²",
                    f"{mpx:.2f}",
                    f"{delta:.1e}",
                    f"{mpx * kflop / CONV_LIMIT_GFLOPS:.0%}",
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
        results.clear()
    return rows


def interleaved(runs: dict[str, object], repeats: int, before=None) -> dict[str, float]:
    """Median seconds of each function, timed in turn round after round."""
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            if before is not None:
                before()
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def other_rows(model, repeats, side):
    mpx = side * side / 1e6
    image = np.random.default_rng(1).random((side, side)).astype(np.float32)
    rows = []
    maps = {
        "uncertainty (entropy), backend='torch'": lambda: nf.uncertainty(
            model, image, backend="torch"
        ),
        "uncertainty (entropy), backend='onnxruntime'": lambda: nf.uncertainty(
            model, image, backend="onnxruntime"
        ),
        "uncertainty (MC dropout, 8 samples; torch)": lambda: nf.uncertainty(
            model, image, method="mc_dropout"
        ),
    }
    for run in maps.values():
        run()
    for name, seconds in interleaved(maps, repeats).items():
        rows.append([name, f"{mpx / seconds:.2f} Mpx/s"])

    # A live preview while training: the weights differ at every call, and the
    # network is channels-last, as the training engine leaves it.
    trained = model.copy()
    trained.net.to(memory_format=torch.channels_last)

    def step() -> None:
        with torch.no_grad():
            trained.net.head.bias.add_(1e-3)

    previews = {
        "live preview, the training network itself (before)": lambda: predict_plane(
            trained, trained.normalization(image[..., None]), backend=None
        ),
        "live preview, backend='torch'": lambda: nf.predict(trained, image, backend="torch"),
        "live preview, backend='onnxruntime'": lambda: nf.predict(
            trained, image, backend="onnxruntime"
        ),
    }
    for name, seconds in interleaved(previews, repeats, before=step).items():
        rows.append([name + " (new weights each call)", f"{mpx / seconds:.2f} Mpx/s"])
    rebuild = {
        "prepare backend='torch' after a weight change": lambda: logits_function(trained, "torch"),
        "prepare backend='onnxruntime' after a weight change": lambda: logits_function(
            trained, "onnxruntime"
        ),
    }
    for name, seconds in interleaved(rebuild, repeats, before=step).items():
        rows.append([name, f"{seconds * 1e3:.0f} ms"])

    # Larger tiles: less overlap to recompute, but a different tiling (not within 1e-4).
    default = nf.predict(model, image)
    tiles = {
        f"default backend, tile {tile}": lambda t=tile: nf.predict(model, image, tile=t)
        for tile in (512, 1024, 2048)
        if tile <= side
    }
    for name, seconds in interleaved(tiles, repeats).items():
        tile = int(name.rsplit(" ", 1)[1])
        delta = float(np.abs(nf.predict(model, image, tile=tile) - default).max())
        rows.append([f"{name} (max |Δ| vs tile 512: {delta:.1e})", f"{mpx / seconds:.2f} Mpx/s"])

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        seconds = timed(lambda: export_onnx(model, path, overwrite=True), repeats)
        size = path.stat().st_size / 1e6
        rows.append(["ONNX export (export_onnx)", f"{seconds:.2f} s, {size:.1f} MB"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 8192])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--side", type=int, default=2048, help="image side of the second table")
    args = parser.parse_args()
    model = nf.load_model(DEFAULT_MODEL)
    kflop = flops_per_pixel(model) / 1e3
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    others = other_rows(model, args.repeats, args.side)
    rows = runtime_rows(model, args.sizes, args.repeats, not args.no_compile, kflop)
    print()
    print(
        markdown_table(
            ["runtime", "image", "Mpx/s", "max |Δ| vs eager", "of 75 GFLOP/s conv limit"], rows
        )
    )
    print()
    print(markdown_table([f"what ({args.side}²)", "speed or cost"], others))
    print(f"\nforward cost of the shipped U-Net: {kflop:.1f} kFLOP/px")


if __name__ == "__main__":
    main()
