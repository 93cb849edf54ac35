"""Which class the painting shows little of beside the others, or not at all.

A class painted on a few hundred pixels beside tens of thousands of the others
gives the network little to learn from. On the NASA superalloy (3 train images
× 4 boxes of 48², ``world-unet``, 60 s, seeds 0-8; README, *A thinly painted
class*) the six paintings with under 1 000 px of tertiary γ′ (324-649 px, 2.3-
4.7 % of the most-painted phase) scored tertiary-γ′ IoU 0.62-0.71, the two
thinnest (2.3 %, 3.0 %) lowest (0.62, 0.65); the two with about 1 060 px
(7.6 %) 0.70 and 0.73, as seed 1's images fully labelled (0.73). The seeds
paint different images, so this is a correlation, not a controlled test. The
ninth painting held no tertiary γ′ at all: the phase was named but never
predicted (IoU 0, mean IoU 0.62 against 0.83-0.87). Weighting the thin class's
pixels up in the cross-entropy (by the inverse square root or the inverse of
the painted counts) moved the thinnest painting by −0.002 to +0.012 mean IoU
and lowered the other two tried (0.863 → 0.858, 0.873 → 0.864). So the dock
and a run's first messages name such a class: if the images hold more of it,
painting more of it is what helps. Tertiary γ′ is rare in these images
themselves (3.1-5.8 % of the most common phase on fully labelled images), so
a share alone would name it on every fully labelled set: thin also takes
under :data:`THIN_PIXELS` painted pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from napari_finetune.choices import listed
from napari_finetune.data.class_counts import painted_counts

# Thin: under this share of the most-painted class's pixels, and under THIN_PIXELS.
THIN_SHARE = 0.05
THIN_PIXELS = 1000
# Thin classes named in one notice; more are counted.
NAMED_AT_MOST = 3


def thin_classes(
    counts: Mapping[int, int], share: float = THIN_SHARE, pixels: int = THIN_PIXELS
) -> list[int]:
    """The values painted on under ``pixels`` px and under ``share`` of the most-painted one's.

    Parameters
    ----------
    counts : Mapping
        Value -> painted pixels, as :func:`painted_counts` gives (a named
        class not painted: 0).
    share : float
        The thin share of the largest count.
    pixels : int
        Fewer painted pixels than this, too.

    Returns
    -------
    list of int
        Thin values, fewest pixels first; empty with fewer than two classes.
    """
    if len(counts) < 2:
        return []
    most = max(counts.values())
    thin = [v for v, count in counts.items() if count < share * most and count < pixels]
    return sorted(thin, key=lambda value: (counts[value], value))


def thin_class_notice(
    labels: Sequence[np.ndarray] | np.ndarray,
    names: Mapping[int, str] | None = None,
    named: Iterable[int] = (),
) -> str:
    """The sentence naming the thinly painted (or unpainted) classes, or '' when none.

    Parameters
    ----------
    labels : numpy.ndarray or sequence of them
        The painted labels of a run (0 = unpainted).
    names : Mapping, optional
        Painted value -> class name; a value without a name is "class <value>".
    named : iterable of int
        Values the user named as classes. One above every painted value gets
        no output in the network, so it is named when not painted; a smaller
        one keeps the start model's output where the start has it (a run
        refuses a gap it cannot fill).

    Returns
    -------
    str
        E.g. ``"'tertiary γ′' is rare in your painting: 324 px, 2.3 % of the
        14,017 px of 'secondary γ′'. The network learns little from so few;
        if your images hold more of it, paint more of it."``
    """
    counts = painted_counts(labels)
    if not counts:
        return ""
    top = max(counts)
    for value in named:
        if int(value) > top:
            counts.setdefault(int(value), 0)
    thin = thin_classes(counts)
    if not thin:
        return ""
    names = names or {}
    most = max(counts, key=lambda value: (counts[value], -value))

    def name(value: int) -> str:
        return f"'{names.get(value, f'class {value}')}'"

    said = [v for v in thin if not counts[v]][:NAMED_AT_MOST]
    said += [v for v in thin if counts[v]][: NAMED_AT_MOST - len(said)]
    unpainted = [name(v) for v in said if not counts[v]]
    rare = [
        f"{name(v)} ({counts[v]:,} px, {_percent(counts[v] / counts[most])})"
        for v in said
        if counts[v]
    ]
    more = len(thin) - len(said)
    parts = []
    if unpainted:
        one = len(unpainted) == 1
        it, where = ("it", "it occurs") if one else ("them", "they occur")
        parts.append(
            f"{listed(unpainted)} {'is' if one else 'are'} named but not painted: the "
            f"network cannot predict {it}; paint {it} where {where}."
        )
    if len(rare) == 1 and not unpainted and not more:
        v = said[0]
        parts.append(
            f"{name(v)} is rare in your painting: {counts[v]:,} px, "
            f"{_percent(counts[v] / counts[most])} of the {counts[most]:,} px of {name(most)}. "
            "The network learns little from so few; if your images hold more of it, paint "
            "more of it."
        )
    elif rare:
        it = "it" if len(rare) == 1 and not more else "them"
        which = listed(rare + ([f"{more} more"] if more else []))
        parts.append(
            f"Rare in your painting beside the {counts[most]:,} px of {name(most)}: {which}; "
            f"if your images hold more of {it}, paint more of {it}."
        )
    return " ".join(parts)


def _percent(fraction: float) -> str:
    """One decimal, rounded down, so that a class under 5 % never reads 5 %."""
    if fraction < 0.001:
        return "under 0.1 %"
    return f"{math.floor(fraction * 1000) / 10:.1f} %"
