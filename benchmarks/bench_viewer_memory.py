"""Memory of one viewer session over many *Apply to folder…* runs: does anything pile up?

Opens a napari viewer (not shown) with the Fine-tune dock and clicks *Apply to
folder…* ``--runs`` times, on a folder of ``--images`` synthetic grain images.
The dialogs are answered as a user answers them: the images' folder (the
native folder dialog is patched), then *Write there* clicked in the dock's own
output dialog; the last run's outputs are deleted first, so that every image is
predicted again. Everything else is the dock's own code: the plan, the worker,
the progress bar, the summary table. Each run waits in Qt's event loop, as
napari idles between events.

After each run the garbage collector runs and this prints, for runs 1, 5, 10,
20 (and the last): the resident set size (current, from /proc), the Python
objects the collector tracks, the threads alive, the layers in the viewer and
the dialogs still kept (as children) by the dock.
A leak shows as an object or thread count that climbs run after run;
allocator caches show as RSS that rises over the first runs and then stays
flat. Target: RSS at the last run at most 10 % above the warm-up run's.

Usage (needs a display; on a server use Xvfb)::

    xvfb-run -a python benchmarks/bench_viewer_memory.py [--runs 20] [--images 8] [--side 512]

(about 2 s a run for 8 images of 512² on a quiet 2-core machine). ``--model
current`` loads the shipped model into the session first (*Load model…*), so
that every run predicts with that one model; by default, as in a fresh dock,
every run loads the start model in its worker. ``--trim`` calls glibc's
``malloc_trim(0)`` before each reading: the RSS left is memory in use.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import shutil
import tempfile
import threading
import time
from pathlib import Path

import napari
import numpy as np
import tifffile
from common import markdown_table
from qtpy.QtCore import QEventLoop, QTimer
from qtpy.QtWidgets import QApplication, QDialog

import napari_finetune as nf
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.batch import default_output_dir

REPORTED = (1, 5, 10, 20)


def rss_mb() -> float:
    """Current resident set size in MB (Linux)."""
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096 / 2**20


def write_images(folder: Path, count: int, side: int) -> Path:
    """``count`` synthetic grain micrographs as 8-bit TIFFs."""
    folder.mkdir()
    for seed in range(count):
        image = nf.voronoi_grains((side, side), max(8, side * side // 4400), seed=seed).image
        tifffile.imwrite(folder / f"grains_{seed:02d}.tif", np.clip(image * 240, 0, 255))
    return folder


def answer_output_dialog(write_there: object) -> None:
    """Click *Write there* in the output dialog as soon as it is open (it is modal)."""

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        button = getattr(dialog, "write", None)
        if button is None:  # not open yet
            QTimer.singleShot(20, click)
            return
        write_there.append(type(dialog).__name__)
        button.click()

    QTimer.singleShot(20, click)


def apply_to_folder(dock: FineTuneWidget, images: Path) -> str:
    """Click *Apply to folder…*, answer its dialogs, wait in Qt's event loop until it ends.

    The folder dialog (a native file dialog) is answered by patching it; the
    output dialog is the dock's own, clicked: *Write there*, the default folder.
    """
    run = dock.files.folder
    run.ask_input_folder = lambda: str(images)
    clicked: list[str] = []
    answer_output_dialog(clicked)
    run.apply.clicked.emit()
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(50)  # a cheap check; the run's own events wake the loop meanwhile
    timer.timeout.connect(lambda: None if run.running else loop.quit())
    timer.start()
    loop.exec()
    timer.stop()
    if not clicked:
        raise SystemExit("the output dialog did not open")
    return dock.status.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--images", type=int, default=8, help="images in the folder")
    parser.add_argument("--side", type=int, default=512, help="image side in pixels")
    parser.add_argument("--warmup", type=int, default=1, help="run the growth is measured from")
    parser.add_argument("--model", choices=["shipped", "current"], default="shipped")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) before each reading")
    args = parser.parse_args()
    libc = ctypes.CDLL("libc.so.6") if args.trim else None

    viewer = napari.Viewer(show=False)
    dock = FineTuneWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Fine-tune")
    if args.model == "current":
        dock.session.model = nf.load_model("voronoi-unet")
    QApplication.processEvents()
    reported = {r for r in REPORTED if r <= args.runs} | {args.runs, args.warmup}
    rows, rss = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        images = write_images(Path(tmp) / "images", args.images, args.side)
        gc.collect()
        start_rss = rss_mb()
        for number in range(1, args.runs + 1):
            # The outputs of the last run go, as a user deletes them to predict again
            # (else every image would be skipped as done).
            shutil.rmtree(default_output_dir(images), ignore_errors=True)
            started = time.perf_counter()
            said = apply_to_folder(dock, images)
            seconds = time.perf_counter() - started
            if not said.startswith(f"Folder: {args.images} done"):
                raise SystemExit(f"run {number} did not predict every image: {said}")
            gc.collect()
            if libc is not None:
                libc.malloc_trim(0)
            rss[number] = rss_mb()
            if number in reported:
                rows.append(
                    [
                        number,
                        f"{rss[number]:.0f}",
                        f"{rss[number] / rss[1] - 1:+.1%}",
                        len(gc.get_objects()),
                        threading.active_count(),
                        len(viewer.layers),
                        len(dock.native.findChildren(QDialog)),
                        f"{seconds:.1f}",
                    ]
                )
    viewer.close()
    print(
        f"{args.runs} folder runs of {args.images} images of {args.side}² px in one viewer "
        f"(model: {args.model}); RSS before the first run: {start_rss:.0f} MB\n"
    )
    headers = [
        "run",
        "RSS (MB)",
        "vs run 1",
        "Python objects",
        "threads",
        "layers",
        "dialogs kept",
        "run (s)",
    ]
    print(markdown_table(headers, rows))
    growth = rss[args.runs] / rss[args.warmup] - 1
    verdict = "within" if growth <= 0.10 else "OVER"
    print(
        f"\nRSS run {args.warmup} -> {args.runs}: {rss[args.warmup]:.0f} -> "
        f"{rss[args.runs]:.0f} MB ({growth:+.1%}; {verdict} the 10 % target)"
    )


if __name__ == "__main__":
    main()
