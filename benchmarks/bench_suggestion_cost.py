"""What seeking a rare class costs one image's suggestions after a round.

While a painted class is rare, the boxes are ranked on the uncertainty times
how much of that class the model sees (``inference/thin_class_emphasis.py``),
which needs the model's prediction beside the map. With the default
uncertainty (entropy) and with margin, the pass that makes the map gives it
(``uncertainty_and_prediction``); with the other methods the image is
predicted once more. Prints the median time of
``session.suggesting.suggestions_for`` on a ``side`` x ``side`` image, with a
3-class model (the shipped U-Net's architecture, untrained: the time does not
depend on the weights), seeking a rare class and not (the floor).

Usage::

    python benchmarks/bench_suggestion_cost.py [--sides 512 1024 2048] [--methods entropy tta]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import markdown_table, timed

from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.options import SuggestionOptions
from napari_finetune.session.pairs import Pair
from napari_finetune.session.suggesting import suggestions_for


def measure(side: int, method: str, repeats: int) -> list:
    torch.manual_seed(0)
    model = SegmentationModel.create(n_classes=3)
    image = np.random.default_rng(0).random((side, side), dtype=np.float32)
    labels = np.zeros((side, side), np.uint8)
    labels[:40, :40], labels[40:80, :40], labels[80, :10] = 1, 2, 3  # class 3 is rare
    pair = Pair(image, labels, "image")
    options = SuggestionOptions(method=method, n=4, size=64, seed=None)
    seeking = timed(lambda: suggestions_for(model, pair, options, None, [3]), repeats)
    plain = timed(lambda: suggestions_for(model, pair, options, None, []), repeats)
    return [f"{side}²", method, f"{seeking:.2f}", f"{plain:.2f}", f"{seeking / plain:.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--methods", nargs="+", default=["entropy", "tta"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [measure(side, m, args.repeats) for side in args.sides for m in args.methods]
    header = ["image", "uncertainty", "seeking a rare class (s)", "not seeking (s)", "ratio"]
    print(f"\nMedian seconds over {args.repeats} calls of suggestions_for, 4 boxes of 64²")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
