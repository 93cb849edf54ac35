"""The grain size distribution: the log-normal fitted to grain diameters.

Used for one image's counted grains (:func:`~napari_finetune.measure.report.grain_report`)
and for a stack's planes pooled (*Every plane* in the *Measure grains* dock).
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def lognormal_fit(diameters: np.ndarray) -> tuple[float, float] | None:
    """The median and σ (of the log) of a log-normal fitted to grain diameters.

    Parameters
    ----------
    diameters : numpy.ndarray
        Equivalent-circle diameters, e.g. the counted grains of one image or
        of every plane of a stack together.

    Returns
    -------
    tuple or None
        ``(median, sigma)``; None for fewer than 3 grains (no fit worth drawing).
    """
    if len(diameters) < 3:
        return None
    sigma, _, scale = stats.lognorm.fit(diameters, floc=0)
    return float(scale), float(sigma)
