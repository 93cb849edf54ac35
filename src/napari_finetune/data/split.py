"""Validation held out by group, never by random pixel.

Neighbouring pixels are nearly copies of each other, so a random-pixel split
measures memory, not generalisation. Whole images are held out when there are
several; on a single image, whole painted regions (strokes close together form
one region, and in a stack so do regions on neighbouring planes that overlap)
are held out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from napari_finetune.data.class_counts import painted_counts
from napari_finetune.data.painted import PaintedPlane

# Strokes closer than this belong to one region (their patches would overlap).
REGION_MERGE_PX = 24
# Regions of one stack this many planes apart or fewer that overlap (within
# REGION_MERGE_PX) are one group: neighbouring sections are nearly copies, so
# holding out one while training on the other would score memory.
PLANE_MERGE = 2
# Fewer groups than this and holding one out would starve training (one of two
# boxes is half the labels): then everything trains and nothing is validated.
MIN_GROUPS = 3
# Random orders tried to find a held-out set that contains every class.
HELD_OUT_TRIES = 16
# Training keeps at least this share of each class's painted pixels when it can:
# a rare class painted in two boxes must not lose the big one to validation.
KEEP_OF_EACH_CLASS = 0.5


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

    Groups are whole images when there are several, otherwise painted regions.
    Held-out groups are chosen by their share of the painted pixels, never
    beyond 1.5 x ``fraction``: holding out the one image a user painted most
    would leave training with the scraps.

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
        ``grouping`` says how: ``'images'`` (3 or more images, one of them
        small enough to spare), ``'regions'`` (3 or more painted regions) or
        ``'none'`` (too few groups to spare one).
    """
    rng = np.random.default_rng(seed)
    if fraction <= 0:
        return _nothing_held(planes)
    sources = sorted({p.source for p in planes})
    if len(sources) >= MIN_GROUPS:
        of_source = [[p for p in planes if p.source == s] for s in sources]
        counts = [sum(int((p.labels > 0).sum()) for p in group) for group in of_source]
        classes = [painted_counts([p.labels for p in group]) for group in of_source]
        chosen = _choose_held(counts, classes, fraction, rng, strict=True)
        if chosen is not None:
            held = {sources[k] for k in chosen}
            out = [p.source in held for p in planes]
            blank = [np.zeros_like(p.labels) for p in planes]
            train = [b if o else p.labels for p, b, o in zip(planes, blank, out, strict=True)]
            validation = [p.labels if o else b for p, b, o in zip(planes, blank, out, strict=True)]
            return Split(train, validation, "images")
    return _split_regions(planes, fraction, rng)


def given_split(planes: list[PaintedPlane], held_out: list[np.ndarray]) -> Split:
    """The split a caller chose: ``held_out`` masks say which painted pixels validate.

    Parameters
    ----------
    planes : list of PaintedPlane
        Training planes.
    held_out : list of numpy.ndarray
        One boolean ``(rows, cols)`` mask per plane, True where a painted pixel
        is held out (unpainted pixels are ignored).

    Returns
    -------
    Split
        ``grouping`` is ``'given'``.

    Raises
    ------
    ValueError
        When a mask's shape differs from its plane's, or nothing painted is
        left to train on.
    """
    if len(held_out) != len(planes):
        raise ValueError(f"{len(held_out)} held-out masks for {len(planes)} painted planes.")
    train, validation = [], []
    for plane, mask in zip(planes, held_out, strict=True):
        mask = np.asarray(mask, bool)
        if mask.shape != plane.labels.shape:
            raise ValueError(
                f"a held-out mask of shape {mask.shape} for painted labels of shape "
                f"{plane.labels.shape}."
            )
        train.append(np.where(mask, 0, plane.labels))
        validation.append(np.where(mask, plane.labels, 0))
    if not any(t.any() for t in train):
        raise ValueError("every painted pixel is held out: nothing is left to train on.")
    return Split(train, validation, "given")


def _nothing_held(planes: list[PaintedPlane]) -> Split:
    return Split([p.labels for p in planes], [np.zeros_like(p.labels) for p in planes], "none")


