"""Scoring a model on the painted pixels held out from training."""

from __future__ import annotations

import numpy as np

from napari_finetune.data.painted import PaintedPlane
from napari_finetune.data.split import Split
from napari_finetune.inference.metrics import ClassF1
from napari_finetune.inference.predict import predict_plane
from napari_finetune.models.model import SegmentationModel

# Context around held-out pixels when predicting them.
VALIDATION_MARGIN = 32


def validate(
    model: SegmentationModel, planes: list[PaintedPlane], split: Split
) -> tuple[float | None, float | None]:
    """Cross-entropy loss and mean per-class F1 on the held-out painted pixels.

    Parameters
    ----------
    model : SegmentationModel
        The model being trained.
    planes : list of PaintedPlane
        Normalised training planes.
    split : Split
        Which painted pixels of each plane are held out.

    Returns
    -------
    tuple
        ``(loss, f1)``, both None when nothing is held out.
    """
    if split.n_validation == 0:
        return None, None
    losses, f1 = [], ClassF1()
    for plane, held in zip(planes, split.validation, strict=True):
        if not held.any():
            continue
        ys, xs = np.nonzero(held)
        y0, x0 = max(ys.min() - VALIDATION_MARGIN, 0), max(xs.min() - VALIDATION_MARGIN, 0)
        y1 = min(ys.max() + VALIDATION_MARGIN + 1, held.shape[0])
        x1 = min(xs.max() + VALIDATION_MARGIN + 1, held.shape[1])
        probs = predict_plane(model, plane.image[y0:y1, x0:x1])
        target = held[y0:y1, x0:x1]
        painted = target > 0
        chosen = probs[target[painted] - 1, *np.nonzero(painted)]
        losses.append(-np.log(np.clip(chosen, 1e-7, 1)))
        f1.add(np.argmax(probs, axis=0)[painted] + 1, target[painted])
    return float(np.concatenate(losses).mean()), f1.mean()
