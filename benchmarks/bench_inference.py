"""CPU inference: which runtime runs the shipped U-Net fastest, and how close to the limit.

Every row runs the shipped ``napari_finetune.predict`` (normalisation, 512²
tiles with 64 px overlap, blending and softmax included) on a random float32
image; only what runs the network differs:

- ``torch eager``: ``backend="torch"``, the network as trained;
- ``torch + fused BN``: ``backend="torch"`` on the network with BatchNorm folded
  into the convolutions (:func:`napari_finetune.models.fused.fused_for_inference`);
- ``torch.compile``: the fused network compiled by inductor (compile time
  excluded; one tile shape, so one compilation);
- ``ONNX Runtime``: ``backend="onnxruntime"``, what ``backend="auto"`` ships.

Mpx/s is image pixels per second (median of ``--repeats``; 8192² runs once);
max |Δ| is the largest probability difference against torch eager on the same
image. The conv-limit fraction is Mpx/s × 23.1 kFLOP/px (the forward cost of
the shipped U-Net, counted below with ``torch.utils.flop_counter``) over the
75 GFLOP/s this machine's 2 cores sustain on 3×3 convolutions in torch. It
counts image pixels only; the 64 px tile overlap recomputes 1.56× the pixels
of a 2048² image, which a runtime pays on top.

Further rows: the uncertainty map (entropy), a live preview during training
(weights change before every call, so the ONNX session is rebuilt each time),
and ONNX export time and file size.

Usage::

    python benchmarks/bench_inference.py [--sizes 512 2048 8192] [--repeats 3] [--no-compile]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import markdown_table
from torch.utils.flop_counter import FlopCounterMode

import napari_finetune as nf
from napari_finetune.inference.runtime import logits_function
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


def timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def variants(model: SegmentationModel, compiled_only: bool) -> dict[str, tuple]:
    """Runtime name -> (model to pass to predict, backend); eager first (the reference)."""
    fused = SegmentationModel(fused_for_inference(model.net), model.classes, model.normalization)
    found = {"torch eager": (model, "torch")}
    if compiled_only:
        compiled_net = torch.compile(fused_for_inference(model.net), dynamic=False)
        compiled = SegmentationModel(compiled_net, model.classes, model.normalization)
        found["torch.compile (fused)"] = (compiled, "torch")
    else:
        found["torch + fused BN"] = (fused, "torch")
        found["ONNX Runtime"] = (model, "onnxruntime")
    return found


def runtime_rows(model, sizes, repeats, compiled_only, kflop):
    rows = []
    runtimes = variants(model, compiled_only)
    for side in sizes:
        image = np.random.default_rng(side).random((side, side)).astype(np.float32)
        reps = 1 if side > 4096 else repeats
        reference = None
        for name, (variant, backend) in runtimes.items():
            warm_start = time.perf_counter()
            nf.predict(variant, image[:512, :512], backend=backend)  # warm-up (and compile)
            warm = time.perf_counter() - warm_start
            result = nf.predict(variant, image, backend=backend)
            run = lambda v=variant, b=backend, i=image: nf.predict(v, i, backend=b)  # noqa: E731
            seconds = timed(run, reps)
            if reference is None:
                reference = result
            delta = float(np.abs(result - reference).max())
            mpx = side * side / 1e6 / seconds
            extra = f" (first call {warm:.1f} s)" if "compile" in name and side == sizes[0] else ""
            rows.append(
                [
                    name + extra,
                    f"{side}²",
                    f"{mpx:.2f}",
                    f"{delta:.1e}",
                    f"{mpx * kflop / CONV_LIMIT_GFLOPS:.0%}",
                ]
            )
            del result
            print(" | ".join(rows[-1]), flush=True)
    return rows


def other_rows(model, repeats, kflop):
    side = 2048
    image = np.random.default_rng(1).random((side, side)).astype(np.float32)
    rows = []
    for backend in ("torch", "onnxruntime"):
        nf.uncertainty(model, image[:512, :512], backend=backend)
        seconds = timed(lambda b=backend: nf.uncertainty(model, image, backend=b), repeats)
        rows.append(
            [f"uncertainty (entropy), {backend}", f"{side / 1e3 * side / 1e3 / seconds:.2f}"]
        )
    # A live preview while training: the weights differ at every call.
    trained = model.copy()
    for backend in ("torch", "onnxruntime"):
        times = []
        for _ in range(repeats):
            with torch.no_grad():
                trained.net.head.bias.add_(1e-3)
            start = time.perf_counter()
            nf.predict(trained, image, backend=backend)
            times.append(time.perf_counter() - start)
        mpx = side * side / 1e6 / statistics.median(times)
        rows.append([f"live preview (new weights each call), {backend}", f"{mpx:.2f}"])
    # What a weight change costs the ONNX path by itself.
    sizes = []
    for _ in range(repeats):
        with torch.no_grad():
            trained.net.head.bias.add_(1e-3)
        start = time.perf_counter()
        logits_function(trained, "onnxruntime")
        sizes.append(time.perf_counter() - start)
    rows.append(
        ["ONNX session rebuild after a weight change", f"{statistics.median(sizes) * 1e3:.0f} ms"]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        seconds = timed(lambda: export_onnx(model, path, overwrite=True), repeats)
        rows.append(
            ["ONNX export (export_onnx)", f"{seconds:.2f} s, {path.stat().st_size / 1e6:.1f} MB"]
        )
    rows.append(["forward cost of the shipped U-Net", f"{kflop:.1f} kFLOP/px"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 8192])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    args = parser.parse_args()
    model = nf.load_model(DEFAULT_MODEL)
    kflop = flops_per_pixel(model) / 1e3
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows = runtime_rows(model, args.sizes, args.repeats, False, kflop)
    others = other_rows(model, args.repeats, kflop)
    if not args.no_compile:
        # Last: inductor leaves compile workers behind that slow what runs after it.
        compiled = runtime_rows(model, args.sizes, args.repeats, True, kflop)
        rows += [row for row in compiled if row[0].startswith("torch.compile")]
    print()
    print(
        markdown_table(
            ["runtime", "image", "Mpx/s", "max |Δ| vs eager", "of 75 GFLOP/s conv limit"], rows
        )
    )
    print()
    print(markdown_table(["what (2048²)", "Mpx/s or cost"], others))


if __name__ == "__main__":
    main()
