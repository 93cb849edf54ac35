"""Training speed when another program keeps a core busy (acquisition software beside us).

Each configuration trains the shipped model on the painted-strokes sample for
``--seconds`` in a fresh process and reports the patches/s of its last step,
first on a quiet machine, then with ``--busy`` processes spinning on a core
each. OpenMP's default wait policy spins at every barrier; when a thread's
core is taken, its partner spins through the whole time slice of the other
program, and training slows far more than the lost core explains. The
configurations:

- ``libgomp default``: what the plugin did before;
- ``active`` / ``passive``: ``OMP_WAIT_POLICY`` (spin always / sleep at barriers);
- ``spin 10k``: a short spin before sleeping (``GOMP_SPINCOUNT``);
- ``napari_finetune default``: the package as shipped: a time-budget run
  measures the load first and leaves busy cores alone (training/threads.py);
- ``1 thread``: ``torch.set_num_threads(1)``, the floor.

Usage::

    python benchmarks/bench_contention.py [--seconds 15] [--busy 1] [--neighbour spin|torch]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time

TRAIN = """
import json, os, sys
import torch
if {threads} is not None:
    torch.set_num_threads({threads})
import napari_finetune as nf
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training.events import Step
sample = nf.voronoi_grains((512, 512), 60, seed=0)
painted = paint_strokes(sample, seed=0)
speeds = [e.samples_per_second for e in nf.finetune(sample.image, painted, max_seconds={seconds})
          if isinstance(e, Step)]
policy = os.environ.get("OMP_WAIT_POLICY") or f"spin {{os.environ.get('GOMP_SPINCOUNT')}}"
print(json.dumps({{"speed": speeds[-1], "policy": policy, "threads": torch.get_num_threads()}}))
"""

# libgomp's documented default without OMP_WAIT_POLICY is a spin count of 300,000;
# given explicitly it also stops napari_finetune from choosing one on import.
CONFIGS = {
    "libgomp default": ({"GOMP_SPINCOUNT": "300000"}, None),
    "active": ({"OMP_WAIT_POLICY": "ACTIVE"}, None),
    "passive": ({"OMP_WAIT_POLICY": "PASSIVE"}, None),
    "spin 10k": ({"GOMP_SPINCOUNT": "10000"}, None),
    "napari_finetune default": ({}, None),
    "1 thread": ({"GOMP_SPINCOUNT": "300000"}, 1),
}


def spin(stop_at: float) -> None:
    """Keep one core busy until ``stop_at``."""
    x = 0
    while time.time() < stop_at:
        x += 1


NEIGHBOUR = """
import time, torch
stop_at = {stop_at}
x, w = torch.randn(1, 16, 256, 256), torch.randn(16, 16, 3, 3)
while time.time() < stop_at:
    torch.nn.functional.conv2d(x, w, padding=1)
"""


def torch_neighbour(stop_at: float) -> subprocess.Popen:
    """Another torch program (default threads) convolving until ``stop_at``: a test run, say."""
    code = NEIGHBOUR.format(stop_at=stop_at)
    return subprocess.Popen([sys.executable, "-c", code])


def train(env: dict[str, str], threads: int | None, seconds: float) -> dict:
    unset = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
    environment = {k: v for k, v in os.environ.items() if k not in unset} | env
    code = TRAIN.format(threads=threads, seconds=seconds)
    run = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--busy", type=int, default=1, help="busy processes beside training")
    parser.add_argument(
        "--neighbour",
        choices=("spin", "torch"),
        default="spin",
        help="a Python loop on one core, or another torch program with its own threads",
    )
    args = parser.parse_args()
    print(
        "| configuration | policy | threads | quiet (patches/s) | busy (patches/s) | busy/quiet |"
    )
    print("|---|---|---|---|---|---|")
    for name, (env, threads) in CONFIGS.items():
        quiet = train(env, threads, args.seconds)
        stop_at = time.time() + args.seconds + 30
        if args.neighbour == "torch":
            others = [torch_neighbour(stop_at) for _ in range(args.busy)]
        else:
            others = [
                multiprocessing.Process(target=spin, args=(stop_at,), daemon=True)
                for _ in range(args.busy)
            ]
            for process in others:
                process.start()
        try:
            busy = train(env, threads, args.seconds)
        finally:
            for process in others:
                process.terminate()
        print(
            f"| {name} | {quiet['policy']} | {quiet['threads']} | {quiet['speed']:.1f} | "
            f"{busy['speed']:.1f} | {busy['speed'] / quiet['speed']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
