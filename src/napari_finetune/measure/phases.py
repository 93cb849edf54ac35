"""Phase (class) area fractions with a confidence interval over fields (E562 style)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from napari_finetune.measure.astm import field_statistic


def phase_fractions(
    classes: np.ndarray,
    fields: tuple[int, int] = (3, 3),
    names: dict[int, str] | None = None,
) -> pd.DataFrame:
    """Area fraction of each class, with its 95 % CI over a grid of fields.

    Parameters
    ----------
    classes : numpy.ndarray
        2D class map (1..K; 0 = not classified, left out of the fractions).
    fields : tuple of int
        The image is cut into ``rows x cols`` fields; the spread of the
        fraction over them gives the confidence interval (Student t).
    names : dict, optional
        Class value -> name.

    Returns
    -------
    pandas.DataFrame
        One row per class: ``class``, ``name``, ``fraction`` (whole image),
        ``ci95``, ``relative_accuracy`` (%), ``fields``.
    """
    classes = np.asarray(classes)
    if classes.ndim != 2:
        raise ValueError(f"a class map must be 2D, not shape {classes.shape}.")
    present = [int(c) for c in np.unique(classes) if c > 0]
    if len(present) < 2:
        raise ValueError(
            "only one class is present: phase fractions need a map with two or more classes."
        )
    fy, fx = fields
    rows, cols = classes.shape
    pieces = [
        classes[y * rows // fy : (y + 1) * rows // fy, x * cols // fx : (x + 1) * cols // fx]
        for y in range(fy)
        for x in range(fx)
    ]
    names = names or {}
    classified = classes > 0
    out = []
    for cls in present:
        per_field = [
            float((p == cls).sum() / max((p > 0).sum(), 1)) for p in pieces if (p > 0).any()
        ]
        stat = field_statistic(per_field)
        out.append(
            {
                "class": cls,
                "name": names.get(cls, f"class {cls}"),
                "fraction": float((classes == cls).sum() / classified.sum()),
                "ci95": stat.ci95,
                "relative_accuracy": stat.relative_accuracy,
                "fields": stat.n,
            }
        )
    return pd.DataFrame(out)
