"""Stacks larger than memory: peak memory and speed, whole in memory against plane by plane.

A FIB-SEM or serial-section run saved as one uncompressed multi-page TIFF of
``planes × side²`` uint8 (a 1024² synthetic grain micrograph tiled over each
plane, each plane shifted so that no two are alike). Each case runs in its
own process, so that the peaks do not mix (peak RSS is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that process: Python, torch
and the model are about 0.4 GB of it):

- ``in memory``: the stack read whole (``tifffile.imread``) and predicted with
  ``nf.predict``, the way a stack file went before (``napari-finetune
  predict`` and ``predict-large``, which refused stacks, aside); skipped above
  ``--max-in-memory`` pixels;
- ``folder run``: ``nf.predict_folder(model, ['stack.tif'], 'out/')``, as
  ``napari-finetune predict stack.tif --output out/`` runs it: labels TIFF
  written (read whole and predicted whole before; plane by plane now, for a
  deep stack, :mod:`napari_finetune.batch.stack_file`, into the TIFF on disk
  plane by plane since the outputs are memory-mapped);
- ``folder run, probabilities too``: the same with ``probabilities=True``
  (``--cases folder-probabilities``): float32 ``(K, planes, rows, cols)`` written as well;
- ``plane by plane``: ``nf.predict_lazy(model, 'stack.tif', 'out.zarr')``, the
  file memory-mapped, each plane predicted band by band into the store
  (:mod:`napari_finetune.inference.lazy_stack`), as ``napari-finetune
  predict-large stack.tif --output out.zarr`` runs it.

Mpx/s counts the stack's pixels over the whole call (reading and writing
included). The shipped default model predicts. Peak RSS counts the pages of
a memory-mapped input the process has read (page cache, which the kernel
drops under pressure: up to the file's size by the last plane), so the
peak of the process's own memory (``RssAnon`` of ``/proc/self/status``,
sampled every 20 ms) is given too.

Usage::

    python benchmarks/bench_large_stack.py [--planes 16 64 256] [--side 2048]
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
from napari_finetune.choices import DEFAULT_MODEL

CASES = ["memory", "folder", "folder-probabilities", "lazy"]


def write_stack(path: Path, planes: int, side: int) -> None:
    """An uncompressed uint8 TIFF stack, written a plane at a time (never whole in memory)."""
    import tifffile

    base = (255 * nf.voronoi_grains((1024, 1024), 120, seed=0).image).astype(np.uint8)
    reps = -(-side // 1024) + 1
    tiled = np.tile(base, (reps, reps))

    def plane(z: int) -> np.ndarray:
        shift = (37 * z) % 1024
        return tiled[shift : shift + side, shift : shift + side]

    with tifffile.TiffWriter(path, bigtiff=True) as tif:
        tif.write(
            (plane(z) for z in range(planes)),
            shape=(planes, side, side),
            dtype=np.uint8,
            photometric="minisblack",
        )


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


class AnonPeak:
    """The peak of the process's anonymous memory (not file pages), sampled in a thread."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @staticmethod
    def now() -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024**2  # kB
        return 0.0

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.now())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, self.now())


def run_case(case: str, path: str) -> dict:
    """One case, in this process: its seconds and peak memory."""
    import tifffile

    model = nf.load_model(DEFAULT_MODEL)
    nf.predict(model, np.zeros((512, 512), np.float32))  # warm-up: prepared network
    anon = AnonPeak()
    start = time.perf_counter()
    if case == "memory":
        stack = tifffile.imread(path)
        probabilities = nf.predict(model, stack)
        nf.inference.labels_from_probabilities(probabilities)
    elif case in ("folder", "folder-probabilities"):
        with tempfile.TemporaryDirectory() as folder:
            out, probabilities = Path(folder) / "out", case == "folder-probabilities"
            summary = nf.predict_folder(model, [path], out, probabilities=probabilities)
            assert summary.rows[0].status == "done", summary.table()
    else:
        with tempfile.TemporaryDirectory() as folder:
            nf.predict_lazy(model, path, Path(folder) / "out.zarr")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_gb": peak_gb(), "anon_gb": anon.stop()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--planes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument(
        "--max-in-memory", type=float, default=300e6, help="largest stack (px) read whole"
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=CASES,
        default=["memory", "folder", "lazy"],
        help="which cases (all but lazy only up to --max-in-memory pixels)",
    )
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # a child process: one case, its numbers as JSON
        print(json.dumps(run_case(args.case, args.path)))
        return
    print(
        f"| stack ({args.side}² planes, uint8 TIFF) | case | s | Mpx/s | peak RSS GB "
        "| peak own memory GB |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for planes in args.planes:
        pixels = planes * args.side**2
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "stack.tif"
            write_stack(path, planes, args.side)
            small = pixels <= args.max_in_memory
            cases = [c for c in args.cases if small or c == "lazy"]
            for case in cases:
                command = [sys.executable, __file__, "--case", case, "--path", str(path)]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                n = json.loads(done.stdout.strip().splitlines()[-1])
                name = {
                    "memory": "whole in memory (nf.predict)",
                    "folder": "folder run (nf.predict_folder)",
                    "folder-probabilities": "folder run, probabilities too",
                    "lazy": "plane by plane into Zarr (nf.predict_lazy)",
                }[case]
                print(
                    f"| {planes} planes ({pixels / 1e6:.0f} Mpx) | {name} | {n['seconds']:.1f} "
                    f"| {pixels / 1e6 / n['seconds']:.2f} | {n['peak_gb']:.2f} "
                    f"| {n['anon_gb']:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
