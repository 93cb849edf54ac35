"""Where a model runs: one device choice for training, prediction and uncertainty.

``'auto'`` takes a CUDA GPU when PyTorch sees one, else Apple's MPS, else the
CPU; ``'cpu'``, ``'cuda'`` (``'cuda:1'`` for a second GPU) and ``'mps'`` ask for
one explicitly and are refused in words when this machine or this build of
PyTorch lacks it, before any work starts. Checkpoints hold CPU tensors and load
on the CPU; whoever runs a model moves it (or a copy) to the chosen device.

Mixed precision: training on CUDA runs the forward pass in bfloat16 autocast
where the GPU supports it (no loss scaling needed, and the loss is taken in
float32); prediction and uncertainty stay float32 everywhere, so that a map
computed on a GPU matches the CPU's within the 1e-4 the exports are held to
(:mod:`~napari_finetune.models.full_float32` keeps cuDNN off TF32 for it;
measured on an H200: 1.3e-6). Monte-Carlo dropout maps are the exception: the
same seed draws other dropout masks on a GPU than on the CPU, so those maps
agree in their statistics, not pixel for pixel.
"""

from __future__ import annotations

import torch

from napari_finetune.choices import DEVICE_CHOICES, DEVICES

DEFAULT_DEVICE = "auto"

__all__ = [
    "DEFAULT_DEVICE",
    "DEVICES",
    "DEVICE_CHOICES",
    "available_devices",
    "describe_device",
    "device_choices_here",
    "device_menu",
    "resolve_device",
    "training_autocast_dtype",
]


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """The devices PyTorch can use here, the one ``'auto'`` takes first.

    Returns
    -------
    list of str
        For example ``['cuda:0', 'cuda:1', 'cpu']``, ``['mps', 'cpu']`` or ``['cpu']``.
    """
    found = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available():
        found.append("mps")
    return [*found, "cpu"]


def device_choices_here() -> list[str]:
    """The choices worth offering in a menu here: ``'auto'``, then each kind present."""
    kinds = []
    for name in available_devices():
        kind = name.split(":")[0]
        if kind not in kinds:
            kinds.append(kind)
    # The CPU last, as in available_devices, but after 'auto' it reads best first.
    return ["auto", *kinds]


def device_menu() -> list[tuple[str, str]]:
    """``(label, choice)`` pairs for a menu: ``'auto'`` says what it takes here.

    Returns
    -------
    list of tuple
        For example ``[('auto: CPU', 'auto'), ('CPU', 'cpu')]`` on a machine
        without a GPU, ``[('auto: GPU cuda:0', 'auto'), ('GPU cuda', 'cuda'),
        ('CPU', 'cpu')]`` with one. Without the GPU's name: asking for it starts
        CUDA (seconds, and GPU memory) in the thread that asks, the GUI's here.
    """
    names = {"cpu": "CPU", "cuda": "GPU cuda", "mps": "Apple MPS"}
    auto = f"auto: {describe_device(resolve_device('auto'), name=False)}"
    return [(auto, "auto"), *[(names[k], k) for k in device_choices_here()[1:]]]


def resolve_device(device: str | torch.device | None = DEFAULT_DEVICE) -> torch.device:
    """The :class:`torch.device` for a choice, checked against this machine.

    Parameters
    ----------
    device : str, torch.device or None
        ``'auto'`` (or None), ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``'mps'``.

    Returns
    -------
    torch.device
        ``cuda`` choices come back with their index (``cuda:0``).

    Raises
    ------
    ValueError
        For an unknown name, or a device this machine or this PyTorch lacks,
        said in words with what is available instead.
    """
    if device is None or device == "auto":
        return torch.device(available_devices()[0])
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        chosen = None
    if chosen is None or chosen.type not in DEVICES:
        raise ValueError(
            f"device {device!r} is unknown: choose one of {', '.join(DEVICE_CHOICES)} "
            "(or cuda:N for the N-th GPU)."
        )
    here = ", ".join(available_devices())
    if chosen.type == "cuda":
        count = torch.cuda.device_count()
        if count == 0:
            why = (
                "this PyTorch was built without CUDA"
                if torch.version.cuda is None
                else "no CUDA GPU is visible (driver, CUDA_VISIBLE_DEVICES?)"
            )
            raise ValueError(
                f"device {device!r} was asked for, but {why}; devices here: {here}. "
                "Use device 'auto' or 'cpu'."
            )
        index = 0 if chosen.index is None else chosen.index
        if index >= count:
            raise ValueError(
                f"device {device!r} was asked for, but this machine has {count} CUDA "
                f"GPU(s), cuda:0 to cuda:{count - 1}."
            )
        return torch.device("cuda", index)
    if chosen.type == "mps" and not _mps_available():
        raise ValueError(
            f"device 'mps' was asked for, but Apple's MPS is not available here "
            f"(it needs Apple silicon and a PyTorch built for it); devices here: {here}."
        )
    return chosen


def describe_device(device: str | torch.device, name: bool = True) -> str:
    """A name for a status line: ``'CPU'``, ``'GPU cuda:0 (NVIDIA H200)'``, ``'Apple MPS'``."""
    device = torch.device(device)
    if device.type == "cuda":
        index = 0 if device.index is None else device.index
        said = f"GPU cuda:{index}"
        return f"{said} ({torch.cuda.get_device_name(index)})" if name else said
    if device.type == "mps":
        return "Apple MPS"
    return "CPU"


def training_autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The autocast dtype training uses on ``device``: bfloat16 on CUDA GPUs that have it.

    None means plain float32: the CPU (bfloat16 autocast is slower than float32
    on CPUs without AVX-512 BF16, as on this project's machines), MPS, and CUDA
    GPUs older than Ampere (float16 would need loss scaling).
    """
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None
