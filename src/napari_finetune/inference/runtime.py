"""Which engine runs the network forward for inference: ONNX Runtime or PyTorch.

Measured on this project's 2-core CPU (``benchmarks/bench_inference.py``), ONNX
Runtime's CPU execution provider runs the shipped U-Net 2-6x faster than
PyTorch eager, within 1e-5 of it, so inference uses it whenever it is
installed. Training keeps PyTorch: it needs gradients, and its weights change
at every step.

A session is built from the architecture's ONNX graph (traced once per
architecture, :func:`~napari_finetune.models.onnx_export.graph_template`) with
the current weights copied in, folded with BatchNorm; it is cached per network
and rebuilt only when the weights' content changes, which costs ~20 ms. So the
live previews of a running fine-tune, whose weights change between previews,
still take the fast path.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from napari_finetune.choices import BACKENDS as BACKEND_CHOICES
from napari_finetune.models.model import SegmentationModel

BACKENDS = tuple(BACKEND_CHOICES)
DEFAULT_BACKEND = "auto"

Forward = Callable[[torch.Tensor], torch.Tensor]

_lock = threading.Lock()
# net -> (weights digest, threads, session); entries go when the network does.
_sessions: weakref.WeakKeyDictionary[nn.Module, tuple[str, int, object]] = (
    weakref.WeakKeyDictionary()
)


def onnxruntime_available() -> bool:
    """Whether ONNX Runtime can be imported here."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str = DEFAULT_BACKEND) -> str:
    """``'onnxruntime'`` or ``'torch'`` for a requested ``backend``.

    Raises
    ------
    ValueError
        For an unknown name, or ``'onnxruntime'`` when it is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is unknown: choose one of {', '.join(BACKENDS)}.")
    if backend == "auto":
        return "onnxruntime" if onnxruntime_available() else "torch"
    if backend == "onnxruntime" and not onnxruntime_available():
        raise ValueError(
            "backend='onnxruntime' was asked for, but onnxruntime is not installed "
            "(pip install onnxruntime), or use backend='torch'."
        )
    return backend


def logits_function(model: SegmentationModel, backend: str = DEFAULT_BACKEND) -> Forward:
    """A function mapping a float32 ``(N, C, H, W)`` tensor to logits ``(N, K, H, W)``.

    Parameters
    ----------
    model : SegmentationModel
        The model; its network is put in evaluation mode (dropout off,
        BatchNorm running statistics).
    backend : {'auto', 'onnxruntime', 'torch'}
        ``'auto'`` takes ONNX Runtime where installed, else PyTorch eager.

    Returns
    -------
    callable
        The forward pass; ONNX Runtime uses as many threads as torch is set to
        (``torch.get_num_threads()`` when the function is made).
    """
    net = model.net
    net.eval()
    if resolve_backend(backend) == "torch":
        return net
    session = _session(model)

    def forward(x: torch.Tensor) -> torch.Tensor:
        array = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(session.run(None, {"image": array})[0])

    return forward


def _session(model: SegmentationModel) -> object:
    """The cached ONNX Runtime session for the model's current weights."""
    net = model.net
    digest = _weights_digest(net)
    threads = torch.get_num_threads()
    with _lock:
        cached = _sessions.get(net)
        if cached is not None and cached[:2] == (digest, threads):
            return cached[2]
    session = _new_session(model, threads)
    with _lock:
        _sessions[net] = (digest, threads, session)
    return session


def _weights_digest(net: nn.Module) -> str:
    """Content hash of every parameter and buffer (2 MB: about a millisecond)."""
    digest = hashlib.blake2b(digest_size=16)
    for name, tensor in net.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _new_session(model: SegmentationModel, threads: int) -> object:
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    from napari_finetune.models.fused import fused_for_inference
    from napari_finetune.models.onnx_export import graph_template

    proto = onnx.load_from_string(graph_template(model.net.config, "logits"))
    state = fused_for_inference(model.net).state_dict()
    copied = set()
    for initializer in proto.graph.initializer:
        if initializer.name in state:
            weights = state[initializer.name].numpy()
            initializer.CopyFrom(numpy_helper.from_array(weights, initializer.name))
            copied.add(initializer.name)
    if copied != set(state):
        # A graph running on some template (random) weights must never happen silently.
        missing = ", ".join(sorted(set(state) - copied)[:3])
        raise RuntimeError(f"the ONNX graph has no place for the weights {missing}.")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initializers are not the user's
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
