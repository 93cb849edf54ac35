"""Images larger than memory: peak memory and speed of in-memory and lazy (Zarr) prediction.

Cases, each run in its own process so that the peaks do not mix (peak RSS is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that process, which includes
Python, torch and the model, about 0.4 GB):

- ``in memory``: a float32 ``side²`` image in memory through ``nf.predict``;
  the issue's target is at most 2 GB above the input (the column ``above
  input`` is the peak minus the process's memory just before ``predict``,
  input included);
- ``lazy (zarr)``: a uint8 ``side²`` Zarr store (512² chunks) read and
  written band by band with ``predict_lazy``; the target is a peak of at most
  2 GB, whatever the side, and a throughput within 20 % of in-memory.

The image is a 1024² synthetic grain micrograph tiled over the side. Mpx/s
counts image pixels over the whole call (the lazy one includes its
percentile sample and the writing). The in-memory case is skipped above
16384² (``--side 32768`` would hold a 4 GB input).

Usage::

    python benchmarks/bench_large_image.py [--side 8192]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import napari_finetune as nf

MAX_IN_MEMORY = 16384


def pattern(side: int) -> np.ndarray:
    """The 1024² synthetic micrograph tiled to ``side × side`` (float32, values in 0..1)."""
    base = nf.voronoi_grains((1024, 1024), 120, seed=0).image.astype(np.float32)
    reps = -(-side // 1024)
    return np.tile(base, (reps, reps))[:side, :side]


def write_store(path: Path, side: int) -> None:
    """A uint8 ``side²`` Zarr array in 512² chunks, written a band of 1024 rows at a time."""
    import zarr

    base = (255 * pattern(1024)).astype(np.uint8)
    array = zarr.open_array(
        str(path), mode="w", shape=(side, side), dtype="uint8", chunks=(512, 512)
    )
    band = np.tile(base, (1, -(-side // 1024)))[:, :side]
    for y in range(0, side, 1024):
        array[y : y + 1024] = band[: min(1024, side - y)]


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


def current_gb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024**3


def run_case(case: str, side: int, store: str) -> dict:
    """One case, in this process: its time and memory as a dict."""
    from napari_finetune.inference.lazy import predict_lazy

    model = nf.load_model("voronoi-unet")
    nf.predict(model, np.zeros((512, 512), np.float32))  # warm-up: prepared network
    if case == "memory":
        image = pattern(side)
        before = current_gb()
        start = time.perf_counter()
        nf.predict(model, image)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "peak_gb": peak_gb(), "above_input_gb": peak_gb() - before}
    import zarr

    before = current_gb()
    with tempfile.TemporaryDirectory() as folder:
        written = predict_lazy(model, zarr.open_array(store, mode="r"), Path(folder) / "out.zarr")
    return {
        "seconds": written.seconds,
        "peak_gb": peak_gb(),
        "above_input_gb": peak_gb() - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=8192)
    parser.add_argument("--case", choices=["memory", "lazy"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # a child process: one case, its numbers as JSON
        print(json.dumps(run_case(args.case, args.side, args.store)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "image.zarr"
        write_store(store, args.side)
        cases = ["memory", "lazy"] if args.side <= MAX_IN_MEMORY else ["lazy"]
        for case in cases:
            command = [sys.executable, __file__, "--case", case, "--side", str(args.side)]
            result = subprocess.run(
                [*command, "--store", str(store)], capture_output=True, text=True, check=True
            )
            numbers = json.loads(result.stdout.strip().splitlines()[-1])
            name = {"memory": "in memory (nf.predict)", "lazy": "lazy (zarr → zarr)"}[case]
            rows.append((name, numbers))
    megapixels = args.side**2 / 1e6
    print(f"| {args.side}² ({megapixels:.0f} Mpx) | s | Mpx/s | peak RSS GB | above input GB |")
    print("| --- | --- | --- | --- | --- |")
    for name, n in rows:
        print(
            f"| {name} | {n['seconds']:.1f} | {megapixels / n['seconds']:.2f} "
            f"| {n['peak_gb']:.2f} | {n['above_input_gb']:.2f} |"
        )


if __name__ == "__main__":
    main()
