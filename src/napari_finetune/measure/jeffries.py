"""The planimetric (Jeffries) count of ASTM E112 on a grain map: what counts, over what area.

The test area is the image, a rectangle. E112's planimetric procedure counts
the grains inside it whole and those the frame cuts one half; in a rectangle
the four grains holding its corners count one quarter each (E112's count for
a rectangular test area, N = N_inside + N_cut / 2 + 1, as in ISO 643). On a
lattice of k x k square cells that count is exactly k², where counting the
corner grains one half gave k² + 1, a bias of one grain per field.

Leaving the cut grains out (``'exclude'``) leaves their area out too: the
test area is then the area of the grains counted (automatic image analysis,
as ASTM E1382 does it), each grain with its share of the boundary pixels
between grains. Dividing by the whole image instead counts the cut grains'
area with no grains in it: the NIST sample's G was 9.76 so, 10.19 this way
(cut grains one half: 10.00; by intercepts: 10.24).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from skimage.segmentation import expand_labels

# How far from a corner (px) a grain is looked for when the corner pixel is boundary.
CORNER_REACH = 32


def corner_grains(grains: np.ndarray) -> list[int]:
    """The grain at each corner of the image (0 where none is within reach).

    A corner pixel on a boundary (id 0) belongs to the nearest grain, as the
    boundary pixels do when grains are given zero-width boundaries.
    """
    rows, cols = grains.shape
    reach_r, reach_c = min(CORNER_REACH, rows), min(CORNER_REACH, cols)
    found = []
    for r, c in ((0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1)):
        r0, c0 = (0 if r == 0 else rows - reach_r), (0 if c == 0 else cols - reach_c)
        window = grains[r0 : r0 + reach_r, c0 : c0 + reach_c]
        grown = expand_labels(window, distance=reach_r + reach_c)
        found.append(int(grown[r - r0, c - c0]))
    return found


def frame_weights(table: pd.DataFrame, grains: np.ndarray, border: str) -> np.ndarray:
    """How much each grain of ``table`` counts under the border rule.

    ``'half'``: a grain cut by the frame counts 1/2, a grain holding a corner
    1/4 per corner it holds; ``'exclude'``: 0; ``'include'``: 1. Grains the
    frame does not cut count 1.
    """
    cut = table["border"].to_numpy(bool)
    weights = np.where(cut, {"half": 0.5, "exclude": 0.0, "include": 1.0}[border], 1.0)
    if border == "half":
        corners = pd.Series(corner_grains(grains)).value_counts()
        held = table["label"].map(corners).fillna(0).to_numpy(float)
        weights = np.where(cut & (held > 0), np.minimum(0.25 * held, 1.0), weights)
    return weights


def cell_areas_px(table: pd.DataFrame, grains: np.ndarray, border: str) -> np.ndarray | None:
    """Each grain's area with its share of the boundary pixels, for ``'exclude'``.

    None for the other rules, whose test area is the whole image. The shares
    come from growing every grain into the boundary pixels nearest to it.
    """
    if border != "exclude":
        return None
    grown = expand_labels(grains, distance=sum(grains.shape))
    areas = np.bincount(grown.ravel(), minlength=int(grains.max()) + 1)
    return areas[table["label"].to_numpy(int)].astype(float)
