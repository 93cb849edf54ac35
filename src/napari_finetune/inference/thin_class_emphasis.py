"""Suggested boxes that seek a class the painting shows little of.

A class painted on a few hundred pixels is the one the network learns least
(:mod:`napari_finetune.training.thin_classes`), and uncertainty does not
single it out: a small phase is a small share of any box's uncertain pixels.
Weighting each pixel's uncertainty by how much more of the thin classes the
model sees there than on the image on average sends boxes where that class
is. On the superalloy's
tuning split (``benchmarks/bench_active_learning.py --datasets "tuning
superalloy"``: train images of spots 3-5 painted, spots 6-7 scored, the val
images never read; 2 boxes of 64² a round, seeds 0-5) mean IoU after rounds
2-5 went 0.599 / 0.657 / 0.722 / 0.744 → 0.595 / 0.664 / 0.734 / 0.770 and
tertiary-γ′ IoU after round 5 0.565 → 0.604 (random boxes: 0.648 / 0.701 /
0.719 / 0.763); on the val images, scored once after the choice, 0.569 / 0.630 /
0.687 / 0.720 → 0.580 / 0.646 / 0.730 / 0.794 (seeds 0-4). It changes nothing
while no class is thin (the boundary sets' rounds). README, *Active learning
on phases*.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    """What the suggested boxes seek, in words; empty when they seek no class.

    Parameters
    ----------
    names : sequence of str
        The favoured classes' names (:attr:`~napari_finetune.session.Suggestions.favoured`).
    """
    if not names:
        return ""
    which = "which is" if len(names) == 1 else "which are"
    quoted = listed([f"'{name}'" for name in names])
    return f"The boxes favour where the model sees {quoted}, {which} painted thinly so far."


def emphasised_uncertainty(
    uncertainty: np.ndarray,
    probabilities: np.ndarray,
    favoured: Sequence[int],
    weight: float = THIN_CLASS_WEIGHT,
) -> np.ndarray:
    """``uncertainty`` x (the favoured classes' probability / its image mean) ^ ``weight``.

    Parameters
    ----------
    uncertainty : numpy.ndarray
        ``(rows, cols)`` map, higher = less sure.
    probabilities : numpy.ndarray
        ``(classes, rows, cols)`` prediction of the same image.
    favoured : sequence of int
        Painted values to seek (value ``v`` is probability channel ``v - 1``);
        values beyond the model's classes are skipped.
    weight : float
        Exponent of the factor; 0 returns ``uncertainty`` unchanged.

    Returns
    -------
    numpy.ndarray
        float64 map of ``uncertainty``'s shape: windows where the model sees
        more of the favoured classes than on the image on average score
        higher, windows where it sees none score near 0. Scores compare
        across images as uncertainty does (the factor averages 1 on each image).
        ``uncertainty`` itself when nothing is favoured or the model sees none
        of the favoured classes on this image.
    """
    channels = [value - 1 for value in favoured if 1 <= value <= len(probabilities)]
    if not weight or not channels:
        return uncertainty
    seen = np.asarray(probabilities, np.float64)[channels].sum(0)
    mean = float(seen.mean())
    if mean < NOT_SEEN:
        return uncertainty
    return np.asarray(uncertainty, np.float64) * (seen / mean) ** weight


def seeking_map(
    model: SegmentationModel,
    image: np.ndarray,
    uncertainty: np.ndarray,
    favoured: Sequence[int],
    weight: float = THIN_CLASS_WEIGHT,
) -> np.ndarray:
    """The map boxes are ranked on: :func:`emphasised_uncertainty` of ``model`` on ``image``.

    Predicts ``image`` (one more pass of the network) only when a class is favoured.

    Parameters
    ----------
    model : SegmentationModel
        The model whose uncertainty ``uncertainty`` is.
    image : numpy.ndarray
        The 2D image (grey or RGB) the map covers.
    uncertainty, favoured, weight
        As for :func:`emphasised_uncertainty`.
    """
    if not weight or not favoured:
        return uncertainty
    return emphasised_uncertainty(uncertainty, predict(model, image), favoured, weight)
