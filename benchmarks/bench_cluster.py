"""Folder runs on a Dask cluster: images/s in one process and on a 2-worker LocalCluster.

A folder of ``--images`` synthetic 1024² grain micrographs (``nf.voronoi_grains``,
float32 TIFF) is predicted twice with the shipped model and the shipped code,
``nf.predict_folder``:

- ``one process``: no client; torch uses its default threads (every core);
- ``LocalCluster``: ``client=`` a ``LocalCluster(n_workers=--workers,
  threads_per_worker=1, processes=True)`` on this machine. Each worker runs
  torch on one thread (``torch.set_num_threads(1)`` on every worker, which is
  also what Dask's ``OMP_NUM_THREADS=1`` gives a worker process): workers ×
  threads = cores, so the two runs use the same CPUs and nothing is
  oversubscribed. More threads per worker would make the workers' oneDNN
  pools fight over the same cores.

Both runs are warmed up first (a run over 2 images: torch imported and the
network prepared in every process), then timed over the folder. Columns:
``images/s`` over the wall-clock time of the run; ``s/image (task)`` the mean
time one image takes inside its task (read, predict, write), from the
``FileDone`` events; ``overhead s/image`` = (wall time × workers − task time)
/ images, what scheduling, transfers and idle workers add per image.

What a real cluster would give: a task is one image, independent of the
others, so N workers of this kind do about N / (s/image (task) + overhead)
images per second, as long as the shared file system keeps up (a 1024² image
is 4 MB in and 1 MB of labels out; 8 MB more with probabilities).

Usage::

    python benchmarks/bench_cluster.py [--images 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile
import torch

import napari_finetune as nf
from napari_finetune.batch import FileDone, predict_files

SIDE = 1024


def write_images(folder: Path, count: int) -> None:
    """``count`` float32 SIDE² grain micrographs, each its own seed."""
    folder.mkdir()
    for seed in range(count):
        image = nf.voronoi_grains((SIDE, SIDE), 120, seed=seed).image.astype(np.float32)
        tifffile.imwrite(folder / f"grains_{seed:03d}.tif", image)


def timed_run(model: object, images: Path, output: Path, client: object = None) -> dict:
    """One folder run: its wall time and the per-image task times from its events."""
    start = time.perf_counter()
    events = list(predict_files(model, images, output, client=client))
    wall = time.perf_counter() - start
    tasks = [e.seconds for e in events if isinstance(e, FileDone)]
    summary = events[-1].summary
    assert summary.ok and len(tasks) == summary.count("done"), summary.table()
    return {"wall": wall, "tasks": tasks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=50, help="images of 1024² (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (default 2)")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    model = nf.load_model("voronoi-unet")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_images(folder / "warm-up", 2)
        write_images(folder / "images", args.images)

        timed_run(model, folder / "warm-up", folder / "warm-up-alone")
        alone = timed_run(model, folder / "images", folder / "alone")
        rows.append((f"one process ({torch.get_num_threads()} torch threads)", 1, alone))

        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            client.run(torch.set_num_threads, 1)
            started = time.perf_counter() - start
            start = time.perf_counter()
            timed_run(model, folder / "warm-up", folder / "warm-up-cluster", client)
            warm = time.perf_counter() - start
            on_cluster = timed_run(model, folder / "images", folder / "cluster", client)
        name = f"LocalCluster ({args.workers} workers × 1 thread)"
        rows.append((name, args.workers, on_cluster))

    print(f"{args.images} images of {SIDE}², {os.cpu_count()} cores")
    print(f"cluster start {started:.1f} s; warm-up (torch imported on the workers) {warm:.1f} s")
    print()
    print("| run | images/s | s/image (task) | overhead s/image | wall s |")
    print("| --- | --- | --- | --- | --- |")
    for name, workers, run in rows:
        tasks = run["tasks"]
        overhead = (run["wall"] * workers - sum(tasks)) / len(tasks)
        print(
            f"| {name} | {len(tasks) / run['wall']:.3f} | {statistics.mean(tasks):.2f} "
            f"| {overhead:.2f} | {run['wall']:.1f} |"
        )
    per_task = statistics.mean(on_cluster["tasks"])
    print()
    print(
        f"A cluster of N such workers: about N / {per_task:.2f} s = "
        f"{1 / per_task:.2f} × N images/s (tasks are independent), if storage keeps up."
    )


if __name__ == "__main__":
    main()
