"""Checks on a checkpoint's tensors: names, shapes, dtypes, values, and a content hash.

Shapes and dtypes are compared with what the architecture needs *before* the
tensors are read or any module is built (the expected shapes come from a
network built on PyTorch's ``meta`` device, which allocates nothing). Values are
checked with NumPy, single-threaded: loading happens in napari's GUI thread,
where a multi-threaded torch op would leave an OpenMP team behind that slows
training in worker threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import torch

from napari_finetune.models.unet import UNet, UNetConfig

FIRST_LAYER = "encoder_stages.0.0.weight"
HEAD = "head.weight"
# BatchNorm's step counter is the only integer tensor of the network.
COUNTER_SUFFIX = "num_batches_tracked"

TensorSpec = tuple[tuple[int, ...], str]  # shape, dtype name ('float32', 'int64')


def expected_tensors(config: UNetConfig) -> dict[str, TensorSpec]:
    """Names, shapes and dtypes of the tensors a :class:`UNet` with ``config`` holds."""
    with torch.device("meta"):
        net = UNet(config)
    return {
        name: (tuple(tensor.shape), str(tensor.dtype).removeprefix("torch."))
        for name, tensor in net.state_dict().items()
    }


def check_layout(found: Mapping[str, TensorSpec], config: UNetConfig) -> None:
    """ValueError with one plain sentence if ``found`` does not fit ``config``.

    Parameters
    ----------
    found : mapping
        Tensor name -> (shape, dtype name), as stored in the file.
    config : UNetConfig
        The architecture the metadata claims.
    """
    expected = expected_tensors(config)
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        what = f"lacks the weights {missing[0]}" if missing else f"has stray weights {extra[0]}"
        raise ValueError(f"it {what} (its weights are not those of its architecture)")
    for name, (shape, dtype) in expected.items():
        got_shape, got_dtype = found[name]
        if tuple(got_shape) != shape:
            raise ValueError(_shape_sentence(name, tuple(got_shape), shape))
        if got_dtype != dtype:
            raise ValueError(f"its weights {name} hold {got_dtype} numbers, not {dtype}")


def _shape_sentence(name: str, got: tuple[int, ...], want: tuple[int, ...]) -> str:
    if name == FIRST_LAYER and len(got) == 4 and len(want) == 4:
        return (
            f"its first layer expects {got[1]} channels, but its metadata says {want[1]}"
            if got[1] != want[1]
            else f"its first layer has {got[0]} filters, but its metadata says {want[0]}"
        )
    if name == HEAD and len(got) == 4 and len(want) == 4 and got[0] != want[0]:
        return f"its head predicts {got[0]} classes, but its metadata says {want[0]}"
    return f"its weights {name} have shape {got}, but its architecture needs {want}"


def check_values(state: Mapping[str, torch.Tensor]) -> None:
    """ValueError if a weight is NaN or infinite, or a BatchNorm variance is negative."""
    for name, tensor in state.items():
        values = tensor.numpy()
        if name.endswith(COUNTER_SUFFIX):
            continue
        if not np.isfinite(values).all():
            raise ValueError(f"its weights {name} contain NaN or infinite values")
        if name.endswith("running_var") and (values < 0).any():
            raise ValueError(f"its weights {name} hold negative variances")


def tensor_digest(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names, shapes, dtypes and bytes, in name order.

    Independent of the file layout, so the same weights always give the same
    digest (used to detect damaged files and to tell models apart in provenance).
    """
    digest = hashlib.sha256()
    for name in sorted(state):
        values = np.ascontiguousarray(state[name].detach().cpu().numpy())
        digest.update(f"{name}|{values.shape}|{values.dtype}|".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()
