"""Learning-rate schedules: a multiplier of the base rates over the run's progress."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

SCHEDULES = {
    "onecycle": "warm up over the first 30 % from 1/25 of the rates, then anneal to ~0",
    "cosine": "start at the full rates and anneal to 0 along a half cosine",
}
# Share of the run spent warming up in the one-cycle schedule.
WARMUP = 0.3


def check_schedule(kind: str) -> None:
    """ValueError naming the schedules when ``kind`` is not one of them."""
    if kind not in SCHEDULES:
        raise ValueError(f"schedule={kind!r} is unknown: choose one of {', '.join(SCHEDULES)}.")


def learning_rate_factor(progress: float, kind: str = "onecycle") -> float:
    """Multiplier of the base learning rates at ``progress`` (0..1) of the run.

    Parameters
    ----------
    progress : float
        Share of the run done: steps done / steps, or seconds spent / budget.
        Clipped to [0, 1].
    kind : {'onecycle', 'cosine'}
        The schedule (see :data:`SCHEDULES`).

    Returns
    -------
    float
        The factor, in (0, 1].
    """
    check_schedule(kind)
    progress = min(max(progress, 0.0), 1.0)
    if kind == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if progress < WARMUP:
        return 0.04 + 0.96 * 0.5 * (1 - math.cos(math.pi * progress / WARMUP))
    return 0.5 * (1 + math.cos(math.pi * (progress - WARMUP) / (1 - WARMUP))) + 1e-4


def set_learning_rates(
    optimizer: torch.optim.Optimizer, base_lrs: dict[str, float], progress: float, kind: str
) -> None:
    """Set every parameter group's rate: its base rate × the schedule's factor at ``progress``.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Its parameter groups are named (``group['name']``).
    base_lrs : dict
        Group name -> base learning rate.
    progress : float
        Share of the run done (:class:`~napari_finetune.training.run_clock.RunClock`).
    kind : {'onecycle', 'cosine'}
        The schedule.
    """
    factor = learning_rate_factor(progress, kind)
    for group in optimizer.param_groups:
        group["lr"] = base_lrs[group["name"]] * factor
