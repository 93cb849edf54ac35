"""Full float32 arithmetic for prediction on a CUDA GPU (no TF32).

PyTorch lets cuDNN run float32 convolutions in TF32 on Ampere and newer GPUs
by default (a 10-bit mantissa): on an H200 that moved the shipped model's
class probabilities up to 1.9e-3 away from the CPU's (``bench_device.py``),
twenty times the 1e-4 a prediction map is held to wherever it is computed.
Prediction and uncertainty therefore run inside :func:`full_float32`, which
turns TF32 off for convolutions and matrix products while at least one of
them runs and puts back whatever the user's process had set afterwards.
Training is untouched: it runs in bfloat16 autocast on CUDA anyway.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

_lock = threading.Lock()
_inside = 0  # prediction passes running now, in any thread
_saved: tuple | None = None  # the TF32 settings they found


def _precision_switches() -> list[object]:
    """The objects whose ``fp32_precision`` sets TF32 (PyTorch 2.9+), or [] on older torch."""
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    if not hasattr(matmul, "fp32_precision") or not hasattr(cudnn, "conv"):
        return []
    return [cudnn.conv, matmul]


def _read_tf32() -> tuple:
    # Never the legacy flags where the new API exists: once the user has set
    # fp32_precision, reading allow_tf32 raises ("mix of the legacy and new APIs").
    switches = _precision_switches()
    if switches:
        return tuple(switch.fp32_precision for switch in switches)
    return (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)


def _write_tf32(values: tuple) -> None:
    switches = _precision_switches()
    if switches:
        for switch, value in zip(switches, values, strict=True):
            switch.fp32_precision = value
    else:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = values


def _full_precision() -> tuple:
    switches = _precision_switches()
    return ("ieee",) * len(switches) if switches else (False, False)


@contextlib.contextmanager
def full_float32(device: torch.device) -> Iterator[None]:
    """Run the block with TF32 off on ``device`` if it is a CUDA GPU.

    The flags are process-wide, so nested and concurrent passes (a napari
    worker thread beside a script) count themselves in: the first one in turns
    TF32 off, the last one out restores the flags as they were.

    Parameters
    ----------
    device : torch.device
        Where the block's network runs; nothing changes unless it is CUDA.
    """
    global _inside, _saved
    if device.type != "cuda":
        yield
        return
    with _lock:
        if _inside == 0:
            _saved = _read_tf32()
            _write_tf32(_full_precision())
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _saved is not None:
                _write_tf32(_saved)
                _saved = None
