"""Preview of a pipeline: N synchronized views, and the unsynchronized (wrong) demo."""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from napari_finetune.augment.pipeline import AugmentationPipeline, AugmentedSample
from napari_finetune.augment.training_intensity import TrainingIntensity

# The wrong mask of view i comes from seed + this offset: an independent sample.
UNSYNCHRONIZED_SEED_OFFSET = 1_000_003
# Captions above tiles: lines short enough to fit a tile at overview zoom.
CAPTION_WIDTH, CAPTION_LINES = 24, 4


@dataclass(frozen=True)
class PreviewView:
    """One preview tile: the correctly transformed pair, optionally the wrong mask.

    Attributes
    ----------
    sample : AugmentedSample
        Image and mask transformed together.
    wrong_mask : numpy.ndarray or None
        The mask transformed with an independent sample (teaching demo).
    iou : float or None
        Mean IoU of ``wrong_mask`` against the correct mask.
    """

    sample: AugmentedSample
    wrong_mask: np.ndarray | None = None
    iou: float | None = None

    @property
    def caption(self) -> str:
        """Sampled parameters, and the IoU when the demo is on."""
        if self.iou is None:
            return self.sample.description
        return f"{self.sample.description} | unsynced IoU {self.iou:.2f}"


def label_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Mean intersection-over-union of the non-zero labels present in ``a`` or ``b``.

    0 is *unpainted* and not a class; two masks with no labels agree (1.0).
    """
    labels = np.union1d(np.unique(a), np.unique(b))
    labels = labels[labels != 0]
    if labels.size == 0:
        return 1.0
    scores = []
    for k in labels:
        in_a, in_b = a == k, b == k
        scores.append(np.logical_and(in_a, in_b).sum() / np.logical_or(in_a, in_b).sum())
    return float(np.mean(scores))


def preview_views(
    image: np.ndarray,
    mask: np.ndarray,
    pipeline: AugmentationPipeline,
    n: int = 6,
    seed: int = 0,
    unsynchronized: bool = False,
) -> list[PreviewView]:
    """``n`` views of ``pipeline`` applied to ``(image, mask)``, view i with seed + i.

    The image is transformed as training transforms it, normalised
    (:class:`~napari_finetune.augment.training_intensity.TrainingIntensity`),
    and each view comes back in the image's own intensities and dtype.

    With ``unsynchronized``, each view also gets the mask transformed by an
    independent sample (what happens when image and mask are augmented
    separately) and the IoU between that mask and the correct one.
    """
    if n < 1:
        raise ValueError(f"number of views n={n} must be at least 1.")
    views = []
    augment = pipeline.compile()  # built once for the n views (what a fresh build gives)
    # Transformed as training transforms it (normalised), shown in the image's intensities.
    intensity = TrainingIntensity.of(image)
    for index in range(n):
        right = augment.apply(intensity.normalised, mask, seed=seed + index)
        right = replace(right, image=intensity.back(right.image))
        if not unsynchronized:
            views.append(PreviewView(right))
            continue
        wrong = augment.apply(
            intensity.normalised, mask, seed=seed + index + UNSYNCHRONIZED_SEED_OFFSET
        )
        views.append(PreviewView(right, wrong.mask, label_iou(wrong.mask, right.mask)))
    return views


def mosaic(
    tiles: Sequence[np.ndarray], columns: int | None = None, gap: int = 16
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Tiles laid out in a grid, separated by ``gap`` pixels of 0.

    Tiles may differ in shape: a 90° rotation of a 600 × 800 image is
    800 × 600. Every cell is as large as the largest tile and each tile sits
    at its cell's top-left corner.

    Returns
    -------
    numpy.ndarray
        The grid image, dtype of the tiles.
    list of tuple
        Top-left ``(row, col)`` of each tile, for captions.
    """
    columns = columns or math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    height = max(tile.shape[0] for tile in tiles)
    width = max(tile.shape[1] for tile in tiles)
    shape = (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap)
    grid = np.zeros(shape + tiles[0].shape[2:], dtype=tiles[0].dtype)
    corners = []
    for index, tile in enumerate(tiles):
        y = (index // columns) * (height + gap)
        x = (index % columns) * (width + gap)
        grid[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
        corners.append((y, x))
    return grid, corners


@dataclass(frozen=True)
class PreviewMosaic:
    """The original and its views laid out as one grid, ready to show as layers.

    Attributes
    ----------
    image, mask : numpy.ndarray
        Grids of the transformed images and of the correctly transformed masks.
    wrong_mask : numpy.ndarray or None
        Grid of the unsynchronized masks (teaching demo), or None.
    corners : list of tuple
        Top-left ``(row, col)`` of each tile.
    captions : list of str
        ``'original'`` then each view's sampled parameters, one line each.
    tile_captions : list of str
        The same wrapped into short lines, to fit above a tile.
    mean_iou : float or None
        Mean unsynchronized IoU over the views.
    seconds : float
        Time spent transforming and tiling.
    """

    image: np.ndarray
    mask: np.ndarray
    wrong_mask: np.ndarray | None
    corners: list[tuple[int, int]]
    captions: list[str]
    tile_captions: list[str]
    mean_iou: float | None
    seconds: float

    def summary(self) -> str:
        """What the preview shows, in words: views, their parameters, the wrong-mask IoU."""
        text = f"{len(self.captions) - 1} views in {self.seconds:.2f} s:\n"
        text += "\n".join(self.captions[1:])
        if self.mean_iou is not None:
            text += (
                f"\nUnsynchronized masks overlap the right ones at mean IoU "
                f"{self.mean_iou:.2f}: training on them teaches the wrong answer."
            )
        return text


def preview_mosaic(
    image: np.ndarray,
    mask: np.ndarray,
    pipeline: AugmentationPipeline,
    n: int = 6,
    seed: int = 0,
    unsynchronized: bool = False,
) -> PreviewMosaic:
    """Run :func:`preview_views` and tile the original plus ``n`` views in a grid."""
    start = time.perf_counter()
    views = preview_views(image, mask, pipeline, n, seed, unsynchronized)
    # The gap leaves room for a caption of up to CAPTION_LINES lines above each tile.
    gap = max(8, image.shape[0] // 3)
    grid, corners = mosaic([image, *(v.sample.image for v in views)], gap=gap)
    masks, _ = mosaic([mask, *(v.sample.mask for v in views)], gap=gap)
    wrong = None
    if unsynchronized:
        wrong, _ = mosaic([mask, *(v.wrong_mask for v in views)], gap=gap)
    ious = [v.iou for v in views if v.iou is not None]
    return PreviewMosaic(
        image=grid,
        mask=masks,
        wrong_mask=wrong,
        corners=corners,
        captions=["original", *(f"{k}: {v.caption}" for k, v in enumerate(views, start=1))],
        tile_captions=[
            "original",
            *(_wrap(f"{k}: {v.caption}") for k, v in enumerate(views, start=1)),
        ],
        mean_iou=float(np.mean(ious)) if ious else None,
        seconds=time.perf_counter() - start,
    )


def _wrap(caption: str) -> str:
    return "\n".join(
        textwrap.wrap(caption, CAPTION_WIDTH, max_lines=CAPTION_LINES, placeholder=" …")
    )
