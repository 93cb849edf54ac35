"""*Predict* at any time: which model predicts, and what the status line then says.

Before anything was trained or loaded, *Predict* uses the start model chosen
for training (the shipped one by default), so that a user sees what it does
out of the box, as the command line's ``predict`` does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_finetune.choices import as_sentence
from napari_finetune.inference.predict import predict
from napari_finetune.inference.views import describe_views, model_views, views_for
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL, load_model
from napari_finetune.session.events import Prediction
from napari_finetune.session.options import CURRENT, SCRATCH
from napari_finetune.session.status import describe_model


def prediction_model(
    start: str | Path | SegmentationModel, current: SegmentationModel | None
) -> SegmentationModel | str | Path:
    """The model *Predict* uses: the current one, else the start model chosen.

    A network from scratch has learnt nothing, so the shipped default stands
    in for it (and for ``'current'`` while there is none).

    Parameters
    ----------
    start : str, Path or SegmentationModel
        The start model chosen for training (as in :class:`RoundOptions`).
    current : SegmentationModel or None
        The session's current model.

    Returns
    -------
    SegmentationModel, str or Path
        A model object, or a shipped model's name or a checkpoint path to load
        (:func:`napari_finetune.load_model`).
    """
    if current is not None:
        return current
    if isinstance(start, SegmentationModel):
        return start
    return DEFAULT_MODEL if str(start) in (SCRATCH, CURRENT) else start


def predicted(
    target: str, model: SegmentationModel, current: bool, average_views: bool = False
) -> str:
    """Which model predicted on ``target``, e.g. the shipped one before any training.

    Parameters
    ----------
    target : str
        Name of the image predicted on.
    model : SegmentationModel
        The model that predicted.
    current : bool
        Whether it is the session's current model (else the start model chosen).
    average_views : bool
        Whether the views were averaged: the line then says over how many.
    """
    what = describe_model(model).removeprefix("model: ")
    if current:
        said = f"Predicted '{target}' with the current model ({what})."
    else:
        said = f"Predicted '{target}' with {what}: not fine-tuned on your painting yet."
    if average_views:
        views = describe_views(model_views(model))
        said += f" {as_sentence(views)}"
    return said


def load_and_predict(
    model: SegmentationModel | str | Path,
    image: object,
    name: str,
    device: str | None = None,
    average_views: bool = False,
) -> tuple[SegmentationModel, Prediction]:
    """The prediction of ``image``, labels included; a model name or file is loaded first.

    *Predict* runs this in a worker thread, so that loading a model from its
    file, reading a lazy image and predicting all stay off the viewer's thread.

    Parameters
    ----------
    model : SegmentationModel, str or Path
        A model, or a shipped name or checkpoint to load.
    image : array-like
        An array or a lazy one (a small Dask or Zarr stack), read here.
    name : str
        The image layer's name (the prediction's target).
    device : str, optional
        Where the network runs (default: where the model's weights are).
    average_views : bool
        Average over the flipped and rotated views the model trained with
        (:mod:`~napari_finetune.inference.views`).

    Returns
    -------
    tuple
        The model (loaded, if a name or file was given) and its final
        :class:`~napari_finetune.session.events.Prediction`: float32 ``(K, rows, cols)``
        class probabilities (``(K, planes, rows, cols)`` for a small stack), their
        labels (so the ``argmax`` too runs here, not in the viewer's thread) and how
        many views they average.
    """
    if not isinstance(model, SegmentationModel):
        model = load_model(model)
    probabilities = predict(model, np.asarray(image), device=device, average_views=average_views)
    views = len(views_for(model, average_views))
    return model, Prediction(name, probabilities, True, views=views, classes=dict(model.classes))
