"""Print the `voronoi-unet` section of MODEL_CARD.md from the checkpoint's own metadata.

MODEL_CARD.md holds both shipped models' cards (``world-unet``, the default, was
written by hand from its measurements), so this prints the section for pasting
rather than overwriting the file.

Usage::

    python scripts/write_model_card.py src/napari_finetune/models/weights/voronoi-unet.ckpt
"""

from __future__ import annotations

import sys
from pathlib import Path

from napari_finetune.models import load_checkpoint

# The section sits under MODEL_CARD.md's shared "# Model cards: ..." heading.
TEMPLATE = """Shipped inside napari-finetune (`napari_finetune/models/weights/voronoi-unet.ckpt`,
{size_mb:.1f} MB); load it with `napari_finetune.load_model("voronoi-unet")`. Nothing is
downloaded.

## What it is
A U-Net (encoder widths {widths}, decoder dropout {dropout}, {params:,} parameters,
1 grey input channel, 2 classes: 1 = grain interior, 2 = boundary) pretrained on
*task A*: abundant synthetic Voronoi grain micrographs with exact labels. It is a
starting point for fine-tuning on a few painted strokes, not a finished segmenter for
your images.

## Training data (task A)
Generated on the fly by `napari_finetune.training.pretrain.random_sample`: 256² images,
mean grain diameter 18–70 px, size spread 0–0.6, boundary width 1–4 px, 40 % columnar
grains (elongation 1.5–4, any direction), grain contrast 0.05–0.7, dark grooves or (20 %)
bright SE edges, Poisson dose 5–200 e⁻/px (10 % noise-free), blur σ 0.3–2 px, and 40 % in
the SEM target domain (scan jitter ≤ 1.5 px, vignetting ≤ 0.5, drift ≤ 0.25). Two 128²
patches per image, random 90° rotations and flips.

## Settings
`napari-finetune pretrain --minutes {minutes:.0f} --seed 0` on 2 CPU cores: batch 8,
AdamW (weight decay 1e-4), peak learning rate 2e-3 with 10 % warm-up and cosine decay over
the time budget, loss = cross-entropy + soft Dice. {steps:,} steps
({patches:,} patches); final training loss {final_loss:.3f}.

## Score on fresh synthetic images
Boundary F1 with 2 px tolerance on 8 fresh random 384² samples (seed 12345), predicted
label 2 vs the exact boundaries: **{f1_all:.3f}** overall ({domains}).

## Limits
Trained only on synthetic grains: on EM membranes, etched steel or any real micrograph it
needs fine-tuning (see the benchmarks in the README). Grey images only as trained; RGB
inputs use an adapted first convolution; other class counts get a new head.
"""


def main(path: Path) -> None:
    model = load_checkpoint(path)
    steps = [h for h in model.history if h.get("task") == "pretrain"]
    evaluation = next(h for h in model.history if h.get("task") == "pretrain evaluation")
    domains = ", ".join(
        f"{name} {value:.3f}" for name, value in evaluation.items() if name not in ("task", "all")
    )
    text = TEMPLATE.format(
        size_mb=path.stat().st_size / 1e6,
        widths=model.net.config.widths,
        dropout=model.net.config.dropout,
        params=sum(p.numel() for p in model.net.parameters()),
        minutes=steps[-1]["elapsed"] / 60,
        steps=steps[-1]["step"],
        patches=steps[-1]["step"] * 8,
        final_loss=steps[-1]["train_loss"],
        f1_all=evaluation["all"],
        domains=domains,
    )
    print(text)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
