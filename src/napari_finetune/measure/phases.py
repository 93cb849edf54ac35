"""Phase (class) area fractions with a 95 % confidence interval over fields (E562, E1245).

The area fraction A_A of a phase estimates its volume fraction (V_V = A_A =
P_P). Boundaries have no area in a specimen: the pixels of a thin class (a
predicted boundary a few pixels wide, :func:`~napari_finetune.class_roles.thin_classes`)
go to the nearest phase, as ASTM E1382 measures grains with zero-width
boundaries, instead of lowering every phase's fraction. The interval is
Student's over fields (``t · s / √n``, ``n − 1`` degrees of freedom), never
over pixels, which are strongly correlated. Within one image the fields are a
grid of tiles, so the interval says how uniform that image is; over a
specimen, each image is a field (:mod:`~napari_finetune.measure.specimen`).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from skimage.segmentation import expand_labels

from napari_finetune.measure.astm import field_statistic

# A thin class's pixel goes to a phase at most this far away (a predicted
# boundary is a few pixels wide); farther, it is left out like class 0.
THIN_REACH_PX = 16


def phase_fractions(
    classes: np.ndarray,
    fields: tuple[int, int] = (3, 3),
    names: dict[int, str] | None = None,
    thin: Collection[int] = (),
    n_classes: int | None = None,
) -> pd.DataFrame:
    """Area fraction of each phase, with its 95 % CI over a grid of fields.

    Parameters
    ----------
    classes : numpy.ndarray
        2D class map (1..K; 0 = not classified, left out of the fractions).
    fields : tuple of int
        The image is cut into ``rows x cols`` fields; the spread of the
        fraction over them gives the confidence interval (Student t).
    names : dict, optional
        Class value -> name.
    thin : collection of int
        Classes that are boundaries, not phases: their pixels are given to
        the nearest phase (within :data:`THIN_REACH_PX`) and they get no row.
    n_classes : int, optional
        The model's classes 1..K: a phase absent from this map gets a row of
        fraction 0. Default: the classes present.

    Returns
    -------
    pandas.DataFrame
        One row per phase: ``class``, ``name``, ``fraction`` (its pixels over
        the classified pixels of the whole image), ``ci95`` (half-width, same
        units), ``relative_accuracy`` (% of ``fraction``), ``fields``.

    Raises
    ------
    ValueError
        For a map that is not 2D, or with fewer than two phases to compare.
    """
    classes = np.asarray(classes)
    if classes.ndim != 2:
        raise ValueError(f"a class map must be 2D, not shape {classes.shape}.")
    thin = set(thin)
    present = {int(c) for c in np.unique(classes) if c > 0}
    listed = range(1, n_classes + 1) if n_classes is not None else sorted(present)
    phases = [c for c in listed if c not in thin]
    if len(phases) < 2 or not present - thin:
        raise ValueError(
            "phase fractions need two or more phases (classes that are not boundaries); "
            f"this map has {', '.join(map(str, phases)) or 'none'}."
        )
    if thin & present:
        classes = _thin_to_nearest_phase(classes, thin)
    fy, fx = fields
    rows, cols = classes.shape
    pieces = [
        classes[y * rows // fy : (y + 1) * rows // fy, x * cols // fx : (x + 1) * cols // fx]
        for y in range(fy)
        for x in range(fx)
    ]
    names = names or {}
    classified = max(int((classes > 0).sum()), 1)
    out = []
    for cls in phases:
        per_field = [float((p == cls).sum() / (p > 0).sum()) for p in pieces if (p > 0).any()]
        stat = field_statistic(per_field)
        fraction = float((classes == cls).sum() / classified)
        # %RA of the fraction reported (E562's ratio to the estimate).
        relative = 100 * stat.ci95 / fraction if stat.ci95 is not None and fraction else None
        out.append(
            {
                "class": cls,
                "name": names.get(cls, f"class {cls}"),
                "fraction": fraction,
                "ci95": stat.ci95,
                "relative_accuracy": relative,
                "fields": stat.n,
            }
        )
    return pd.DataFrame(out)


def _thin_to_nearest_phase(classes: np.ndarray, thin: set[int]) -> np.ndarray:
    """The map with each thin pixel given the nearest phase's class (0 if none is near)."""
    is_thin = np.isin(classes, list(thin))
    phases = np.where(is_thin, 0, classes)
    grown = expand_labels(phases, distance=THIN_REACH_PX)
    # Only thin pixels are filled: unclassified pixels stay out.
    return np.where(is_thin, grown, classes)
