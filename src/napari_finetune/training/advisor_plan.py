"""Which painted pixels a strategy comparison validates on, and which it trains on.

Every run of a comparison is scored on the same held-out painted regions
(whole images when there are three or more, else whole painted regions, as
:func:`~napari_finetune.data.split.split_validation` chooses them: never random
pixels). The painted regions left for training are put in one seeded order,
and a run with a share of the labels trains on the first regions of that order,
so the subsets are nested (25 % ⊂ 50 % ⊂ 100 %), as when a user paints more.
The order puts regions that bring a class no earlier region has first, so even
the smallest subset holds every class training can have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from napari_finetune.data.painted import as_pairs, collect_painted
from napari_finetune.data.split import (
    MIN_GROUPS,
    PLANE_MERGE,
    REGION_MERGE_PX,
    region_groups,
    split_validation,
)

# Share of the painted pixels held out to score every run.
HELD_OUT_FRACTION = 0.3
DEFAULT_FRACTIONS = (0.25, 0.5, 1.0)


@dataclass(frozen=True)
class Subset:
    """The painted labels one run trains on: the first ``regions`` of the order."""

    fraction: float
    regions: int
    labels: list[np.ndarray]  # per image: training subset plus the held-out pixels
    painted_pixels: int  # painted pixels trained on


@dataclass(frozen=True)
class ComparisonPlan:
    """The held-out pixels and the nested training subsets of a comparison."""

    held_out: list[np.ndarray]  # per image, True where a painted pixel validates
    subsets: tuple[Subset, ...]
    grouping: str  # 'images' or 'regions': what was held out whole
    held_out_pixels: int
    training_regions: int


@dataclass(frozen=True)
class Region:
    """One painted region: its image, its bounding box there, and its pixels in that box.

    Kept as a box and a small mask, not a mask of the whole image: 200 strokes
    on an 8192² image would otherwise hold 13 GB of masks.
    """

    index: int  # which image
    box: tuple[slice, ...]  # within that image's labels (plane first for a stack)
    mask: np.ndarray  # bool, the box's shape: the region's painted pixels

    def copy_into(self, target: np.ndarray, source: np.ndarray) -> None:
        """Copy the region's pixels of ``source`` into ``target`` (both shaped like the labels)."""
        target[self.box][self.mask] = source[self.box][self.mask]

    def values(self, labels: np.ndarray) -> np.ndarray:
        """The region's values in ``labels``."""
        return labels[self.box][self.mask]


