"""Where to paint next: uncertain, typical boxes, spread out, never on paint."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import ndimage as ndi

# Exponent of the representativeness factor. Among the typical half of the
# windows, densities span a narrow range (0.39-0.47 on isbi2012 images), so a
# small exponent barely moves the ranking there: with 2, the box that broke two
# of five isbi2012 benchmark runs (mean uncertainty 0.58, typicality 0.42, 81%
# membrane where the image averages 29%) still outranked typical boxes of
# uncertainty 0.44 and typicality 0.47; with 4 it does not. On the tuning sets
# of benchmarks/bench_active_learning.py (data the reported rounds never use),
# mean F1 over rounds 2-5 was, on isbi2012, 0.896 with 2, 0.898 with 4, 0.896
# with 8 and 0.896 for random boxes; on synthetic grains 0.860 with 4 and 0.859
# for random: no worse, where a larger exponent tends towards picking merely
# typical boxes. Rounds and figures: README, "Active learning".
REPRESENTATIVENESS_WEIGHT = 4.0


# The seed the Fine-tune dock and ``fit --suggest`` draw boxes from (mixed with the
# round and the image: session.options.suggestion_seed); None takes the best boxes.
DRAW_SEED = 0


def check_draw_seed(seed: object) -> int | None:
    """``seed`` as an int (or None); ValueError unless None or a whole number of at least 0.

    Parameters
    ----------
    seed : object
        None (take the best boxes) or the seed of a draw.

    Returns
    -------
    int or None
        The seed as a Python int, or None.

    Raises
    ------
    ValueError
        For a bool, a non-integer or a negative seed, naming it.
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a whole number of at least 0, or None.")
    return int(seed)


def drawn_priorities(scores: np.ndarray, seed: int) -> np.ndarray:
    """Scores perturbed so that taking the largest draws windows in proportion to their score.

    Power acquisition (Kirsch et al. 2023, "Stochastic batch acquisition"): taking
    the top-scored windows packs a round with near-copies of one kind of error. On
    isbi2012 they were dark, 32-70 % membrane regions the ground truth paints as
    solid membrane, and painting them did worse than random boxes (README, "Active
    learning"). Drawing windows with probability proportional to their score keeps
    the preference for uncertain, typical regions but spreads the boxes over the
    model's kinds of error. The Gumbel-top-k trick does the drawing: the windows
    with the largest ``log(score) + G`` (G standard Gumbel) are a draw without
    replacement in proportion to ``score``, and priorities of windows on different
    images compare directly, so sorting every image's boxes by priority is one draw
    over all of them.

    Parameters
    ----------
    scores : numpy.ndarray
        Window scores, at least 0 (0 or below, and -inf, are never drawn).
    seed : int
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        ``score x exp(G)`` (float64); -inf where the score is not positive.
    """
    gumbel = np.random.default_rng(seed).gumbel(size=np.shape(scores))
    with np.errstate(divide="ignore", invalid="ignore"):
        priorities = np.asarray(scores, np.float64) * np.exp(gumbel)
    return np.where(np.asarray(scores) > 0, priorities, -np.inf)


