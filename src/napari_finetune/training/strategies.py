"""Transfer-learning strategies and BatchNorm modes.

- ``scratch``: random initialisation, one learning rate (the baseline).
- ``head``: feature extraction; the encoder is frozen, decoder and head learn.
- ``finetune``: everything learns, with learning rates growing with depth
  (early encoder 1e-4 -> late encoder 1e-3 = decoder and head): generic early
  filters move least. A tenth of that (1e-5 -> 1e-4) underfit the painted pixels
  of real micrographs (README, "Learning from fewer strokes: what each lever
  measured").
- ``gradual``: ``finetune``'s rates, but the encoder starts frozen and its
  stages are unfrozen deepest first, on a schedule over the run.

BatchNorm: ``frozen`` keeps the stored statistics, ``adapt`` trains in
batch-statistics mode, ``adabn`` re-estimates the statistics on the user's
images before training and then keeps them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

# Defined where the command line can read them without torch; re-exported here.
from napari_finetune.choices import BN_MODES as BN_MODES
from napari_finetune.choices import STRATEGIES as STRATEGIES
from napari_finetune.models.unet import UNet

BASE_LR = 1e-3
ENCODER_LR = (1e-4, 1e-3)  # shallowest and deepest encoder stage
# Fractions of the run at which `gradual` unfreezes the next stage (deepest first).
UNFREEZE_AT = (0.2, 0.4, 0.6, 0.8)


def check_choice(value: str, options: dict[str, str], what: str) -> None:
    """ValueError listing the options when ``value`` is not one of them."""
    if value not in options:
        raise ValueError(f"{what}={value!r} is unknown: choose one of {', '.join(options)}.")


def optimizer_for(net: UNet, strategy: str) -> tuple[torch.optim.Optimizer, dict[str, float]]:
    """AdamW over the network's parameter groups at the strategy's rates, and those rates.

    Each group keeps its name (``group["name"]``): the schedule scales its base
    rate, and the events say which groups learn.
    """
    base_lrs = learning_rates(net, strategy)
    optimizer = torch.optim.AdamW(
        [
            {"params": params, "lr": base_lrs[name], "name": name}
            for name, params in net.parameter_groups()
        ],
        weight_decay=1e-4,
    )
    return optimizer, base_lrs


def learning_rates(net: UNet, strategy: str) -> dict[str, float]:
    """Learning rate of each parameter group (``net.parameter_groups()`` names)."""
    names = [name for name, _ in net.parameter_groups()]
    if strategy == "scratch":
        return dict.fromkeys(names, BASE_LR)
    encoder = [n for n in names if n.startswith("encoder")]
    rates = np.geomspace(*ENCODER_LR, num=len(encoder))
    lrs = {name: float(lr) for name, lr in zip(encoder, rates, strict=True)}
    return lrs | {n: BASE_LR for n in names if not n.startswith("encoder")}


def initially_frozen(net: UNet, strategy: str) -> set[str]:
    """Groups that start frozen: the whole encoder for ``head`` and ``gradual``."""
    if strategy in ("head", "gradual"):
        return {name for name, _ in net.parameter_groups() if name.startswith("encoder")}
    return set()


def unfrozen_by(net: UNet, strategy: str, progress: float) -> set[str]:
    """Encoder groups ``gradual`` has unfrozen once ``progress`` (0..1) of the run is done."""
    if strategy != "gradual":
        return set()
    encoder = [n for n, _ in net.parameter_groups() if n.startswith("encoder")]
    deep_first = list(reversed(encoder))
    # Spread the stages over the schedule's points, the last one freed at the last
    # point (more stages than points: the deepest come free together first).
    released = sum(progress >= at for at in UNFREEZE_AT)
    count = int(np.ceil(released * len(deep_first) / len(UNFREEZE_AT)))
    return set(deep_first[:count])


def set_trainable(net: UNet, frozen: set[str]) -> None:
    """requires_grad off for the groups in ``frozen``, on for the rest."""
    for name, params in net.parameter_groups():
        for p in params:
            p.requires_grad_(name not in frozen)


def batchnorm_train_mode(net: UNet, bn_mode: str, frozen: set[str]) -> None:
    """Put the net in train mode, with BatchNorm as the mode and freezing ask."""
    net.train()
    if bn_mode == "adapt":
        # Frozen stages still keep their statistics: nothing there may change.
        for name in frozen:
            _module_of(net, name).apply(_bn_eval)
        return
    net.apply(_bn_eval)


def _bn_eval(module: nn.Module) -> None:
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        module.eval()


def _module_of(net: UNet, group: str) -> nn.Module:
    if group.startswith("encoder."):
        return net.encoder_stages[int(group.split(".")[1])]
    return net.decoder_stages if group == "decoder" else net.head


@torch.no_grad()
def adapt_batchnorm(net: UNet, batches: list[torch.Tensor]) -> None:
    """AdaBN: replace BatchNorm running statistics by those of ``batches``.

    Every BatchNorm forgets its stored statistics and accumulates a plain
    average over the given batches (momentum None), with nothing else changed.
    """
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    was_training = net.training
    net.train()
    # Running statistics update in training mode with or without autograd: no
    # graph is needed, and building one cost several times the forward passes.
    with torch.no_grad():
        for batch in batches:
            net(batch)
    for bn, momentum in zip(bns, momenta, strict=True):
        bn.momentum = momentum
    net.train(was_training)
