"""Is napari fluid while the Fine-tune widget trains, and is training as fast as headless?

While the widget trains on the painted-strokes sample, a QTimer ticks every
10 ms and records the intervals between ticks: a stall of the Qt event loop
shows as a long interval. Training throughput inside the widget's worker is
compared with headless ``finetune`` on the same data and budget. Runs
alternate headless / widget, ``--repeats`` times; medians are reported.

Usage (needs a display; on a server use Xvfb)::

    xvfb-run -a python benchmarks/bench_widget_responsiveness.py [--seconds 30] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import napari
import numpy as np
import torch
from common import markdown_table
from qtpy.QtCore import QEventLoop, QTimer
from qtpy.QtWidgets import QApplication

import napari_finetune as nf
from napari_finetune._widgets.finetune import FineTuneWidget
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


def headless(image, painted, seconds: float) -> float:
    rates = [
        e.samples_per_second
        for e in nf.finetune(image, painted, max_seconds=seconds)
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
    args = parser.parse_args()
    QApplication.instance() or napari.Viewer().close()
    sample = nf.voronoi_grains((512, 512), 60, seed=0)
    from napari_finetune.synth.strokes import paint_strokes

    painted = paint_strokes(sample, seed=0)
    ratios, p50, p99, worst, head_rates, widget_rates = [], [], [], [], [], []
    for _ in range(args.repeats):
        head = headless(sample.image, painted, args.seconds)
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
