"""The file names a model is saved and exported under.

A checkpoint must end in ``.ckpt``: *Load model…* and the model pickers list
only those (and exported ``.zip`` packages), so a file saved without the
suffix would be there but never offered. A fine-tuned model is not offered
its start's name: ``world-unet.onnx`` would pass it off as the shipped model.
"""

from __future__ import annotations

from pathlib import Path

from napari_finetune.models.model import SegmentationModel
from napari_finetune.training.history import rounds

CHECKPOINT_SUFFIX = ".ckpt"
FINETUNED_TAG = "-finetuned"


def with_checkpoint_suffix(path: str | Path) -> Path:
    """``path`` ending in ``.ckpt``: kept if it does, else ``.ckpt`` is added.

    ``grains_v2`` becomes ``grains_v2.ckpt``; ``grains.v2`` (not a checkpoint's
    suffix) becomes ``grains.v2.ckpt``; ``grains.CKPT`` is kept, and so is an
    existing folder (saving refuses it by name, rather than writing beside it).

    Parameters
    ----------
    path : str or Path
        The name the user gave.

    Returns
    -------
    Path
        The checkpoint's path.
    """
    given = Path(path)
    if given.suffix.lower() == CHECKPOINT_SUFFIX or given.is_dir():
        return given
    return Path(f"{path}{CHECKPOINT_SUFFIX}")


def suggested_stem(model: SegmentationModel) -> str:
    """A file name (no suffix) to offer for ``model``: its name, tagged once fine-tuned.

    Parameters
    ----------
    model : SegmentationModel
        The model to save or export.

    Returns
    -------
    str
        ``world-unet`` for the shipped model, ``world-unet-finetuned`` once its
        history has a training round (pretraining does not count); spaces
        become underscores; ``model`` when it has no name.
    """
    stem = (model.name or "model").replace(" ", "_")
    if rounds(model.history) and not stem.endswith(FINETUNED_TAG):
        stem += FINETUNED_TAG
    return stem
