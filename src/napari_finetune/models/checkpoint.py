"""Checkpoints that carry their metadata and load without executing code.

A checkpoint is a plain dict saved with :func:`torch.save`: a format tag, a JSON
metadata string and the network's tensors. It is read back with
``torch.load(..., weights_only=True)``, which refuses anything but tensors and
plain containers, so a hostile file cannot run code on load.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import torch

from napari_finetune._version import __version__
from napari_finetune.data.normalize import Normalization
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.unet import UNet, UNetConfig

FORMAT = "napari-finetune checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that is missing, corrupt or not a napari-finetune checkpoint."""


def save_model(model: SegmentationModel, path: str | Path) -> Path:
    """Write ``model`` with its metadata to ``path``.

    Parameters
    ----------
    model : SegmentationModel
        The model to save.
    path : str or Path
        Destination file (conventionally ``*.ckpt``); parent folders are created.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "architecture": {"name": "unet", **model.net.config.to_dict()},
        "classes": {str(k): v for k, v in model.classes.items()},
        "normalization": model.normalization.to_dict(),
        "history": model.history,
        "augmentation": model.augmentation,
        "name": model.name,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "napari_finetune_version": __version__,
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.net.state_dict().items()}
    torch.save(
        {"format": FORMAT, "version": VERSION, "metadata": json.dumps(metadata), "state": state},
        path,
    )
    return path


def load_checkpoint(path: str | Path) -> SegmentationModel:
    """Read a checkpoint written by :func:`save_model`.

    Raises
    ------
    CheckpointError
        If the file is missing, corrupt, foreign or does not fit its architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        # The weights-only unpickler raises many types on damaged input
        # (UnpicklingError, KeyError, EOFError, zip errors...): all mean the same.
        raise CheckpointError(
            f"{path.name} is not a napari-finetune checkpoint, or it is corrupt: "
            f"{str(err).splitlines()[0]}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a napari-finetune checkpoint.")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path.name} is a version {payload.get('version')} checkpoint; this "
            f"napari-finetune reads version {VERSION}."
        )
    try:
        metadata = json.loads(payload["metadata"])
        config = UNetConfig.from_dict(metadata["architecture"])
        net = UNet(config)
        # assign: take the loaded tensors as they are. Copying them in runs a
        # multi-threaded op in the calling thread, often napari's GUI thread; the
        # OpenMP team it creates outlives the call, and with more OpenMP threads
        # than cores libgomp stops spinning at barriers: training in a worker
        # thread then ran 18% slower (measured; bench_widget_responsiveness.py).
        net.load_state_dict(payload["state"], assign=True)
        classes = {int(k): str(v) for k, v in metadata["classes"].items()}
        normalization = Normalization.from_dict(metadata["normalization"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{path.name} is damaged: its metadata or weights do not fit ({err})."
        ) from None
    net.eval()
    return SegmentationModel(
        net,
        classes,
        normalization,
        history=list(metadata.get("history", [])),
        augmentation=metadata.get("augmentation"),
        name=metadata.get("name") or path.name,
    )
