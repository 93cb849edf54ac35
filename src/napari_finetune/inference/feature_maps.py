"""What the network sees: the activations of one encoder or decoder stage.

A stage's feature maps are computed on the image extended by mirroring (as
:mod:`~napari_finetune.inference.representativeness` does), so that the
convolutions' zero padding never shows as a bright or dark frame at the image
border. Big images are cut into tiles that start on the stage's pooling grid
and carry a margin at least as wide as the stage's receptive field; each tile
keeps only its core, so the tiled maps equal one pass over the whole mirrored
image (within float rounding). The network runs as inference does (a prepared
copy with BatchNorm folded, in evaluation mode): the model is never changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from napari_finetune.inference.network_stages import (
    Stage,
    resolve_stage,
    stage_context,
    stages,
)
from napari_finetune.inference.predict import as_batch, as_planes
from napari_finetune.inference.runtime import inference_network
from napari_finetune.models.model import SegmentationModel

# Core of a tile in pixels: ~60 MB per full-resolution activation of the shipped
# U-Net with the deepest margin, and a 2048² image in 4 tiles.
TILE = 1024
# Most feature-map values (channels x cells) computed at once: 512 MiB of float32,
# as much again for their display (channel_contrast), and about ten seconds on a
# 2-core CPU for a full-resolution stage. A full-resolution stage of an 8000² plane
# would be 4 GB and minutes with no Stop; a deeper stage or a crop fits.
MAX_MAP_VALUES = 2**27


@dataclass(frozen=True)
class FeatureProgress:
    """``done`` of ``total`` tiles computed."""

    done: int
    total: int


@dataclass(frozen=True)
class FeatureMaps:
    """The activations of one stage on one image plane.

    Attributes
    ----------
    stage : Stage
        The stage shown.
    maps : numpy.ndarray
        float32 ``(channels, ceil(rows / factor), ceil(cols / factor))``.
    """

    stage: Stage
    maps: np.ndarray

    @property
    def factor(self) -> int:
        """Image pixels per feature cell (the layer's scale)."""
        return self.stage.factor

    @property
    def offset(self) -> float:
        """Where cell 0's centre lies in image pixels: ``(factor - 1) / 2``.

        A cell summarises the ``factor`` x ``factor`` pixels it pooled, so its
        centre is half a cell minus half a pixel in from the image's first pixel.
        """
        return (self.factor - 1) / 2


def map_values(stage: Stage, rows: int, cols: int) -> int:
    """How many values ``stage``'s maps of a ``rows`` x ``cols`` plane hold."""
    return stage.channels * -(-rows // stage.factor) * -(-cols // stage.factor)


def check_maps_fit(model: SegmentationModel, stage: Stage, rows: int, cols: int) -> None:
    """Refuse maps of more than :data:`MAX_MAP_VALUES` values, naming a stage that fits.

    Raises
    ------
    ValueError
        Saying how large they would be, and to choose a deeper stage or crop.
    """
    values = map_values(stage, rows, cols)
    if values <= MAX_MAP_VALUES:
        return
    fits = [s.name for s in stages(model) if map_values(s, rows, cols) <= MAX_MAP_VALUES]
    deeper = f"a deeper stage ({fits[0]} fits)" if fits else "a deeper stage"
    raise ValueError(
        f"{stage.name} of a {rows} × {cols} px plane is {stage.channels} channels of "
        f"{values // stage.channels:,} cells ({4 * values / 2**30:.1f} GiB), more than "
        f"the {4 * MAX_MAP_VALUES / 2**30:.1f} GiB feature maps may take: choose {deeper}, "
        "or add a crop of the image as a new layer."
    )


def _stage_output(net: torch.nn.Module, x: torch.Tensor, stage: Stage) -> torch.Tensor:
    """The output of ``stage`` for a batch, running only the stages it needs."""
    depth = stage.depth if stage.part == "encoder" else len(net.encoder_stages) - 1
    skips = []
    for encoder in net.encoder_stages[: depth + 1]:
        x = encoder(x)
        skips.append(x)
    if stage.part == "encoder":
        return x
    x = skips.pop()
    for decoder in net.decoder_stages[: stage.depth + 1]:
        x = decoder(x, skips.pop())
    return x


def iter_feature_maps(
    model: SegmentationModel,
    image: np.ndarray,
    stage: int | str | Stage,
    *,
    tile: int = TILE,
    device: str | torch.device | None = None,
    plane: int | None = None,
) -> Iterator[FeatureProgress]:
    """:func:`feature_maps` as a generator: yields progress per tile, returns the maps."""
    chosen = resolve_stage(model, stage)
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise ValueError(f"tile={tile!r} must be a whole number of pixels, at least 1.")
    planes, stack = as_planes(model, image)
    if stack:
        if plane is None or not 0 <= plane < len(planes):
            raise ValueError(
                f"the image is a stack of {len(planes)} planes: give plane=0 to "
                f"{len(planes) - 1} (the one to show)."
            )
        planes = planes[plane : plane + 1]
    check_maps_fit(model, chosen, *planes[0].shape[:2])  # before any of it is computed
    normalised = model.normalization(planes[0])
    net = inference_network(model, device)
    where = next(net.parameters()).device
    grid, margin = stage_context(model, chosen)
    tile = max(grid, tile - tile % grid)
    rows, cols = normalised.shape[:2]
    # Extended to whole grid cells at the bottom and right, mirrored on every side.
    full_rows, full_cols = rows + (-rows % grid), cols + (-cols % grid)
    pad = ((margin, margin + full_rows - rows), (margin, margin + full_cols - cols), (0, 0))
    padded = np.pad(normalised, pad, mode="symmetric")
    f, m = chosen.factor, margin // chosen.factor
    out = np.empty((chosen.channels, full_rows // f, full_cols // f), np.float32)
    starts = [(y, x) for y in range(0, full_rows, tile) for x in range(0, full_cols, tile)]
    for done, (y, x) in enumerate(starts, 1):
        h, w = min(tile, full_rows - y), min(tile, full_cols - x)
        piece = padded[y : y + h + 2 * margin, x : x + w + 2 * margin]
        with torch.inference_mode():
            maps = _stage_output(net, as_batch(piece).to(where), chosen)[0]
            core = maps[:, m : m + h // f, m : m + w // f].float().cpu().numpy()
        out[:, y // f : (y + h) // f, x // f : (x + w) // f] = core
        yield FeatureProgress(done, len(starts))
    return FeatureMaps(chosen, out[:, : -(-rows // f), : -(-cols // f)])


def feature_maps(
    model: SegmentationModel,
    image: np.ndarray,
    stage: int | str | Stage,
    *,
    tile: int = TILE,
    device: str | torch.device | None = None,
    plane: int | None = None,
) -> FeatureMaps:
    """The activations of one encoder or decoder stage of the model on an image.

    Parameters
    ----------
    model : SegmentationModel
        The model (left unchanged: a prepared copy of its network runs).
    image : numpy.ndarray
        2D grey ``(rows, cols)`` or RGB ``(rows, cols, 3)``, as for
        :func:`napari_finetune.predict`; a stack needs ``plane``.
    stage : int, str or Stage
        An index into :func:`stages` or a name such as ``'encoder 2'``.
    tile : int
        Core of a tile in pixels (rounded down to the stage's pooling grid);
        the result does not depend on it.
    device : str or torch.device, optional
        Where the network runs (default: where the model's weights are).
    plane : int, optional
        For a stack: the plane to compute.

    Returns
    -------
    FeatureMaps
        float32 ``maps`` of shape ``(channels, ceil(rows / f), ceil(cols / f))``
        for the stage's factor ``f``; cell ``(i, j)`` is centred on image pixel
        ``(f * i + offset, f * j + offset)``.

    Raises
    ------
    ValueError
        For a stage out of range (naming the valid ones), an image the model
        cannot take, a stack without a valid ``plane``, or maps larger than
        :data:`MAX_MAP_VALUES` values (:func:`check_maps_fit`).
    """
    return run_steps(iter_feature_maps(model, image, stage, tile=tile, device=device, plane=plane))


def run_steps(steps: Iterator[object]) -> object:
    """Run a generator of progress events to its end; its return value (the blocking form)."""
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value


def channel_contrast(
    *maps: np.ndarray, low: float = 1.0, high: float = 99.5
) -> tuple[np.ndarray, ...]:
    """Each channel mapped to [0, 1] by its own ``low`` and ``high`` percentiles.

    napari has one contrast range per layer, and channels differ in scale by
    orders of magnitude, so each channel is stretched here once; the display
    then needs no update when the channel slider moves. Several ``maps`` of
    the same stage (before and after fine-tuning) share each channel's range,
    so that what changed between them stays visible.

    Returns
    -------
    tuple of numpy.ndarray
        float32 arrays of the inputs' shapes, in [0, 1]; a channel that is
        constant (a ReLU off everywhere) is all 0.
    """
    out = tuple(np.empty(m.shape, np.float32) for m in maps)
    for c in range(maps[0].shape[0]):
        values = np.concatenate([m[c].ravel() for m in maps])
        values = values[:: max(1, values.size // 1_000_000)]  # percentiles from a sample
        lo, hi = np.percentile(values, (low, high))
        span = hi - lo if hi - lo > 1e-12 else np.inf
        for source, target in zip(maps, out, strict=True):
            np.clip((source[c] - lo) / span, 0, 1, out=target[c])
    return out


def describe_feature_maps(
    result: FeatureMaps,
    image: str,
    model: str,
    seconds: float,
    plane: int | None = None,
    compared: bool = False,
) -> str:
    """What the dock says once a stage's maps are shown (``plane``: of a stack)."""
    where = f"'{image}'" + ("" if plane is None else f" plane {plane}")
    what = f"{result.stage.describe()} of {model} on {where} ({seconds:.1f} s)."
    if compared:
        return (
            f"{what} Left: the pretrained start, over the image: the fine-tuned model; "
            "each channel on one scale for both, so what fine-tuning changed shows. "
            "The slider picks the channel."
        )
    return (
        f"{what} The slider picks the channel; each channel is stretched to its own "
        "range (1st to 99.5th percentile)."
    )
