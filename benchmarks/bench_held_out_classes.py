"""What the end of a run says per class, against each class's score on unseen images.

The superalloy set of issue 20 (``bench_levers.py``'s paintings: 3 ``train``
images x 4 boxes of 48², phases named), fine-tuned from ``world-unet`` as the
dock does it, per seed: the status line the dock and the CLI show at the end
(its held-out F1 per class) beside the per-phase IoU on the ``val`` images.

    python benchmarks/bench_held_out_classes.py            # 3 seeds, 60 s each, ~4 min
"""

from __future__ import annotations

import argparse

from bench_feature_forest import PHASE_NAMES, score
from bench_levers import lever_dataset

import napari_finetune as nf
from napari_finetune.session.status import finished_text
from napari_finetune.training import Finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    start = nf.load_model("world-unet")
    print("| seed | IoU on `val` per phase | mIoU | end of the run (dock and CLI status) |")
    print("| --- | --- | --- | --- |")
    for seed in args.seeds:
        kind, images, labels, score_images, truth = lever_dataset("nasa", seed)
        events = nf.finetune(
            images, labels, start, max_seconds=args.seconds, seed=seed, class_names=PHASE_NAMES
        )
        done = [event for event in events if isinstance(event, Finished)][-1]
        scored = score(kind, [nf.predict(done.model, i) for i in score_images], truth)
        phases = " / ".join(f"{v:.2f}" for v in scored["IoU per phase"])
        print(f"| {seed} | {phases} | {scored['score']:.3f} | {finished_text(done)} |", flush=True)


if __name__ == "__main__":
    main()
