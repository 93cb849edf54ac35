"""Is a class a boundary? Decided by its shape when its name does not say.

Class names say which class is a boundary only in words the plugin knows
(:func:`~napari_finetune.class_roles.thin_classes`): ``'GB'``, ``'Korngrenze'``
or ``'grain bnd'`` say nothing to it. A boundary class is thin everywhere: almost
none of its pixels lie deeper than a few pixels inside it. A phase (γ′
precipitates, a lamellar colony) has blobs with interiors.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

# A pixel deeper than this (px, Euclidean distance to the nearest pixel of another
# class) is inside a blob, not on a line. Boundaries up to ~6 px wide stay under it.
THIN_DEPTH = 3.0
# Share of a class's pixels deeper than THIN_DEPTH above which it is no boundary.
# Measured (256² and 512² maps, seeds 0-2): the synthetic Voronoi grains' boundary
# class 0.000 (0.0015 with boundaries dilated to ~6 px); second_phases' 5-12 px
# precipitates 0.13-0.15; a superalloy-like map of 12-30 px γ′ cuboids 0.62-0.64;
# boundaries dilated to ~8 px 0.14, as wide as the precipitates. 0.05 lies between.
THIN_SHARE = 0.05


def is_thin_class(classes: np.ndarray, value: int) -> bool:
    """Whether class ``value`` of a class map is thin everywhere, as a boundary is.

    Parameters
    ----------
    classes : numpy.ndarray
        A 2D class map (0 unpainted, 1..K).
    value : int
        The class to look at (the boundary class of
        :class:`~napari_finetune.measure.instances.GrainOptions`).

    Returns
    -------
    bool
        True when the class has pixels and at most :data:`THIN_SHARE` of them
        lie deeper than :data:`THIN_DEPTH` px from any other class (or from the
        image's edge); False for an absent class or one with blob interiors.
    """
    mask = np.asarray(classes) == value
    if not mask.any():
        return False
    # Pad with "other class" so the frame counts as an edge: a boundary cut by the
    # frame is still thin, and a map all of one class is no boundary.
    depth = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    return float(np.mean(depth[mask] > THIN_DEPTH)) <= THIN_SHARE
