"""Which class the painting shows far less of than the others, or not at all.

A class painted on a few hundred pixels beside tens of thousands of the
others is the class the network learns least, and no weighting of the loss
made up for it. On the NASA superalloy (3 train images × 4 boxes of 48²,
``world-unet``, 60 s, seeds 0-8; README, *A thinly painted class*) the six
paintings whose boxes held under a twentieth as many tertiary γ′ pixels as
the most-painted phase (2.3-4.7 %) scored tertiary-γ′ IoU 0.62-0.71 (mean
0.67; 0.62 at 2.3 %, whose images fully labelled scored 0.73), the two with
7.6 % 0.70 and 0.73. The ninth painting held no tertiary γ′ at all: the phase
was named but never predicted (IoU 0, mean IoU 0.62 against 0.83-0.87).
Weighting the thin class's pixels up in the cross-entropy (by the inverse
square root or the inverse of the painted counts) moved the thinnest painting
by −0.002 to +0.012 mean IoU and cost two others 0.006 and 0.008. What helps is
paint on that class, so the dock and a run's first messages say which class
is thin, and which named class is not painted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

# A class with under this share of the most-painted class's pixels counts as thin.
THIN_SHARE = 0.05
# Rows of a plane counted at once: a 30 000-column mosaic costs tens of MB, not GB.
ROWS_AT_ONCE = 1024
# Painted values below this are counted with a histogram, others by sorting.
BINCOUNT_BELOW = 65536


def painted_counts(labels: Sequence[np.ndarray] | np.ndarray) -> dict[int, int]:
    """Painted pixels of each class (value 0, unpainted, left out).

    Parameters
    ----------
    labels : numpy.ndarray or sequence of them
        Painted labels, 2D or stacks of planes; array-likes that slice (dask,
        zarr) are read a block of rows at a time.

    Returns
    -------
    dict
        Painted value -> pixel count, for every value painted at least once.
    """
    if hasattr(labels, "shape"):  # one array, not a list of them
        labels = [labels]
    counts: dict[int, int] = {}
    for stack in labels:
        shape = np.shape(stack)
        if len(shape) < 2:
            continue
        for index in np.ndindex(*shape[:-2]):
            for top in range(0, shape[-2], ROWS_AT_ONCE):
                block = np.asarray(stack[(*index, slice(top, top + ROWS_AT_ONCE))])
                for value, count in _block_counts(block).items():
                    counts[value] = counts.get(value, 0) + count
    return counts


def _block_counts(block: np.ndarray) -> dict[int, int]:
    """Painted value -> pixels in one block of rows.

    A histogram where the values are small non-negative integers (the dock
    counts on every brush stroke: for a fully painted 4096² image 0.04 s here,
    sorting 0.26 s), sorting otherwise (instance ids in the millions, negative
    values, floats).
    """
    small = np.issubdtype(block.dtype, np.integer) and block.size > 0
    if small and block.min() >= 0 and block.max() < BINCOUNT_BELOW:
        histogram = np.bincount(block.ravel().astype(np.intp, copy=False))
        values = np.flatnonzero(histogram[1:]) + 1
        found = histogram[values]
    else:
        values, found = np.unique(block[block != 0], return_counts=True)
    return {int(v): int(n) for v, n in zip(values.tolist(), found.tolist(), strict=True)}


def thin_classes(counts: Mapping[int, int], share: float = THIN_SHARE) -> list[int]:
    """The values with under ``share`` of the most-painted class's pixels (0 px included).

    Parameters
    ----------
    counts : Mapping
        Value -> painted pixels, as :func:`painted_counts` gives (a named
        class not painted: 0).
    share : float
        The thin share of the largest count.

    Returns
    -------
    list of int
        Thin values, fewest pixels first; empty with fewer than two classes.
    """
    if len(counts) < 2:
        return []
    most = max(counts.values())
    thin = [value for value, count in counts.items() if count < share * most]
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
        Values the user named as classes: one not painted at all is named too
        (the start model's own names are not: its head may know them already).

    Examples
    --------
    ``"'tertiary γ′' is painted on 324 px, 2 % of the 14,017 px of 'secondary
    γ′': the network learns it least. Paint more of it where it occurs."``
    """
    counts = painted_counts(labels)
    if not counts:
        return ""
    for value in named:
        counts.setdefault(int(value), 0)
    thin = thin_classes(counts)
    if not thin:
        return ""
    names = names or {}
    most = max(counts, key=lambda value: (counts[value], -value))

    def name(value: int) -> str:
        return f"'{names.get(value, f'class {value}')}'"

    parts = [
        f"{name(value)} is named but not painted"
        if not counts[value]
        else f"{name(value)} is painted on {counts[value]:,} px, "
        f"{_percent(counts[value] / counts[most])} of the {counts[most]:,} px of {name(most)}"
        for value in thin
    ]
    it, occurs = ("it", "it occurs") if len(thin) == 1 else ("them", "they occur")
    unpainted = sum(not counts[value] for value in thin)
    if unpainted == len(thin):
        effect = f"the network cannot predict {it}"
    elif unpainted:
        effect = "the network cannot predict what is not painted and learns least what is thin"
    else:
        effect = f"the network learns {it} least"
    return f"{'; '.join(parts)}: {effect}. Paint more of {it} where {occurs}."


def _percent(fraction: float) -> str:
    """``'2 %'``; under 1 % with a decimal (``'0.4 %'``), so that a trace never reads 0 %."""
    if fraction < 0.001:
        return "under 0.1 %"
    return f"{fraction * 100:.1f} %" if fraction < 0.01 else f"{fraction * 100:.0f} %"
