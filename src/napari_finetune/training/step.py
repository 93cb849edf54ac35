"""One optimiser step on a batch of painted patches, on the training device.

Shared by fine-tuning (:mod:`~napari_finetune.training.engine`) and
pretraining (:mod:`~napari_finetune.training.pretrain`): the batch moves to
the device, the forward pass runs in the device's autocast dtype where there
is one (:func:`~napari_finetune.models.device.training_autocast_dtype`), the
loss is taken in float32 over painted pixels only.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from napari_finetune.training.losses import painted_loss


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Autocast to ``dtype`` on ``device``, or nothing at all when ``dtype`` is None.

    Nothing at all, not ``torch.autocast(enabled=False)``: PyTorch before 2.5
    refuses the ``'mps'`` device type even when autocast is disabled.
    """
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype)


def train_step(
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    device: torch.device,
    autocast_dtype: torch.dtype | None = None,
) -> float:
    """Forward, painted-pixel loss, backward and one optimiser step; returns the loss.

    Parameters
    ----------
    net : torch.nn.Module
        The network, on ``device``, in training mode.
    optimizer : torch.optim.Optimizer
        Its optimiser.
    x, y : torch.Tensor
        Patches ``(N, C, P, P)`` and targets ``(N, P, P)`` (-1 = unpainted), on the CPU.
    device : torch.device
        Where to train.
    autocast_dtype : torch.dtype, optional
        The forward pass's autocast dtype (None: float32).

    Returns
    -------
    float
        The batch's loss.
    """
    x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
    with autocast(device, autocast_dtype):
        logits = net(x)
    loss = painted_loss(logits.float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()
