"""A training run's patch geometry: the defaults, and checks in the user's terms.

Without the checks a zero batch size, an 8-px patch or a validation share of 1.5
reached torch or OpenCV and came back as their error text.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

MAX_BATCH = 256
MAX_PATCH = 1024
# Fine-tuning's default: 16 patches of 64² a step. Patches centre on painted
# pixels, and a 128² patch around a painted 48² box is mostly pixels the loss
# ignores; 16 × 64² computes half the pixels of the former 8 × 128² a step, so
# 60 s on the 2-core CPU ran ~1.4x the steps: higher scores on task B, the
# superalloy and NIST steel's worst seed, isbi2012 and stroke paintings level
# (README: Smaller training patches).
PATCH_SIZE, BATCH_SIZE = 64, 16


def default_patch_size(min_patch: int) -> int:
    """The patch side a run trains on when none is given.

    Parameters
    ----------
    min_patch : int
        The smallest side the network trains on (twice its pooling cell).

    Returns
    -------
    int
        :data:`PATCH_SIZE`, or ``min_patch`` for a network deep enough to need
        more (a checkpoint of seven stages pools by 64: it needs 128).
    """
    return max(PATCH_SIZE, min_patch)


def _integer(name: str, value: object, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name}={value!r} must be a whole number.")
    if value < low or (high is not None and value > high):
        span = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name}={value} must be {span}.")


def check_training_arguments(
    *,
    max_seconds: float | None,
    steps: int | None,
    batch_size: int,
    patch_size: int | None,
    validation_fraction: float,
    patience: int,
    min_patch: int,
    seed: int = 0,
) -> None:
    """Raise ValueError naming the argument if any is out of range.

    Parameters
    ----------
    max_seconds, steps : float or None, int or None
        The budget: a positive number of seconds, or a step count (which wins).
    batch_size, patch_size : int
        Patches per step and their side (None: not chosen yet, see
        :func:`default_patch_size`); the side must be a multiple of the
        pooling cell (``min_patch / 2``, 16 px for the shipped U-Net).
    validation_fraction : float
        Share of painted pixels held out, in [0, 0.9].
    patience : int
        Epochs without improvement before stopping early.
    min_patch : int
        Smallest patch the network trains on (two pooling cells at the
        bottleneck, so BatchNorm sees more than one value per channel).
    seed : int
        Seed of everything random: a whole number in [0, 2**32).
    """
    if steps is not None:
        _integer("steps", steps, 1)
    elif (
        max_seconds is None
        or not isinstance(max_seconds, Real)
        or not math.isfinite(max_seconds)
        or max_seconds <= 0
    ):
        raise ValueError(
            f"max_seconds={max_seconds!r}: give a positive, finite time budget or a "
            "number of steps."
        )
    _integer("seed", seed, 0, 2**32 - 1)
    _integer("batch_size", batch_size, 1, MAX_BATCH)
    if patch_size is not None:
        _integer("patch_size", patch_size, min_patch, MAX_PATCH)
        # The decoder resizes each coarser stage to its skip: on other sides the deep
        # features are stretched across the patch and boundaries move by up to a cell,
        # as they did in prediction's tiles (inference/tiling.py pads those instead).
        cell = min_patch // 2
        if patch_size % cell:
            up = -(-patch_size // cell) * cell
            raise ValueError(
                f"patch_size={patch_size} must be a multiple of {cell} (the network's "
                f"pooling cell; on other sides it learns boundaries misplaced): e.g. {up}."
            )
    _integer("patience", patience, 1)
    if (
        isinstance(validation_fraction, bool)
        or not isinstance(validation_fraction, Real)
        or not 0 <= validation_fraction <= 0.9
    ):
        raise ValueError(
            f"validation_fraction={validation_fraction!r} must be a share between 0 "
            "(hold nothing out) and 0.9."
        )