def _choose_held(
    counts: list[int],
    classes: list[dict[int, int]],
    fraction: float,
    rng: np.random.Generator,
    strict: bool = False,
) -> list[int] | None:
    """Indices of the groups to hold out: about ``fraction`` of the pixels in all.

    ``classes`` holds each group's painted pixels per class. Groups are visited
    in random order and taken while the held-out share stays within 1.5 x
    ``fraction``. Of a few such orders, the first wins that leaves every painted
    class in training with at least :data:`KEEP_OF_EACH_CLASS` of its pixels and
    holds out every class (a validation set of one class scores a meaningless
    F1 of 1.0), else the best try that leaves every class some pixels in
    training; None when no try does. (A rare phase painted 624 px in one box and
    25 px in another once trained on the 25.) When every group is larger than
    the limit, the smallest is taken if training keeps most pixels, unless ``strict``.
    """
    total = sum(counts)
    limit = max(1.5 * fraction * total, 1)
    every_class = set().union(*classes)
    per_class = {c: sum(g.get(c, 0) for g in classes) for c in every_class}
    best, best_quality = [], (False, False, -1)
    for _ in range(HELD_OUT_TRIES):
        chosen, held = [], 0
        for order in rng.permutation(len(counts)):
            if held + counts[order] <= limit:
                chosen.append(int(order))
                held += counts[order]
            if held >= fraction * total:
                break
        if not chosen:
            continue
        kept = set().union(*(c for k, c in enumerate(classes) if k not in chosen))
        covered = set().union(*(classes[k] for k in chosen))
        held_of = {c: sum(classes[k].get(c, 0) for k in chosen) for c in every_class}
        share = KEEP_OF_EACH_CLASS
        enough = all(per_class[c] - held_of[c] >= share * per_class[c] for c in held_of)
        # Training must keep every class, and most of each; then the more
        # classes validated the better.
        # A try that takes a class out of training entirely is never used: the
        # model would learn to forget it until the fold-in (or for ever).
        quality = (kept == every_class, enough, len(covered))
        if kept == every_class and quality > best_quality:
            best, best_quality = chosen, quality
        if quality == (True, True, len(every_class)):
            break
    if best:
        return best
    if strict:
        return None
    smallest = int(np.argmin(counts))
    others = set().union(*(c for k, c in enumerate(classes) if k != smallest))
    return None if counts[smallest] > total / 2 or others != every_class else [smallest]


def region_groups(planes: list[PaintedPlane]) -> list[list[tuple[int, np.ndarray]]]:
    """The painted regions validation holds out whole, as ``(plane index, mask)`` lists.

    A region is painted pixels closer than :data:`REGION_MERGE_PX` to each
    other within a plane; regions on planes of one stack at most
    :data:`PLANE_MERGE` apart whose neighbourhoods overlap are one group.

    Parameters
    ----------
    planes : list of PaintedPlane
        Training planes.
    """
    regions, labelled = [], []  # (plane index, mask); per plane: its regions' labels, first id
    for index, plane in enumerate(planes):
        painted = plane.labels > 0
        merged, count = ndi.label(ndi.binary_dilation(painted, iterations=REGION_MERGE_PX // 2))
        labelled.append((merged, len(regions)))
        regions += [(index, (merged == k) & painted) for k in range(1, count + 1)]
    parent = list(range(len(regions)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, a in enumerate(planes):
        for j in range(i + 1, len(planes)):
            b = planes[j]
            if a.plane is None or b.plane is None or a.source != b.source:
                continue
            if abs(a.plane - b.plane) > PLANE_MERGE:
                continue
            (first, offset_a), (second, offset_b) = labelled[i], labelled[j]
            both = (first > 0) & (second > 0)
            if not both.any():
                continue
            # Each overlapping pair of regions once (a million overlapping pixels: ms).
            width = int(second.max()) + 1
            pairs = np.unique(first[both].astype(np.int64) * width + second[both])
            for k, m in zip((pairs // width).tolist(), (pairs % width).tolist(), strict=True):
                parent[root(offset_a + k - 1)] = root(offset_b + m - 1)
    groups: dict[int, list[tuple[int, np.ndarray]]] = {}
    for k, region in enumerate(regions):
        groups.setdefault(root(k), []).append(region)
    return list(groups.values())


def _split_regions(planes: list[PaintedPlane], fraction: float, rng: np.random.Generator) -> Split:
    groups = region_groups(planes)
    if len(groups) < MIN_GROUPS:
        return _nothing_held(planes)
    counts = [sum(int(r.sum()) for _, r in group) for group in groups]
    classes = [painted_counts([planes[i].labels[r] for i, r in group]) for group in groups]
    chosen = _choose_held(counts, classes, fraction, rng)
    if chosen is None:
        return _nothing_held(planes)
    train = [p.labels.copy() for p in planes]
    validation = [np.zeros_like(p.labels) for p in planes]
    for order in chosen:
        for index, region in groups[order]:
            validation[index][region] = planes[index].labels[region]
            train[index][region] = 0
    if not any(t.any() for t in train):
        return _nothing_held(planes)
    return Split(train, validation, "regions")
