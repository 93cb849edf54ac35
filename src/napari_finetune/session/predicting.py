"""*Predict* at any time: which model predicts, and what the status line then says.

Before anything was trained or loaded, *Predict* uses the start model chosen
for training (the shipped one by default), so that a user sees what it does
out of the box, as the command line's ``predict`` does.
"""

from __future__ import annotations

from pathlib import Path

from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL
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


def predicted(target: str, model: SegmentationModel, current: bool) -> str:
    """Which model predicted on ``target``, e.g. the shipped one before any training.

    Parameters
    ----------
    target : str
        Name of the image predicted on.
    model : SegmentationModel
        The model that predicted.
    current : bool
        Whether it is the session's current model (else the start model chosen).
    """
    what = describe_model(model).removeprefix("model: ")
    if current:
        return f"Predicted '{target}' with the current model ({what})."
    return f"Predicted '{target}' with {what}: not fine-tuned on your painting yet."
