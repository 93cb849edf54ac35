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


def _entropy(counts: np.ndarray) -> float:
    p = np.asarray(counts, dtype=np.float64)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log(p)).sum())


def isbi_scores(truth: np.ndarray, found: np.ndarray) -> tuple[float, float]:
    """The ISBI 2012 challenge's foreground-restricted scores V_rand and V_info (1 = perfect).

    ``truth`` 0 marks the membranes, left out as in the challenge. V_rand is
    1 - scikit-image's adapted Rand error (the Rand F-score); V_info is the
    information-theoretic F-score: the harmonic mean of I(S;T)/H(S) and
    I(S;T)/H(T) (Arganda-Carreras et al. 2015), written out here because
    scikit-image gives only the variation of information.
    """
    truth, found = np.asarray(truth), np.asarray(found)
    error, _, _ = adapted_rand_error(truth, found, ignore_labels=(0,))
    keep = truth > 0
    table = contingency_table(truth[keep], found[keep]).tocsr()
    joint = _entropy(table.data)
    h_truth = _entropy(np.asarray(table.sum(axis=1)).ravel())
    h_found = _entropy(np.asarray(table.sum(axis=0)).ravel())
    mutual = h_truth + h_found - joint
    v_info = 2 * mutual / (h_truth + h_found) if h_truth + h_found > 0 else 1.0
    return 1.0 - float(error), float(v_info)
