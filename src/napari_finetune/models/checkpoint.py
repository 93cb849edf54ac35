"""Checkpoints: weights in safetensors, metadata as validated JSON, a content hash.

A checkpoint is one safetensors file (no pickle: nothing in it can execute on
load). Its header carries a format tag, a version, the model's metadata as JSON
and a SHA-256 over the tensors. Loading checks, in this order and before any
network is built: the format, the metadata against a typed schema
(:mod:`~napari_finetune.models.checkpoint_schema`), the tensor names, shapes and
dtypes against the architecture, then the values (finite) and the hash
(:mod:`~napari_finetune.models.checkpoint_tensors`). Every failure is a
:class:`CheckpointError` with one plain sentence. Files of version 1 (a dict
saved with ``torch.save``, read with ``weights_only=True``) still load through
the same checks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from napari_finetune._version import __version__
from napari_finetune.data.normalize import Normalization
from napari_finetune.data.safe_write import atomic_write, check_writable_file
from napari_finetune.models.checkpoint_schema import CheckpointMetadata, parse_metadata
from napari_finetune.models.checkpoint_tensors import (
    check_layout,
    check_values,
    tensor_digest,
)
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.unet import UNet, UNetConfig

FORMAT = "napari-finetune checkpoint"
VERSION = 2
# safetensors' dtype codes -> numpy/torch names used by the layout check.
DTYPE_NAMES = {
    "F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64",
    "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64", "U8": "uint8",
    "BOOL": "bool",
}  # fmt: skip


class CheckpointError(ValueError):
    """A file that is missing, corrupt or not a napari-finetune checkpoint."""


def save_model(model: SegmentationModel, path: str | Path) -> Path:
    """Write ``model`` with its metadata to ``path``.

    The file is written under a temporary name and renamed when complete, so
    an interrupted save never leaves half a model (nor destroys the old one).

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

    Raises
    ------
    ValueError
        If ``path`` is a folder or cannot be written.
    """
    path = check_writable_file(path, "model file")
    metadata = {
        "architecture": {"name": "unet", **model.net.config.to_dict()},
        "classes": {str(k): v for k, v in model.classes.items()},
        "normalization": model.normalization.to_dict(),
        "history": model.history,
        "augmentation": model.augmentation,
        "name": model.name,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "napari_finetune_version": __version__,
        "provenance": model.provenance,
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.net.state_dict().items()}
    header = {
        "format": FORMAT,
        "version": str(VERSION),
        "metadata": json.dumps(metadata),
        "sha256": tensor_digest(state),
    }
    with atomic_write(path) as temporary:
        save_file(state, str(temporary), metadata=header)
    return path


def load_checkpoint(path: str | Path) -> SegmentationModel:
    """Read a checkpoint written by :func:`save_model` (or by an older version).

    Raises
    ------
    CheckpointError
        If the file is missing, a folder, corrupt, foreign, or its metadata and
        weights do not fit together; the message is one plain sentence.
    """
    path = Path(path)
    try:
        folder, file = path.is_dir(), path.is_file()
    except OSError as err:  # e.g. a name longer than the file system allows
        raise CheckpointError(
            f"{_shown(str(path))} cannot be opened: {err.strerror or err}."
        ) from None
    if folder:
        raise CheckpointError(f"{_shown(str(path))} is a folder, not a model file.")
    if not file:
        raise CheckpointError(f"checkpoint {_shown(str(path))} does not exist.")
    try:
        with path.open("rb") as handle:
            legacy = handle.read(2) == b"PK"  # torch.save writes a zip archive
        metadata, state = _read_legacy(path) if legacy else _read(path)
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(
            f"{_shown(path.name)} is not a valid napari-finetune model: {_shown(str(err), 400)}."
        ) from None
    except OSError as err:
        raise CheckpointError(
            f"{_shown(path.name)} cannot be read: {err.strerror or err}."
        ) from None
    return _build(metadata, state, path)


def _read(path: Path) -> tuple[CheckpointMetadata, dict[str, torch.Tensor]]:
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = handle.metadata() or {}
            layout = {
                name: (
                    tuple(handle.get_slice(name).get_shape()),
                    DTYPE_NAMES.get(handle.get_slice(name).get_dtype(), "unknown"),
                )
                for name in handle.keys()  # noqa: SIM118 (a safetensors handle, not a dict)
            }
    except (SafetensorError, OSError, ValueError):
        # The reader's own text ("Error while deserializing header: ...") says nothing to users.
        raise CheckpointError(
            f"{_shown(path.name)} is not a napari-finetune model, or it is corrupt (its header "
            "cannot be read)."
        ) from None
    _check_format(path, header.get("format"), header.get("version"))
    metadata = parse_metadata(_decode(header.get("metadata")))
    check_layout(layout, _config(metadata))
    state = load_file(str(path))
    check_values(state)
    if header.get("sha256") != tensor_digest(state):
        raise CheckpointError(
            f"{_shown(path.name)} is damaged: its weights do not match their checksum "
            "(the file was changed or corrupted after saving)."
        )
    return metadata, state


def _read_legacy(path: Path) -> tuple[CheckpointMetadata, dict[str, torch.Tensor]]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        # The weights-only unpickler raises many types on damaged or hostile
        # input; its text (advice about PyTorch 2.6 defaults) means nothing to users.
        raise CheckpointError(
            f"{_shown(path.name)} is not a napari-finetune model, or it is corrupt."
        ) from None
    if not isinstance(payload, dict):
        raise CheckpointError(f"{_shown(path.name)} is not a napari-finetune model.")
    _check_format(path, payload.get("format"), payload.get("version"))
    metadata = parse_metadata(_decode(payload.get("metadata")))
    state = payload.get("state")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError("its weights are not a set of named arrays")
    for name, tensor in state.items():
        if tensor.layout != torch.strided:
            raise ValueError(f"its weights {name} are sparse, not a plain array")
        if tensor.is_meta:
            raise ValueError(f"its weights {name} hold no values (saved without their data)")
    layout = {k: (tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in state.items()}
    check_layout(layout, _config(metadata))
    # detach: a state dict saved with its parameters (keep_vars=True) requires grad.
    state = {k: v.detach().contiguous() for k, v in state.items()}
    check_values(state)
    return metadata, state


def _check_format(path: Path, tag: object, version: object) -> None:
    if tag != FORMAT:
        raise CheckpointError(f"{_shown(path.name)} is not a napari-finetune model.")
    text = str(version)
    if text not in ("1", str(VERSION)):
        # ASCII digits only, and few: int() refuses '²' and numbers of 4300 digits.
        newer = text.isascii() and text.isdigit() and (len(text) > 6 or int(text) > VERSION)
        shown = text if len(text) <= 20 else f"{text[:20]}..."
        raise CheckpointError(
            f"{_shown(path.name)} was saved by a newer napari-finetune (format {shown}); "
            f"this version ({__version__}) reads formats 1 and {VERSION}: update the plugin."
            if newer
            else f"{_shown(path.name)} has an unknown checkpoint format version {shown!r}."
        )


def _shown(text: str, limit: int = 160) -> str:
    """``text`` for a one-line message: control characters escaped, the middle cut.

    Longer than ``limit``, a path keeps its start and its file name.
    """
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    half = (limit - 3) // 2
    return text if len(text) <= limit else f"{text[:half]}...{text[-half:]}"


def _decode(text: object) -> object:
    if not isinstance(text, str):
        raise ValueError("its metadata is missing")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("its metadata is not valid JSON") from None
    except ValueError:  # int() refuses numbers of more than 4300 digits
        raise ValueError("its metadata holds a number too long to read") from None
    except RecursionError:  # lists in lists a thousand deep: no model writes that
        raise ValueError("its metadata is nested too deeply") from None


def _config(metadata: CheckpointMetadata) -> UNetConfig:
    arch = metadata.architecture
    return UNetConfig(arch.in_channels, arch.n_classes, tuple(arch.widths), arch.dropout)


def _build(
    metadata: CheckpointMetadata, state: dict[str, torch.Tensor], path: Path
) -> SegmentationModel:
    # Built on the meta device: no memory, no initialisation, and no draw from
    # torch's global random stream (loading a model must not shift a seeded
    # run that follows it). assign=True then puts the loaded tensors in place.
    with torch.device("meta"):
        net = UNet(_config(metadata))
    # assign: take the loaded tensors as they are. Copying them in runs a
    # multi-threaded op in the calling thread, often napari's GUI thread; the
    # OpenMP team it creates outlives the call, and with more OpenMP threads
    # than cores libgomp stops spinning at barriers: training in a worker
    # thread then ran 18% slower (measured; bench_widget_responsiveness.py).
    net.load_state_dict(state, assign=True)
    net.eval()
    norm = metadata.normalization
    return SegmentationModel(
        net,
        {int(k): v for k, v in metadata.classes.items()},
        Normalization(norm.low, norm.high),
        history=[dict(record) for record in metadata.history],
        augmentation=metadata.augmentation,
        name=metadata.name or path.name,
        provenance=[dict(run) for run in metadata.provenance],
    )
