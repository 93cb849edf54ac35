"""Deep stacks in the viewer: memory and time of a round, and of *Predict* on every plane.

A lazy (Dask) stack of ``planes`` × ``side``² uint8 synthetic grains, painted
with strokes on two planes, the plane in view another one:

- ``round``: one :class:`~napari_finetune.session.LabellingSession` round (the
  code the Fine-tune dock drives: read, ``--steps`` training steps, live
  previews, final predictions, uncertainty and suggestions);
- ``predict-whole``: *Predict* as the dock does on a stack that is not deep
  (:func:`~napari_finetune.session.predicting.load_and_predict`: read whole,
  every plane's probabilities kept, then the labels);
- ``predict-planes``: *Predict* on a deep stack
  (:func:`~napari_finetune.session.deep_stacks.predict_stack`: a plane at a time,
  only its labels kept, as the viewer's labels layer keeps them).

Each case runs in a process of its own and reports its wall time and the
process's peak resident memory (``ru_maxrss``, ~0.4 GB of it Python, torch and
the model). Usage::

    python benchmarks/bench_deep_stack.py [--planes 32 128 512] [--side 1024] [--steps 20]

The round's figures before deep stacks were read by plane come from this script
run over the older code (``PYTHONPATH=<old checkout>/src``); it imports nothing
that code lacks for ``round``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
from common import markdown_table


def stack(planes: int, side: int) -> tuple[object, np.ndarray]:
    """A Dask stack of one grain image repeated (chunks of a plane) and strokes on 2 planes."""
    import dask.array as da

    import napari_finetune as nf
    from napari_finetune.synth.strokes import paint_strokes

    sample = nf.voronoi_grains((side, side), 60, target_domain=True, seed=0)
    plane = (sample.image * 255).astype(np.uint8)
    lazy = da.stack([da.from_array(plane, chunks=plane.shape)] * planes)
    labels = np.zeros((planes, side, side), np.uint8)
    for z in (1, planes // 2):
        labels[z] = paint_strokes(sample, seed=z)
    return lazy, labels


def run_case(case: str, planes: int, side: int, steps: int) -> dict:
    """One case, in this process: its seconds and the peak resident memory in GB."""
    from napari_finetune.session import LabellingSession, Pair, RoundOptions

    lazy, labels = stack(planes, side)
    start = time.perf_counter()
    if case == "round":
        session = LabellingSession([Pair(lazy, labels, "stack", plane=planes - 1)])
        # One view, as the README's table measured (strokes now average 8 views by default).
        session.run_round(RoundOptions(steps=steps, seed=0, average_views=False))
    else:
        from napari_finetune.inference.predict import labels_from_probabilities
        from napari_finetune.models.registry import DEFAULT_MODEL, load_model

        model = load_model(DEFAULT_MODEL)
        if case == "predict-whole":
            from napari_finetune.session.predicting import load_and_predict

            # Its Prediction holds the labels too, computed in this thread as *Predict*'s.
            load_and_predict(model, lazy, "stack")
        else:
            from napari_finetune.session.deep_stack_prediction import predict_stack
            from napari_finetune.session.events import Prediction

            shown = np.zeros(labels.shape, np.uint8)  # the viewer's labels layer
            for event in predict_stack(model, lazy, "stack", planes - 1):
                if isinstance(event, Prediction):
                    shown[event.plane] = labels_from_probabilities(event.probabilities)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    return {"seconds": seconds, "peak_gb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--cases", nargs="+", default=["round", "predict-whole", "predict-planes"])
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    args = parser.parse_args()
    if args.case:
        (planes,) = args.planes
        print(json.dumps(run_case(args.case, planes, args.side, args.steps)))
        return
    rows = []
    for planes in args.planes:
        for case in args.cases:
            command = [sys.executable, __file__, "--case", case, "--planes", str(planes)]
            command += ["--side", str(args.side), "--steps", str(args.steps)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            got = json.loads(done.stdout.strip().splitlines()[-1])
            mpx = planes * args.side**2 / 1e6
            rows.append(
                [
                    f"{planes} × {args.side}²",
                    f"{mpx:.0f}",
                    case,
                    f"{got['seconds']:.1f}",
                    f"{got['peak_gb']:.2f}",
                ]
            )
            print(rows[-1], file=sys.stderr, flush=True)
    print(markdown_table(["stack", "Mpx", "case", "seconds", "peak GB"], rows))


if __name__ == "__main__":
    main()