def painted_regions(labels: list[np.ndarray]) -> list[Region]:
    """Painted regions as validation groups them, plane by plane.

    Strokes closer than ``REGION_MERGE_PX`` are one region (their patches would
    overlap).
    """
    regions = []
    for index, lab in enumerate(labels):
        planes = [((), lab)] if lab.ndim == 2 else [((z,), lab[z]) for z in range(lab.shape[0])]
        for where, plane in planes:
            painted = plane > 0
            if not painted.any():
                continue
            merged, _ = ndi.label(ndi.binary_dilation(painted, iterations=REGION_MERGE_PX // 2))
            for k, box in enumerate(ndi.find_objects(merged), start=1):
                if box is None:
                    continue
                mask = (merged[box] == k) & painted[box]
                full = tuple(slice(z, z + 1) for z in where) + box
                regions.append(Region(index, full, mask.reshape(lab[full].shape)))
    return regions


def plan_comparison(
    images: object,
    labels: object,
    fractions: tuple[float, ...] = DEFAULT_FRACTIONS,
    seed: int = 0,
) -> ComparisonPlan:
    """Hold out whole painted groups; order the rest into nested training subsets.

    Parameters
    ----------
    images, labels : array or list of arrays
        As for :func:`~napari_finetune.finetune`.
    fractions : tuple of float
        Shares of the training regions, each in (0, 1]; shares that come to
        the same number of regions are run once.
    seed : int
        Which groups are held out, and the order of the rest.

    Returns
    -------
    ComparisonPlan

    Raises
    ------
    ValueError
        For bad images or labels (as fine-tuning says them), bad fractions,
        or too few painted groups to hold any out: then how many more regions
        to paint.
    """
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ValueError(f"fractions {fractions} must each be above 0 and at most 1.")
    painted = collect_painted(images, labels)
    pairs = as_pairs(images, labels)
    split = split_validation(painted.planes, HELD_OUT_FRACTION, seed)
    if split.grouping == "none":
        found = len(region_groups(painted.planes))  # a stack's neighbouring planes: one
        raise ValueError(
            f"only {found} painted region{'s' if found != 1 else ''}: paint at least "
            f"{MIN_GROUPS + 1 - found} more, each at least {REGION_MERGE_PX} px from the "
            f"others (in a stack: or more than {PLANE_MERGE} planes away), so that "
            "whole regions can be held out to score the strategies "
            f"(it needs {MIN_GROUPS + 1} or more)."
        )
    # np.zeros, not zeros_like (which writes every byte): a deep stack's unpainted
    # planes stay zero pages, never written (_with_held_out).
    held_out = [np.zeros(lab.shape, bool) for _, lab in pairs]
    train = [np.zeros(lab.shape, lab.dtype) for _, lab in pairs]
    held_planes: list[list[int]] = [[] for _ in pairs]  # of a stack: planes holding some out
    for plane, kept, held in zip(painted.planes, split.train, split.validation, strict=True):
        where = (plane.source,) if plane.plane is None else (plane.source, plane.plane)
        held_out[where[0]][where[1:]] = held > 0
        train[where[0]][where[1:]] = kept
        if plane.plane is not None and held.any():
            held_planes[plane.source].append(plane.plane)
    regions = _ordered_regions(train, np.random.default_rng(seed))
    sizes = sorted({max(1, math.ceil(f * len(regions) - 1e-9)) for f in fractions})
    subsets = []
    for count in sizes:
        chosen = [np.zeros(lab.shape, lab.dtype) for _, lab in pairs]
        for region in regions[:count]:
            region.copy_into(chosen[region.index], train[region.index])
        # Counted from the regions: a whole-stack (c > 0) would be a stack-sized temporary.
        pixels = int(sum(region.mask.sum() for region in regions[:count]))
        labels_k = [
            _with_held_out(c, lab, h, z)
            for (_, lab), h, c, z in zip(pairs, held_out, chosen, held_planes, strict=True)
        ]
        subsets.append(Subset(count / len(regions), count, labels_k, pixels))
    held_pixels = int(sum(v.sum() for v in (s > 0 for s in split.validation)))
    return ComparisonPlan(held_out, tuple(subsets), split.grouping, held_pixels, len(regions))


def _with_held_out(
    chosen: np.ndarray, painted: np.ndarray, held: np.ndarray, planes: list[int]
) -> np.ndarray:
    """A run's labels: ``chosen``, with the held-out pixels of ``painted`` put back.

    A stack is done in place, only on ``planes`` (those holding pixels out): a
    deep stack's other planes stay the untouched zero pages ``np.zeros`` handed
    out (``np.where`` would write the whole stack, 4 GB a subset for 1000 × 2048²).
    """
    if painted.ndim == 2:
        return np.where(held, painted, chosen)
    for z in planes:
        chosen[z] = np.where(held[z], painted[z], chosen[z])
    return chosen


def _ordered_regions(train: list[np.ndarray], rng: np.random.Generator) -> list[Region]:
    """Training regions in a seeded order, regions bringing a new class first."""
    regions = painted_regions(train)
    order = [regions[k] for k in rng.permutation(len(regions))]
    # Regions bringing a class not seen yet go first, so small subsets hold every class.
    seen: set[int] = set()
    first, rest = [], []
    for region in order:
        classes = {int(c) for c in np.unique(region.values(train[region.index]))}
        (first if classes - seen else rest).append(region)
        seen |= classes
    return first + rest
