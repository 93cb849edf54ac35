"""Suggested boxes that seek a class the painting shows little of.

A class painted on a few hundred pixels is the one the network learns least
(:mod:`napari_finetune.training.thin_classes`), and uncertainty does not
single it out: a small phase is a small share of any box's uncertain pixels.
Weighting each pixel's uncertainty by how much more of the thin classes the
model sees there than on the image on average sends boxes where that class is.
On the superalloy's tuning split (``benchmarks/bench_active_learning.py
--datasets "tuning superalloy"``: train images of spots 3-5 painted, spots 6-7
scored, the val images never read; 2 boxes of 64² a round, seeds 0-5) mean IoU
after rounds 2-5 went 0.599 / 0.657 / 0.722 / 0.744 → 0.595 / 0.664 / 0.734 /
0.770 (random boxes: 0.648 / 0.701 / 0.719 / 0.763), tertiary-γ′ IoU after
round 5 0.565 → 0.604; on the val images, scored once after the choice, 0.569
/ 0.630 / 0.687 / 0.720 → 0.580 / 0.646 / 0.730 / 0.794 (seeds 0-4; random
boxes 0.576 / 0.695 / 0.752 / 0.789). It changes nothing while no class is
thin (the boundary sets' rounds). The user is told "rare in your painting", as
the dock's thin-class line says. README, *Active learning on phases*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np

from napari_finetune.choices import listed
from napari_finetune.data.class_counts import painted_counts
from napari_finetune.inference.predict import predict
from napari_finetune.models.model import SegmentationModel
from napari_finetune.training.thin_classes import thin_classes

# Exponent of the thin-class factor (0: off). 1 beat 2 on the tuning split (mean IoU
# after five rounds 0.785 vs 0.730, seeds 0-2, a scratch patch weighting window means;
# weighting pixels as here, 0.782 at 1): larger exponents pack a round into the few
# windows the model calls the thin class most.
THIN_CLASS_WEIGHT = 1.0
# Below this mean probability of the thin classes on an image, the model sees
# none of them there: their ratio would be noise, and the map is left as it is.
NOT_SEEN = 1e-6


def check_weight(name: str, weight: object) -> float:
    """``weight`` as a float; ValueError naming ``name`` unless a finite number of at least 0.

    Parameters
    ----------
    name : str
        What the caller calls the weight (in the message).
    weight : object
        The value given.

    Returns
    -------
    float
        ``weight`` (0 means off).
    """
    if isinstance(weight, bool) or not isinstance(weight, Real) or not 0 <= weight < math.inf:
        raise ValueError(f"{name}={weight!r} must be a finite number of at least 0 (0: off).")
    return float(weight)


def favoured_classes(labels: Sequence[np.ndarray]) -> list[int]:
    """The painted values the suggestions should seek: those painted thinly.

    A class that is painted at all, on under
    :data:`~napari_finetune.training.thin_classes.THIN_PIXELS` px and under
    :data:`~napari_finetune.training.thin_classes.THIN_SHARE` of the
    most-painted class's pixels. A class named but not painted is not sought:
    the model has learnt nothing of it to look with.

    Parameters
    ----------
    labels : sequence of numpy.ndarray
        The session's paintings (0 = unpainted), 2D or stacks.

    Returns
    -------
    list of int
        Painted values (1 = the model's first class), fewest pixels first.
    """
    counts = {value: count for value, count in painted_counts(labels).items() if count}
    return thin_classes(counts)


def sought_sentence(names: Sequence[str]) -> str:
    """What the suggested boxes sought, in words; empty when they sought no class.

    Parameters
    ----------
    names : sequence of str
        The sought classes' names (:attr:`~napari_finetune.session.Suggestions.favoured`).

    Returns
    -------
    str
        E.g. "The boxes favour where the model sees 'tertiary γ′', rare in your
        painting so far." (the dock's thin-class line says "rare" too).
    """
    if not names:
        return ""
    quoted = listed([f"'{name}'" for name in names])
    return f"The boxes favour where the model sees {quoted}, rare in your painting so far."


def seen_classes(probabilities: np.ndarray, favoured: Sequence[int]) -> list[int]:
    """The favoured values the model has an output for and sees on this image.

    Parameters
    ----------
    probabilities : numpy.ndarray
        ``(classes, rows, cols)`` prediction of one image.
    favoured : sequence of int
        Painted values (value ``v`` is probability channel ``v - 1``).

    Returns
    -------
    list of int
        Those of ``favoured`` with a channel whose mean is at least :data:`NOT_SEEN`.
    """
    return [
        value
        for value in favoured
        if 1 <= value <= len(probabilities)
        and float(np.mean(probabilities[value - 1], dtype=np.float64)) >= NOT_SEEN
    ]


def emphasised_uncertainty(
    uncertainty: np.ndarray,
    probabilities: np.ndarray,
    favoured: Sequence[int],
    weight: float = THIN_CLASS_WEIGHT,
) -> np.ndarray:
    """``uncertainty`` x (the favoured classes' probability / its image mean) ^ ``weight``.

    The factor averages 1 over the image, so scores stay on uncertainty's
    scale; its peak is about 1 / (the share of the image where the model
    sees the classes): an image that shows a little of a class gets larger
    factors where it does than one that shows much of it, which sends boxes
    to the few places a rare class is seen.

    Parameters
    ----------
    uncertainty : numpy.ndarray
        ``(rows, cols)`` map, higher = less sure.
    probabilities : numpy.ndarray
        ``(classes, rows, cols)`` prediction of the same image.
    favoured : sequence of int
        Painted values to seek; those :func:`seen_classes` leaves out are skipped.
    weight : float
        Exponent of the factor, finite and at least 0; 0 returns ``uncertainty``.

    Returns
    -------
    numpy.ndarray
        float32 map of ``uncertainty``'s shape: higher where the model sees
        more of the favoured classes than on the image on average, near 0
        where it sees none of them; ``uncertainty`` itself when no favoured
        class is seen on this image.

    Raises
    ------
    ValueError
        For a negative or non-finite ``weight``.
    """
    check_weight("weight", weight)
    return _weighted(uncertainty, probabilities, seen_classes(probabilities, favoured), weight)


def _weighted(
    uncertainty: np.ndarray, probabilities: np.ndarray, values: list[int], weight: float
) -> np.ndarray:
    """:func:`emphasised_uncertainty` for ``values`` already :func:`seen_classes`."""
    if not weight or not values:
        return uncertainty
    # float32 throughout: a 16 384² image's three float64 maps would take 6 GB.
    seen = np.array(probabilities[values[0] - 1], np.float32)
    for value in values[1:]:
        seen += probabilities[value - 1]
    seen /= float(np.mean(seen, dtype=np.float64))
    return np.asarray(uncertainty, np.float32) * seen**weight


def seeking_map(
    model: SegmentationModel,
    image: np.ndarray,
    uncertainty: np.ndarray,
    favoured: Sequence[int],
    weight: float = THIN_CLASS_WEIGHT,
    probabilities: np.ndarray | None = None,
) -> tuple[np.ndarray, list[int]]:
    """The map boxes are ranked on, and the classes it seeks on this image.

    Predicts ``image`` (one more pass of the network) only when a class is
    favoured, ``weight`` is not 0 and ``probabilities`` are not given.

    Parameters
    ----------
    model : SegmentationModel
        The model whose uncertainty ``uncertainty`` is.
    image : numpy.ndarray
        The 2D image (grey or RGB) the map covers.
    uncertainty, favoured, weight
        As for :func:`emphasised_uncertainty`.
    probabilities : numpy.ndarray, optional
        ``model``'s prediction of ``image`` when the caller has it already
        (:func:`~napari_finetune.inference.uncertainty.uncertainty_and_prediction`).

    Returns
    -------
    tuple
        ``(map, values)``: :func:`emphasised_uncertainty` of ``model``'s
        prediction, and the favoured values it used (:func:`seen_classes`;
        empty when the map is ``uncertainty`` as it was).
    """
    if not weight or not favoured:
        return uncertainty, []
    if probabilities is None:
        probabilities = predict(model, image)
    values = seen_classes(probabilities, favoured)  # read once: the channel means are large
    return _weighted(uncertainty, probabilities, values, weight), values
