"""Is napari fluid while the Fine-tune widget trains, and is training as fast as headless?

While the widget trains on the painted-strokes sample, a QTimer ticks every
10 ms and records the intervals between ticks: a stall of the Qt event loop
shows as a long interval. Training throughput inside the widget's worker is
compared with headless ``finetune`` on the same data and budget. Runs
alternate headless / widget, ``--repeats`` times; medians are reported.

Headless runs go in a child process: training in this process's main thread
would leave an OpenMP thread team behind that slows every later worker thread
(libgomp stops spinning at barriers once it manages more threads than cores),
which is the very effect the widget must avoid, not something to measure into it.

Usage (needs a display; on a server use Xvfb)::

    xvfb-run -a python benchmarks/bench_widget_responsiveness.py [--seconds 30] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import napari
import numpy as np
import torch
from common import markdown_table
from qtpy.QtCore import QEventLoop, QTimer
from qtpy.QtWidgets import QApplication

import napari_finetune as nf
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Step


def threads_in_a_worker() -> int:
    """torch's intra-op thread count as seen from inside a napari worker thread."""
    from napari.qt.threading import create_worker

    result, loop = [], QEventLoop()
    worker = create_worker(torch.get_num_threads, _start_thread=False)
    worker.returned.connect(result.append)
    worker.finished.connect(loop.quit)
    worker.start()
    loop.exec_()
    return result[0]


def headless(seconds: float) -> float:
    """patches/s of ``finetune`` on the painted sample, in a fresh process."""
    run = subprocess.run(
        [sys.executable, __file__, "--headless-only", "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.split()[-1])


def headless_here(seconds: float) -> float:
    sample = nf.voronoi_grains((512, 512), 60, seed=0)
    painted = paint_strokes(sample, seed=0)
    rates = [
        e.samples_per_second
        for e in nf.finetune(sample.image, painted, max_seconds=seconds)
        if isinstance(e, Step)
    ]
    return rates[-1]


def in_widget(seconds: float) -> tuple[float, np.ndarray]:
    viewer = napari.Viewer()
    viewer.open_sample("napari-finetune", "painted")
    widget = FineTuneWidget(viewer)
    viewer.window.add_dock_widget(widget)
    widget.seconds.value = int(seconds)
    rates = []

    def record(event):
        if isinstance(event, Step):
            rates.append(event.samples_per_second)

    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    for _ in range(20):
        QApplication.processEvents()
    widget.train.clicked.emit()
    widget._worker.yielded.connect(record)
    # Qt's own event loop, idle between events as in napari: polling it here
    # would steal the CPU the benchmark is measuring.
    loop = QEventLoop()
    widget._worker.finished.connect(loop.quit)
    timer.start()
    loop.exec_()
    timer.stop()
    viewer.close()
    return rates[-1], np.diff(ticks) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--headless-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.headless_only:
        print(headless_here(args.seconds))
        return
    QApplication.instance() or napari.Viewer().close()
    ratios, p50, p99, worst, head_rates, widget_rates = [], [], [], [], [], []
    for _ in range(args.repeats):
        head = headless(args.seconds)
        rate, intervals = in_widget(args.seconds)
        head_rates.append(head)
        widget_rates.append(rate)
        ratios.append(rate / head)
        p50.append(np.percentile(intervals, 50))
        p99.append(np.percentile(intervals, 99))
        worst.append(intervals.max())
    print(
        f"torch intra-op threads: main thread {torch.get_num_threads()}, "
        f"napari worker thread {threads_in_a_worker()}"
    )
    print(
        markdown_table(
            ["measure (median of runs)", "value"],
            [
                ["Qt timer interval p50 (nominal 10 ms)", f"{statistics.median(p50):.1f} ms"],
                ["Qt timer interval p99 (target ≤ 50 ms)", f"{statistics.median(p99):.1f} ms"],
                ["longest stall", f"{statistics.median(worst):.0f} ms"],
                ["headless training", f"{statistics.median(head_rates):.1f} patches/s"],
                ["training in the widget", f"{statistics.median(widget_rates):.1f} patches/s"],
                ["widget / headless (target ≥ 0.90)", f"{statistics.median(ratios):.2f}"],
            ],
        )
    )


if __name__ == "__main__":
    main()
