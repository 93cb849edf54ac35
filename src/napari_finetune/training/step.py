"""One optimiser step on a batch of painted patches, on the training device.

Shared by fine-tuning (:mod:`~napari_finetune.training.engine`) and
pretraining (:mod:`~napari_finetune.training.pretrain`): the batch moves to
the device, the forward pass runs in the device's autocast dtype where there
is one (:func:`~napari_finetune.models.device.training_autocast_dtype`), the
loss is taken in float32 over painted pixels only.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import torch
from torch import nn

from napari_finetune.training.losses import painted_loss

if TYPE_CHECKING:
    from napari_finetune.training.objectives import RunObjectives


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
    objectives: RunObjectives | None = None,
    progress: float = 0.0,
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
    objectives : RunObjectives, optional
        Extra objectives (pseudo-labels, domain alignment, L2-SP): their
        patches join the same forward pass, their loss is added.
    progress : float
        Share of the run done (the extra objectives ramp with it).

    Returns
    -------
    float
        The painted pixels' plain loss (without the extra objectives' nor the
        class weights a slow teacher trains with: curves stay comparable).
    """
    if objectives is not None and not objectives.active:
        objectives = None
    extra, decoded = ([], 0) if objectives is None else objectives.inputs(len(x), device)
    x_all = torch.cat([x, *(e.to(x.device) for e in extra)]) if extra else x
    x_all, y = x_all.to(device, non_blocking=True), y.to(device, non_blocking=True)
    n = len(x)
    with autocast(device, autocast_dtype):
        skips = net.encode(x_all)
        # Source patches only align encoder features: the decoder never sees them.
        logits = net.decode([s[: n + decoded] for s in skips])
    weights = None if objectives is None else objectives.painted_weights(y)
    loss = painted_loss(logits[:n].float(), y, class_weights=weights)
    shown = loss
    if weights is not None:  # the curves show the plain loss, as validation's
        with torch.no_grad():
            shown = painted_loss(logits[:n].detach().float(), y)
    total = loss
    if objectives is not None:
        total = loss + objectives.loss(logits[n:].float(), skips[-1], n, progress)
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    if objectives is not None:
        objectives.after_step(net, optimizer)
    return shown.item()
