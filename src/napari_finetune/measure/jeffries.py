"""The planimetric (Jeffries) count of ASTM E112 on a grain map: what counts, over what area.

The test area is the image, a rectangle. E112's planimetric procedure counts
the grains inside it whole and those the frame cuts one half; in a rectangle
the four grains holding its corners count one quarter each (E112's count for
a rectangular test area, N = N_inside + N_cut / 2 + 1). On a lattice of
k x k square cells that count is exactly k², where counting the corner
grains one half gave k² + 1, a bias of one grain per field.

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

# How far from a corner (px) a grain is looked for when the corner pixel is not
# a grain: about a boundary's width.
CORNER_REACH = 8


def corner_grains(grains: np.ndarray) -> list[int]:
    """The grain holding each corner of the image (0 where none does).

    A corner pixel on a boundary (id 0) belongs to the nearest grain within
    :data:`CORNER_REACH` px, as the boundary pixels would with zero-width
    boundaries; a corner in a background (no grain that near) has none.
    """
    found = []
    for flip_r, flip_c in ((False, False), (False, True), (True, False), (True, True)):
        # The corner as the top left of a window, whichever corner it is.
        window = grains[::-1] if flip_r else grains
        window = window[:, ::-1] if flip_c else window
        window = np.asarray(window[: CORNER_REACH + 1, : CORNER_REACH + 1])
        grown = window if window[0, 0] else expand_labels(window, distance=CORNER_REACH)
        found.append(int(grown[0, 0]))
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
        weights = np.where(held > 0, np.minimum(0.25 * held, 1.0), weights)
    return weights


def cell_areas_px(table: pd.DataFrame, grains: np.ndarray, border: str) -> np.ndarray | None:
    """Each grain's area with its share of the boundary pixels, for ``'exclude'``.

    None for the other rules, whose test area is the whole image. The shares
    come from growing every grain into the boundary pixels nearest to it (a
    map without boundary pixels, as :func:`~napari_finetune.measure.grains`
    makes them, is counted as it is).
    """
    if border != "exclude":
        return None
    ids = np.asarray(grains)
    if not ids.all():
        ids = expand_labels(ids, distance=sum(ids.shape))
    areas = np.bincount(ids.ravel().astype(np.intp), minlength=int(ids.max()) + 1)
    return areas[table["label"].to_numpy(np.intp)].astype(float)
