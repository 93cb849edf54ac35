"""How long the Fine-tune dock's checks take after each brush stroke, on large paintings.

Every stroke on a painting the dock trains on re-reads it on the GUI thread: the
painted pixel count (strategy advice), whether classes meet (pseudo-label
advice), the thin-class line and the data-bar line. A mosaic user paints a few
boxes on a painting tens of thousands of pixels wide; the checks must stay well
under a second there. The image and painting are uint8 ``side`` x ``side`` with
``--boxes`` painted 64² boxes spread evenly along the diagonal.
Prints the median over ``--repeats`` of the whole check (the dock's handler of a
paint event) and of each part.

Usage (needs a display; on a server use Xvfb)::

    xvfb-run -a python benchmarks/bench_stroke_checks.py [--sides 4096 16384 30000]
"""

from __future__ import annotations

import argparse

import napari
import numpy as np
from common import markdown_table, timed

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


def measure(side: int, boxes: int, repeats: int) -> list:
    viewer = napari.Viewer(show=False)
    try:
        viewer.add_image(np.zeros((side, side), np.uint8), name="mosaic")
        dock = FineTuneWidget(viewer)
        painting = np.zeros((side, side), np.uint8)
        step = max((side - 64) // max(boxes, 1), 1)
        for k in range(boxes):
            y = x = k * step
            painting[y : y + 64, x : x + 64] = 1 + k % 2
        layer = viewer.add_labels(painting, name="mosaic painted")
        dock.pairs.rows()[0].labels_layer.value = layer
        parts = {
            "whole check": dock._suggest_strategy,
            "painted px": dock.pairs.painted_pixels,
            "strategy and pseudo-label advice": lambda: dock.settings.show_advice(
                *dock.pairs.what_advice_reads()
            ),
            "thin-class line": dock.thin_class.check,
            "data-bar line": dock.data_bar.check,
        }
        return [f"{side:,}²", *(f"{timed(check, repeats):.3f}" for check in parts.values())]
    finally:
        viewer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[4096, 16384, 30000])
    parser.add_argument("--boxes", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = [measure(side, args.boxes, args.repeats) for side in args.sides]
    header = ["painting", "after a stroke (s)", "painted px", "advice", "thin class", "data bar"]
    print(f"\nMedian seconds over {args.repeats} checks, {args.boxes} painted 64² boxes")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
