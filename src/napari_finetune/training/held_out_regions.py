"""Counts of one held-out region: hits and misses per class, in a tolerance band for thin ones.

The counting behind :mod:`~napari_finetune.training.held_out_score` (see there
for why held-out strokes are scored in a band beside them): each connected
held-out region gets its own :class:`RegionCounts`, so that the score can be
bootstrapped over regions and two runs compared region by region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi
from skimage.morphology import skeletonize

TOLERANCE_PX = 2.0
BAND_PX = 8


@dataclass
class RegionCounts:
    """Per-class counts of one held-out region: ``{class: [hit, truth, correct, predicted]}``.

    Recall = hit / truth, precision = correct / predicted (equal to TP counts
    for region classes).
    """

    pixels: int = 0
    counts: dict[int, list[int]] = field(default_factory=dict)
    # Region-class pixels, and those of them within the band of a painted thin
    # pixel: where interiors meet boundaries, i.e. where mistakes happen.
    region_pixels: int = 0
    near_thin: int = 0

    def add(self, k: int, hit: int, truth: int, correct: int, predicted: int) -> None:
        """Add counts for class ``k``."""
        row = self.counts.setdefault(k, [0, 0, 0, 0])
        for i, value in enumerate((hit, truth, correct, predicted)):
            row[i] += value


def region_counts(
    predicted: np.ndarray,
    held: np.ndarray,
    painted: np.ndarray,
    thin: set[int],
    tolerance: float = TOLERANCE_PX,
    band: int = BAND_PX,
    classes: set[int] | None = None,
) -> list[RegionCounts]:
    """Counts for each held-out region of one (cropped) plane.

    Parameters
    ----------
    predicted : numpy.ndarray
        Predicted classes 1..K, ``(rows, cols)``.
    held : numpy.ndarray
        Held-out painted classes (0 elsewhere).
    painted : numpy.ndarray
        All painted classes, training and held out (0 unpainted).
    thin : set of int
        Classes scored with the tolerance band.
    tolerance, band : float, int
        Tolerance and band width in pixels.
    classes : set of int, optional
        All painted classes, when the caller knows them (else read from ``painted``).

    Returns
    -------
    list of RegionCounts
        One per connected held-out region (strokes closer than ``band`` merge).
    """
    regions, _ = ndi.label(ndi.binary_dilation(held > 0, iterations=band))
    thin_distance = {k: ndi.distance_transform_edt(painted != k) for k in thin}
    near_paint = {k: d <= tolerance for k, d in thin_distance.items()}
    near_thin = np.logical_or.reduce(list(near_paint.values())) if thin else None
    in_band = np.logical_or.reduce([d <= band for d in thin_distance.values()]) if thin else None
    if classes is None:
        classes = {int(k) for k in np.unique(painted) if k}
    regional = set(classes) - thin
    out = []
    for r, box in enumerate(ndi.find_objects(regions), start=1):
        zone = regions[box] == r
        mine = zone & (held[box] > 0)
        found = RegionCounts(int(mine.sum()))
        here = set(int(k) for k in np.unique(held[box][mine]))
        for k in here:
            truth = mine & (held[box] == k)
            if k in thin:
                _add_thin(
                    found,
                    k,
                    truth,
                    zone,
                    mine,
                    predicted[box],
                    painted[box],
                    near_paint[k][box],
                    tolerance,
                    band,
                )
            else:
                scored = mine if near_thin is None else mine & ~near_thin[box]
                found.region_pixels += int(truth.sum())
                if in_band is not None:
                    found.near_thin += int((truth & in_band[box]).sum())
                hits = int((scored & truth & (predicted[box] == k)).sum())
                found.add(
                    k,
                    hits,
                    int((scored & truth).sum()),
                    hits,
                    int((scored & (predicted[box] == k)).sum()),
                )
        # A class predicted over held-out pixels of other classes is a false
        # positive too (e.g. a boundary predicted on an interior scribble).
        for k in thin - here:
            wrong = mine & (predicted[box] == k) & ~near_paint[k][box]
            if wrong.any():
                found.add(k, 0, 0, 0, int(wrong.sum()))
        for k in regional - here:
            scored = mine if near_thin is None else mine & ~near_thin[box]
            wrong = scored & (predicted[box] == k)
            if wrong.any():
                found.add(k, 0, 0, 0, int(wrong.sum()))
        out.append(found)
    return out


def _add_thin(
    found: RegionCounts,
    k: int,
    truth: np.ndarray,
    zone: np.ndarray,
    mine: np.ndarray,
    predicted: np.ndarray,
    painted: np.ndarray,
    near_paint: np.ndarray,
    tolerance: float,
    band: int,
) -> None:
    """Recall on the stroke, precision in the band beside it (not beyond its ends)."""
    near_pred = ndi.distance_transform_edt(predicted != k) <= tolerance
    beside = ndi.distance_transform_edt(~truth) <= band
    # A traced stretch ends where the boundary goes on unpainted: predictions
    # continuing past the ends are right, so the band stops short of them.
    skeleton = skeletonize(truth)
    neighbours = ndi.convolve(
        skeleton.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant"
    )
    ends = skeleton & (neighbours <= 2)
    if ends.any():
        # The skeleton stops about half a stroke width short of the stroke's end.
        reach = band + tolerance + ndi.distance_transform_edt(truth).max()
        beside &= ndi.distance_transform_edt(~ends) > reach
    scored = mine | (beside & zone & (painted == 0))
    inside = scored & (predicted == k)
    found.add(
        k,
        int((truth & near_pred).sum()),
        int(truth.sum()),
        int((inside & near_paint).sum()),
        int(inside.sum()),
    )
