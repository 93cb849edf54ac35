"""Validation held out by group, never by random pixel.

Neighbouring pixels are nearly copies of each other, so a random-pixel split
measures memory, not generalisation. Whole images are held out when there are
several; on a single image, whole painted regions (strokes close together form
one region) are held out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from napari_finetune.data.painted import PaintedPlane

# Strokes closer than this belong to one region (their patches would overlap).
REGION_MERGE_PX = 24
# Fewer groups than this and holding one out would starve training (one of two
# boxes is half the labels): then everything trains and nothing is validated.
MIN_GROUPS = 3


@dataclass(frozen=True)
class Split:
    """Per-plane training and validation labels (0 where a pixel is not in the set)."""

    train: list[np.ndarray]
    validation: list[np.ndarray]
    grouping: str

    @property
    def n_train(self) -> int:
        """Painted pixels for training."""
        return int(sum((t > 0).sum() for t in self.train))

    @property
    def n_validation(self) -> int:
        """Painted pixels held out."""
        return int(sum((v > 0).sum() for v in self.validation))


def split_validation(planes: list[PaintedPlane], fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out about ``fraction`` of the painted pixels, by whole group.

    Parameters
    ----------
    planes : list of PaintedPlane
        Training planes.
    fraction : float
        Target share of painted pixels held out (0 disables validation).
    seed : int
        Which groups are held out.

    Returns
    -------
    Split
        ``grouping`` says how: ``'images'`` (3 or more images), ``'regions'``
        (3 or more painted regions) or ``'none'`` (too few groups to spare one).
    """
    rng = np.random.default_rng(seed)
    empty = [np.zeros_like(p.labels) for p in planes]
    if fraction <= 0:
        return Split([p.labels for p in planes], empty, "none")
    sources = sorted({p.source for p in planes})
    if len(sources) >= MIN_GROUPS:
        n_held = max(1, round(fraction * len(sources)))
        held = set(rng.choice(sources, size=min(n_held, len(sources) - 1), replace=False))
        train = [np.zeros_like(p.labels) if p.source in held else p.labels for p in planes]
        validation = [p.labels if p.source in held else np.zeros_like(p.labels) for p in planes]
        return Split(train, validation, "images")
    return _split_regions(planes, fraction, rng)


def _split_regions(planes: list[PaintedPlane], fraction: float, rng: np.random.Generator) -> Split:
    regions = []  # (plane index, region mask, painted count)
    for index, plane in enumerate(planes):
        painted = plane.labels > 0
        merged, count = ndi.label(ndi.binary_dilation(painted, iterations=REGION_MERGE_PX // 2))
        for k in range(1, count + 1):
            region = (merged == k) & painted
            regions.append((index, region, int(region.sum())))
    total = sum(r[2] for r in regions)
    train = [p.labels.copy() for p in planes]
    validation = [np.zeros_like(p.labels) for p in planes]
    if len(regions) < MIN_GROUPS:
        return Split(train, validation, "none")
    limit = max(1.5 * fraction * total, 1)
    chosen, held = [], 0
    for order in rng.permutation(len(regions)):
        count = regions[order][2]
        if held + count <= limit:
            chosen.append(order)
            held += count
        if held >= fraction * total:
            break
    if not chosen:
        # Every region is large: hold out the smallest if training keeps the most.
        smallest = min(range(len(regions)), key=lambda k: regions[k][2])
        if regions[smallest][2] > total / 2:
            return Split(train, validation, "none")
        chosen = [smallest]
    for order in chosen:
        index, region, _ = regions[order]
        validation[index][region] = planes[index].labels[region]
        train[index][region] = 0
    if not any(t.any() for t in train):
        return Split([p.labels for p in planes], [np.zeros_like(p.labels) for p in planes], "none")
    return Split(train, validation, "regions")
