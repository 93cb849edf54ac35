"""What runs the network forward for inference: PyTorch or ONNX Runtime, both prepared.

Both paths run the network with BatchNorm folded into the convolutions
(:mod:`~napari_finetune.models.fused`), which computes the same function within
1e-5:

- ``'torch'`` (what ``'auto'`` takes): PyTorch with weights and activations
  channels-last, the layout oneDNN's convolutions are fastest in on a CPU (a
  model loaded from a file has its weights in the default layout, which made
  every convolution reorder them: 1.9 Mpx/s on a 2048² image, 3.7 with the
  folded channels-last copy; the training engine makes its network
  channels-last itself);
- ``'onnxruntime'``: ONNX Runtime's CPU execution provider, where installed. A
  session is built from the architecture's ONNX graph (traced once per
  architecture, :func:`~napari_finetune.models.onnx_export.graph_template`)
  with the current weights copied in (~20 ms).

Measured on this project's 2-core CPU (``benchmarks/bench_inference.py``,
runtimes interleaved): the two are within noise of each other on 2048² images,
and PyTorch is ahead on 512² and 8192², so ``'auto'`` takes PyTorch and needs no
extra package. Prepared networks and sessions are cached per network and
rebuilt only when the weights' content (parameters and BatchNorm statistics)
changes, so the live previews of a running fine-tune, whose weights change
between previews, take the fast path too. Training and its validation use the
network itself (``backend=None`` in
:func:`~napari_finetune.inference.predict.predict_plane`).

Device: the PyTorch path runs on the model's device unless told otherwise
(``device=``, see :mod:`~napari_finetune.models.device`); its prepared copy
lives there, and the forward function takes and returns CPU tensors, so the
tiling around it is the same everywhere. ONNX Runtime runs on the CPU only.
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
from napari_finetune.models.device import resolve_device
from napari_finetune.models.full_float32 import full_float32
from napari_finetune.models.fused import fused_for_inference
from napari_finetune.models.model import SegmentationModel

BACKENDS = tuple(BACKEND_CHOICES)
DEFAULT_BACKEND = "auto"

Forward = Callable[[torch.Tensor], torch.Tensor]

_lock = threading.Lock()
# (net, backend) -> (weights digest, threads, prepared network or session);
# entries go when the network does.
_prepared: weakref.WeakKeyDictionary[nn.Module, dict[str, tuple[str, int, object]]] = (
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
        return "torch"
    if backend == "onnxruntime" and not onnxruntime_available():
        raise ValueError(
            "backend='onnxruntime' was asked for, but onnxruntime is not installed "
            "(pip install onnxruntime), or use backend='torch'."
        )
    return backend


def model_device(model: SegmentationModel) -> torch.device:
    """The device the model's weights are on."""
    return next(model.net.parameters()).device


def run_device(
    model: SegmentationModel, device: str | torch.device | None, backend: str
) -> torch.device:
    """Where inference runs: ``device`` checked, or the model's device when None.

    Raises
    ------
    ValueError
        For a device this machine lacks, or ONNX Runtime asked to run off the CPU.
    """
    if device is None:
        # ONNX Runtime copies the weights to the CPU itself, wherever they are.
        chosen = torch.device("cpu") if backend == "onnxruntime" else model_device(model)
    else:
        chosen = resolve_device(device)
    if backend == "onnxruntime" and chosen.type != "cpu":
        raise ValueError(
            f"backend='onnxruntime' runs on the CPU only, not on {chosen}: use "
            "backend='torch' on a GPU."
        )
    return chosen


def logits_function(
    model: SegmentationModel,
    backend: str = DEFAULT_BACKEND,
    device: str | torch.device | None = None,
) -> Forward:
    """A function mapping a float32 ``(N, C, H, W)`` tensor to logits ``(N, K, H, W)``.

    Parameters
    ----------
    model : SegmentationModel
        The model (left unchanged: the fast paths run prepared copies).
    backend : {'auto', 'onnxruntime', 'torch'}
        ``'auto'`` is ``'torch'`` (see the module description).
    device : str or torch.device, optional
        Where the PyTorch path runs (default: where the model's weights are).

    Returns
    -------
    callable
        The forward pass in evaluation mode (dropout off, BatchNorm running
        statistics), CPU tensors in and out. Both use as many threads as torch
        is set to (``torch.get_num_threads()`` when the function is made).
    """
    backend = resolve_backend(backend)
    device = run_device(model, device, backend)
    if backend == "torch":
        net = _cached(model, f"torch@{device}", _prepared_network, device)
        if device.type == "cpu":
            return net

        def on_device(x: torch.Tensor) -> torch.Tensor:
            x = x.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
            with full_float32(device):  # the CPU's answer within 1e-4: no TF32
                return net(x).float().cpu()

        return on_device
    session = _cached(model, "onnxruntime", _new_session, device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        array = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(session.run(None, {"image": array})[0])

    return forward


def inference_network(
    model: SegmentationModel, device: str | torch.device | None = None
) -> nn.Module:
    """A fresh copy of the network prepared for inference (BN folded, channels-last).

    Not cached: for callers that switch modes on it (Monte-Carlo dropout turns
    its dropout layers on), so that no other caller sees that mode. It lives
    on ``device`` (default: where the model's weights are).
    """
    return _prepared_network(model, torch.get_num_threads(), run_device(model, device, "torch"))


def _cached(
    model: SegmentationModel, backend: str, build: Callable, device: torch.device
) -> object:
    """The prepared network or session for the model's current weights, threads and device."""
    net = model.net
    digest = _weights_digest(net)
    threads = torch.get_num_threads()
    with _lock:
        cached = _prepared.get(net, {}).get(backend)
        if cached is not None and cached[:2] == (digest, threads):
            return cached[2]
    built = build(model, threads, device)
    with _lock:
        _prepared.setdefault(net, {})[backend] = (digest, threads, built)
    return built


def _weights_digest(net: nn.Module) -> str:
    """Content hash of every parameter and buffer (2 MB: about a millisecond)."""
    digest = hashlib.blake2b(digest_size=16)
    for name, tensor in net.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _prepared_network(model: SegmentationModel, threads: int, device: torch.device) -> nn.Module:
    del threads  # torch reads its thread count at each call
    return fused_for_inference(model.net).to(device, memory_format=torch.channels_last)


def _new_session(model: SegmentationModel, threads: int, device: torch.device) -> object:
    del device  # the CPU (run_device refuses others for ONNX Runtime)
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    from napari_finetune.models.onnx_export import graph_template

    proto = onnx.load_from_string(graph_template(model.net.config, "logits"))
    state = {k: v.cpu() for k, v in fused_for_inference(model.net).state_dict().items()}
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
    # Idle pool threads must not spin: they took CPU from training that ran next
    # (a torch run right after a spinning session was 7x slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # warnings about unused initializers are not the user's
    return ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