def window_means(values: np.ndarray, h: int, w: int) -> np.ndarray:
    """Mean of ``values`` over the ``h`` x ``w`` window starting at each (y, x).

    Parameters
    ----------
    values : numpy.ndarray
        A ``(rows, cols)`` float map.
    h, w : int
        Window height (1 .. rows) and width (1 .. cols) in pixels.

    Returns
    -------
    numpy.ndarray
        ``(rows - h + 1, cols - w + 1)``, ``values``' dtype: entry (y, x) is the
        mean of ``values[y : y + h, x : x + w]`` (windows inside the image only).
    """
    rows, cols = values.shape
    means = ndi.uniform_filter(values, (h, w), mode="constant", origin=(-(h // 2), -(w // 2)))
    return means[: rows - h + 1, : cols - w + 1].copy()


# Fewer window positions than this (an image hardly larger than a box): typicality
# cannot be judged against the image's own windows, and counts as neutral.
MIN_TYPICAL_WINDOWS = 16


def box_score(
    mean_uncertainty: np.ndarray | float,
    mean_representativeness: np.ndarray | float | None,
    weight: float = REPRESENTATIVENESS_WEIGHT,
) -> np.ndarray | float:
    """How much a box is worth painting: mean uncertainty x mean representativeness^weight.

    Works on single boxes (floats) and on arrays of window means alike; without
    a representativeness value (None) or with ``weight`` 0, the mean uncertainty.

    Parameters
    ----------
    mean_uncertainty : numpy.ndarray or float
        Mean uncertainty of each box (higher = less sure).
    mean_representativeness : numpy.ndarray or float or None
        Mean representativeness of each box (clipped to at least 1e-12).
    weight : float
        Exponent of the representativeness factor.

    Returns
    -------
    numpy.ndarray or float
        The score of each box (the inputs' broadcast shape).
    """
    if mean_representativeness is None or not weight:
        return mean_uncertainty
    return mean_uncertainty * np.clip(mean_representativeness, 1e-12, None) ** weight


def suggest_regions(
    uncertainty: np.ndarray,
    labels: np.ndarray | None = None,
    n: int = 5,
    size: int = 64,
    representativeness: np.ndarray | None = None,
    representativeness_weight: float = REPRESENTATIVENESS_WEIGHT,
    seed: int | None = None,
) -> list[tuple[int, int, int, int]]:
    """Up to ``n`` non-overlapping ``size`` x ``size`` boxes worth painting next.

    The boxes of :func:`rank_regions` without their scores; see there.

    Parameters
    ----------
    uncertainty, labels, n, size, representativeness, representativeness_weight, seed
        As for :func:`rank_regions`.

    Returns
    -------
    list of tuple
        ``(y0, x0, y1, x1)`` boxes (end exclusive), best first.

    Raises
    ------
    ValueError
        As :func:`rank_regions`.
    """
    ranked = rank_regions(
        uncertainty, labels, n, size, representativeness, representativeness_weight, seed
    )
    return [box for box, _ in ranked]


def rank_regions(
    uncertainty: np.ndarray,
    labels: np.ndarray | None = None,
    n: int = 5,
    size: int = 64,
    representativeness: np.ndarray | None = None,
    representativeness_weight: float = REPRESENTATIVENESS_WEIGHT,
    seed: int | None = None,
) -> list[tuple[tuple[int, int, int, int], float]]:
    """Up to ``n`` non-overlapping ``size`` x ``size`` boxes worth painting next, scored.

    A window's score is its mean uncertainty, times its mean representativeness
    raised to ``representativeness_weight`` when that map is given (uncertain
    *and* typical regions first; see
    :mod:`napari_finetune.inference.representativeness` for why). Greedy
    non-maximum suppression: take the best window, rule out every window
    overlapping it, repeat. Windows that touch an already painted pixel are
    never proposed. With a ``seed``, windows are drawn in proportion to their
    score instead of taken best first (:func:`drawn_priorities`: spread over
    the model's kinds of error; what the Fine-tune dock does).

    Parameters
    ----------
    uncertainty : numpy.ndarray
        ``(rows, cols)`` map, higher = less sure.
    labels : numpy.ndarray, optional
        Painted labels of the same shape (non-zero = painted).
    n : int
        Number of boxes wanted.
    size : int
        Box side in pixels (clipped to the image).
    representativeness : numpy.ndarray, optional
        Map of the same shape in (0, 1], higher = more typical of the image
        (:func:`~napari_finetune.inference.representativeness.representativeness`).
    representativeness_weight : float
        Exponent of the representativeness factor; 0 ignores it.
    seed : int, optional
        None takes the best windows; a seed draws them in proportion to their
        score, reproducibly.

    Returns
    -------
    list of tuple
        ``((y0, x0, y1, x1), score)``: boxes (end exclusive) and their
        :func:`box_score` (with a ``seed``, their drawn priority), best first;
        fewer than ``n`` when the unpainted area runs out or the model is sure
        everywhere left (score 0). Scores of boxes on different images compare
        directly: typicality counts relative to
        each image's median window.

    Raises
    ------
    ValueError
        For ``n``, ``size``, ``seed`` or the weight out of range, or maps that are
        not finite real numbers of one 2D shape (representativeness in [0, 1]).
    """
    seed = check_draw_seed(seed)
    for name, value in (("n", n), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name}={value!r} must be a whole number of at least 1.")
    weight = representativeness_weight
    if isinstance(weight, bool) or not isinstance(weight, Real) or not 0 <= weight < np.inf:
        raise ValueError(
            f"representativeness_weight={weight!r} must be a finite number of at least 0."
        )
    uncertainty = _numeric_map("uncertainty", uncertainty)
    if uncertainty.ndim != 2 or not uncertainty.size:
        raise ValueError(f"uncertainty must be a non-empty 2D map, not shape {uncertainty.shape}.")
    _check_finite("uncertainty", uncertainty)
    if labels is not None:
        labels = _numeric_map("labels", labels, uncertainty.shape)
    if representativeness is not None:
        representativeness = _numeric_map(
            "representativeness", representativeness, uncertainty.shape
        )
        _check_finite("representativeness", representativeness)
        if representativeness.min() < 0 or representativeness.max() > 1:
            raise ValueError("representativeness values must lie between 0 and 1.")
    rows, cols = uncertainty.shape
    h, w = int(min(size, rows)), int(min(size, cols))
    typical = None if representativeness is None else window_means(representativeness, h, w)
    if typical is not None:
        # Typicality is relative to its own image (the kernel width and the windows it is
        # measured over are the image's): as a share of the image's median window, boxes
        # of images of any size compare on their uncertainty; with too few windows to
        # tell (an image hardly larger than a box) it is neutral.
        middle = float(np.median(typical))
        enough = typical.size >= MIN_TYPICAL_WINDOWS and middle > 0
        typical = typical / middle if enough else np.ones_like(typical)
    score = box_score(window_means(uncertainty, h, w), typical, representativeness_weight)
    if labels is not None:
        # Painted = non-zero, as documented: a stray negative value is paint too.
        touched = window_means((labels != 0).astype(np.float64), h, w)
        score[touched > 1e-9] = -np.inf
    if seed is not None:
        score = drawn_priorities(score, seed)
    boxes = []
    for _ in range(n):
        y, x = np.unravel_index(np.argmax(score), score.shape)
        if score[y, x] <= 0:  # every window left is ruled out, or the model is sure there
            break
        boxes.append(((int(y), int(x), int(y) + h, int(x) + w), float(score[y, x])))
        # Windows overlapping this box start less than a box away in both axes.
        score[max(0, y - h + 1) : y + h, max(0, x - w + 1) : x + w] = -np.inf
    return boxes


def _numeric_map(name: str, values: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``values`` as a float64 array; ValueError unless real numbers of ``shape``."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, not {array.dtype}.")
    if shape is not None and array.shape != shape:
        verb = "do" if name == "labels" else "does"
        raise ValueError(f"{name} of shape {array.shape} {verb} not match the map's {shape}.")
    return array.astype(np.float64, copy=False)


def _check_finite(name: str, values: np.ndarray) -> None:
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
