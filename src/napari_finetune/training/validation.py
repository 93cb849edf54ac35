"""Scoring a model on the painted pixels held out from training."""

from __future__ import annotations

import numpy as np

from napari_finetune.data.painted import PaintedPlane
from napari_finetune.data.split import Split
from napari_finetune.inference.predict import predict_plane
from napari_finetune.models.model import SegmentationModel
from napari_finetune.training.held_out_score import (
    HeldOutScore,
    region_counts,
    summarize,
    thin_classes,
)

# Context around held-out pixels when predicting them.
VALIDATION_MARGIN = 32


def validate(
    model: SegmentationModel,
    planes: list[PaintedPlane],
    split: Split,
    classes: set[int] | frozenset[int] | None = None,
) -> tuple[float | None, HeldOutScore]:
    """Cross-entropy loss and the tolerance-band F1 on the held-out painted pixels.

    See :mod:`~napari_finetune.training.held_out_score` for why held-out
    strokes are scored in a band beside them, not only pixel by pixel.

    Parameters
    ----------
    model : SegmentationModel
        The model being trained.
    planes : list of PaintedPlane
        Normalised training planes.
    split : Split
        Which painted pixels of each plane are held out.
    classes : set of int, optional
        The painted classes (known to the caller once; otherwise found here,
        a full sort of every plane at each epoch).

    Returns
    -------
    tuple
        ``(loss, held_out)``: the loss (None when nothing is held out) and the
        score with its range, size and caution.
    """
    if split.n_validation == 0:
        return None, HeldOutScore(None)
    thin = thin_classes(model.classes)
    if classes is None:
        classes = {int(k) for p in planes for k in np.unique(p.labels) if k}
    classes = set(classes)
    losses, regions = [], []
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
        predicted = np.argmax(probs, axis=0) + 1
        painted = plane.labels[y0:y1, x0:x1]
        regions += region_counts(predicted, target, painted, thin, classes=classes)
    return float(np.concatenate(losses).mean()), summarize(regions, classes, thin)
