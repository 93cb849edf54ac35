"""Memory over many active-learning rounds in one process: is anything kept per round?

Runs ``--rounds`` rounds of :class:`~napari_finetune.session.LabellingSession`
(the code the Fine-tune dock drives: training, live previews, final
predictions, uncertainty and suggestions) on the painted-strokes sample, warm
starting each round from the last, and prints after each round: the resident
set size (current, from /proc), the number of live torch tensors and of
Python objects the garbage collector tracks, and the size of the model's
history and provenance. A leak shows as a tensor or object count that climbs
round after round; allocator caches (glibc arenas, oneDNN primitive caches)
show as RSS that rises for a few rounds and then stays flat while the counts
do not move.

Usage::

    python benchmarks/bench_session_memory.py [--rounds 20] [--steps 50] [--trim]

(about 40 s a round on a quiet 2-core machine).

``--trim`` calls glibc's ``malloc_trim(0)`` after each round, which hands
freed heap pages back to the system: the RSS that remains is memory in use.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import warnings
from pathlib import Path

import torch

import napari_finetune as nf
from napari_finetune.session import CURRENT, LabellingSession, Pair, RoundOptions
from napari_finetune.session.options import SuggestionOptions
from napari_finetune.synth.strokes import paint_strokes


def rss_mb() -> float:
    """Current resident set size in MB (Linux)."""
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * 4096 / 2**20


def live_tensors() -> int:
    with warnings.catch_warnings():  # isinstance on torch's deprecated module objects warns
        warnings.simplefilter("ignore", FutureWarning)
        return sum(1 for obj in gc.get_objects() if isinstance(obj, torch.Tensor))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=50, help="training steps per round")
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after each round")
    args = parser.parse_args()
    libc = ctypes.CDLL("libc.so.6") if args.trim else None

    sample = nf.voronoi_grains((512, 512), 60, target_domain=True, seed=0)
    session = LabellingSession([Pair(sample.image, paint_strokes(sample, seed=0), "grains")])
    print("| round | RSS (MB) | live tensors | GC objects | history records | provenance runs |")
    print("|---|---|---|---|---|---|")
    first = None
    for round_number in range(1, args.rounds + 1):
        options = RoundOptions(
            start=CURRENT if session.model is not None else "voronoi-unet",
            steps=args.steps,
            seed=round_number,
            suggestions=SuggestionOptions(n=5, size=64),
            average_views=False,  # one view, as measured before strokes averaged 8
        )
        for _ in session.train_round(options):
            pass
        gc.collect()
        if libc is not None:
            libc.malloc_trim(0)
        rss = rss_mb()
        first = first or rss
        print(
            f"| {round_number} | {rss:.0f} | {live_tensors()} | {len(gc.get_objects())} | "
            f"{len(session.model.history)} | {len(session.model.provenance)} |"
        )
    print(f"\nRSS round 1 -> {args.rounds}: {first:.0f} -> {rss:.0f} MB ({rss / first - 1:+.1%})")


if __name__ == "__main__":
    main()
