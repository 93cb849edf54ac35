"""The stages of a U-Net whose activations can be shown, and the context each one needs.

A stage is named as a user reads the architecture (``'encoder 0'`` at full
resolution down to the bottleneck, then ``'decoder 0'`` back up to full
resolution), with its resolution factor and channel count. Its *context* is
how far its receptive field reaches: what a tile must carry around its core
so that tiled feature maps equal one pass over the whole image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.unet import UNetConfig


@dataclass(frozen=True)
class Stage:
    """One stage of a U-Net whose output can be shown.

    Attributes
    ----------
    name : str
        ``'encoder 0'`` (full resolution) ... ``'decoder 0'`` (deepest) ...
    index : int
        Position in :func:`stages`: encoders first, shallow to deep, then decoders.
    part : str
        ``'encoder'`` or ``'decoder'``.
    depth : int
        Index within its part (the model's ``encoder_stages`` / ``decoder_stages``).
    factor : int
        Image pixels per feature cell along each axis (1, 2, 4...).
    channels : int
        Number of feature maps.
    """

    name: str
    index: int
    part: str
    depth: int
    factor: int
    channels: int

    def label(self) -> str:
        """Short, for a menu: ``'encoder 2 (1/4, 32 ch)'``."""
        size = "full" if self.factor == 1 else f"1/{self.factor}"
        return f"{self.name} ({size}, {self.channels} ch)"

    def describe(self) -> str:
        """``'encoder 2: 1/4 resolution, 32 channels'``."""
        size = "full resolution" if self.factor == 1 else f"1/{self.factor} resolution"
        return f"{self.name}: {size}, {self.channels} channels"


def stages(model: SegmentationModel | UNetConfig) -> list[Stage]:
    """Every stage of the U-Net: encoders shallow to deep, then decoders deep to shallow."""
    config = model if isinstance(model, UNetConfig) else model.net.config
    widths = config.widths
    n = len(widths)
    found = [Stage(f"encoder {i}", i, "encoder", i, 2**i, widths[i]) for i in range(n)]
    for k in range(n - 1):
        level = n - 2 - k  # decoder stage k fuses with the encoder at this depth
        found.append(Stage(f"decoder {k}", n + k, "decoder", k, 2**level, widths[level]))
    return found


def stage_names(model: SegmentationModel | UNetConfig) -> list[str]:
    """Names of :func:`stages`: ``['encoder 0', ..., 'decoder 0', ...]``."""
    return [s.name for s in stages(model)]


def resolve_stage(model: SegmentationModel, stage: int | str | Stage) -> Stage:
    """The :class:`Stage` meant by an index, a name or a stage.

    Raises
    ------
    ValueError
        For an index out of range or an unknown name, naming the valid ones.
    """
    known = stages(model)
    listed = ", ".join(f"{s.index} = {s.name}" for s in known)
    if isinstance(stage, Stage):
        stage = stage.name
    if isinstance(stage, str):
        for candidate in known:
            if candidate.name == " ".join(stage.lower().split()):
                return candidate
        raise ValueError(f"stage {stage!r} is not a stage of this model; its stages are {listed}.")
    if isinstance(stage, bool) or not isinstance(stage, int | np.integer):
        raise ValueError(
            f"stage={stage!r} must be a stage index or name; the stages are {listed}."
        )
    if not 0 <= stage < len(known):
        raise ValueError(
            f"stage {stage} is out of range: this model has stages 0 to {len(known) - 1} "
            f"({listed})."
        )
    return known[int(stage)]


def stage_context(model: SegmentationModel, stage: Stage) -> tuple[int, int]:
    """``(grid, margin)`` in pixels: the pooling grid tiles start on, and their margin.

    The margin covers the stage's receptive-field radius (each 3x3
    convolution adds one step of its level, each 2x2 pooling and each
    bilinear upsampling one step of the coarser level), plus one grid step,
    rounded up to the grid. Every output cell kept from a tile then depends
    on no zero-padded pixel, which is why tiles add up to one pass.
    """
    n = len(model.net.config.widths)
    radius, r, step = [], 0, 1
    for level in range(n):
        if level:
            r, step = r + step, 2 * step  # 2x2 max-pooling
        r += 2 * step  # two 3x3 convolutions
        radius.append(r)
    if stage.part == "encoder":
        r, grid = radius[stage.depth], stage.factor
    else:
        r, grid = radius[-1], 2 ** (n - 1)
        for k in range(stage.depth + 1):
            level = n - 2 - k
            r = max(r + 2 ** (level + 1), radius[level]) + 2 * 2**level
    return grid, grid * -(-(r + grid) // grid)
