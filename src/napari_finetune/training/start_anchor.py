"""L2-SP: a pull of the pretrained weights back toward where the run started.

Fine-tuning a pretrained network on a few hundred painted pixels can forget
what pretraining taught: near the one-cycle schedule's peak the decoder moves
fast, validation falls while the training loss keeps falling (issue 20's
collapse). L2-SP (Li, Grandvalet & Davoine 2018) penalises the distance to the
starting weights instead of to zero. It is applied here *decoupled*, as AdamW
applies weight decay: after each optimiser step every pretrained weight moves
a share ``learning rate x strength`` of its way back to its start. Coupled into
the loss, Adam's per-weight normalisation would scale the pull by each
weight's gradient history, so one strength would mean different things in
different layers.
"""

from __future__ import annotations

import torch
from torch import nn

# At Adam's ~lr-sized steps, a weight pushed one way every step settles about
# 1 / strength from its start: 20 lets a weight move ~0.05, the size of a
# typical weight of the shipped network, but not more.
L2SP_STRENGTH = 20.0


class StartAnchor:
    """The starting weights of a network, and the pull back toward them.

    Parameters
    ----------
    net : torch.nn.Module
        The network at the start of the run (pretrained weights). Parameters
        created for this run (a new head) have no start to return to: pass
        their names in ``fresh``.
    strength : float
        The decoupled L2-SP coefficient (see :data:`L2SP_STRENGTH`).
    fresh : set of str, optional
        Names (``net.named_parameters()``) of parameters not pulled.
    """

    def __init__(self, net: nn.Module, strength: float = L2SP_STRENGTH, fresh=()) -> None:
        if strength < 0:
            raise ValueError(f"L2-SP strength must be 0 or more, got {strength}.")
        self.strength = strength
        self.start = {
            id(p): p.detach().clone() for name, p in net.named_parameters() if name not in fresh
        }

    @torch.no_grad()
    def pull(self, optimizer: torch.optim.Optimizer) -> None:
        """Move each trained pretrained weight back by ``lr x strength`` of its drift."""
        for group in optimizer.param_groups:
            share = min(1.0, group["lr"] * self.strength)
            for p in group["params"]:
                start = self.start.get(id(p))
                if start is not None and p.requires_grad and p.grad is not None:
                    p.lerp_(start, share)

    @torch.no_grad()
    def drift(self, net: nn.Module) -> float:
        """Root-mean-square distance of the anchored weights from their start."""
        total, count = 0.0, 0
        for p in net.parameters():
            start = self.start.get(id(p))
            if start is not None:
                total += float(((p - start) ** 2).sum())
                count += p.numel()
        return (total / max(count, 1)) ** 0.5
