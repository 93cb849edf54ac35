"""How well found grains agree with true ones: adjusted Rand index, VI, ISBI scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.metrics import adapted_rand_error, contingency_table, variation_of_information


def _pairs(counts: np.ndarray) -> float:
    counts = np.asarray(counts, dtype=np.float64)
    return float((counts * (counts - 1) / 2).sum())


def adjusted_rand_index(truth: np.ndarray, found: np.ndarray) -> float:
    """Adjusted Rand index of two labelings of the same pixels (1 = identical).

    scikit-image offers the Rand *error* variants but not the adjusted index
    (Hubert & Arabie 1985); this is the standard formula on its contingency table.
    """
    table = contingency_table(np.asarray(truth), np.asarray(found)).tocsr()
    n = table.sum()
    index = _pairs(table.data)
    rows = _pairs(np.asarray(table.sum(axis=1)).ravel())
    cols = _pairs(np.asarray(table.sum(axis=0)).ravel())
    expected = rows * cols / (n * (n - 1) / 2)
    best = (rows + cols) / 2
    return 1.0 if best == expected else float((index - expected) / (best - expected))


@dataclass(frozen=True)
class Agreement:
    """Agreement of found grains with the truth."""

    adjusted_rand: float
    variation_of_information: float  # split + merge entropy, bits; 0 = identical
    count_error: float  # (found - true) / true grain count


def agreement(truth: np.ndarray, found: np.ndarray) -> Agreement:
    """Adjusted Rand index, variation of information and grain-count error."""
    split, merge = variation_of_information(np.asarray(truth), np.asarray(found))
    true_n = len(np.unique(truth[truth > 0]))
    found_n = len(np.unique(found[found > 0]))
    return Agreement(
        adjusted_rand_index(truth, found),
        float(split + merge),
        (found_n - true_n) / max(true_n, 1),
    )


def isbi_scores(truth: np.ndarray, found: np.ndarray) -> tuple[float, float]:
    """ISBI 2012 style foreground-restricted Rand F-score (V_rand) and VI.

    ``truth`` 0 marks the membranes (left out), as in the challenge. V_rand is
    1 - scikit-image's adapted Rand error; the information score is the
    variation of information restricted to the same foreground pixels.
    """
    truth, found = np.asarray(truth), np.asarray(found)
    error, _, _ = adapted_rand_error(truth, found, ignore_labels=(0,))
    keep = truth > 0
    split, merge = variation_of_information(truth[keep], found[keep])
    return 1.0 - float(error), float(split + merge)
