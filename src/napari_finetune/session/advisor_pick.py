"""Whether a strategy comparison's pick still applies, and which start model it needs.

A comparison measures strategies from the start model the dock had when its
runs began, on the paintings it had then. A pick used later must set that
start again (the user may have switched it since), and is no pick at all once
the paintings changed: the runs measured other labels. A script that keeps a
recommendation around asks the same question as the dock's **Use** button.
What a comparison measures on is hashed where it runs (:func:`compare_measured`),
not on the GUI thread that starts it. A comparison trains on what a round trains on:
every painted plane of a stack, not the plane in view alone (of a deep stack, only the
painted planes are read).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from napari_finetune.models.registry import DEFAULT_MODEL
from napari_finetune.session.deep_stacks import painted_planes, training_inputs
from napari_finetune.session.lazy_rule import is_deep_stack
from napari_finetune.session.options import CURRENT, SCRATCH
from napari_finetune.session.pairs import Pair, read_pairs
from napari_finetune.training.advisor import compare_strategies


def painting_fingerprint(images: Sequence[ArrayLike], labels: Sequence[np.ndarray]) -> str:
    """A digest of the images and painted labels a comparison runs on.

    Equal digests: the same pixels and the same strokes (a hash, so a pick
    does not keep copies of every painting alive). Of a deep stack only the
    painted planes count (and which they are): the others are not trained on,
    and a lazy stack is read there alone, so that a stack read for training
    (its other planes left empty) and the layer's own give one digest.
    """
    digest = hashlib.blake2b(digest_size=16)
    for image, painted in zip(images, labels, strict=True):
        if is_deep_stack(np.shape(painted)):
            planes = painted_planes(painted)
            parts = [*(image[z] for z in planes), *(painted[z] for z in planes)]
        else:
            planes, parts = None, [image, painted]
        # Plain ints: a lazy array's shape may hold NumPy integers, printed otherwise.
        shapes = [tuple(map(int, np.shape(a))) for a in (image, painted)]
        digest.update(f"{shapes}{planes}".encode())
        for part in parts:
            array = np.ascontiguousarray(part)
            digest.update(str(array.dtype).encode())
            digest.update(array.data)
    return digest.hexdigest()


@dataclass(frozen=True)
class MeasuredOn:
    """What the dock started from and painted: when the runs began, or now.

    Attributes
    ----------
    start : str or Path
        The dock's *start from*: a shipped name, ``'scratch'``, ``'current'`` or a checkpoint.
    paintings : str
        :func:`painting_fingerprint` of the painted pairs.
    current : int or None
        Which current model (``id`` of it) when ``start`` is ``'current'``.
    """

    start: str | Path
    paintings: str
    current: int | None = None


def measured_on(
    start: str | Path, current: object, images: Sequence[ArrayLike], labels: Sequence[np.ndarray]
) -> MeasuredOn:
    """The :class:`MeasuredOn` of a start, a current model and paintings (hashed here).

    Parameters
    ----------
    start : str or Path
        The dock's *start from*.
    current : SegmentationModel or None
        The current model (which one matters only when ``start`` is ``'current'``).
    images, labels : sequence of arrays
        The images and painted labels a comparison runs on (read here, when lazy;
        of a deep stack, its painted planes: :func:`painting_fingerprint`).
    """
    fingerprint = painting_fingerprint(images, labels)
    return MeasuredOn(start, fingerprint, id(current) if str(start) == CURRENT else None)


def compare_measured(
    start: str | Path, current: object, model: object, pairs: Sequence[Pair], **options: object
) -> Iterator[object]:
    """:func:`~napari_finetune.training.advisor.compare_strategies`, after what it measures on.

    Meant for the thread that runs the comparison (the dock's worker): lazy
    images are read there, once, and the paintings are hashed there, not on
    the GUI thread that starts the comparison. The runs train on what a round
    would: every painted plane of a stack (of a deep stack only those are read,
    as :func:`~napari_finetune.session.deep_stacks.training_inputs` reads them);
    of a deep stack with nothing painted, the plane in view (unlabelled data).

    Parameters
    ----------
    start, current : str or Path, SegmentationModel or None
        The dock's *start from* and current model (for :func:`measured_on`).
    model : str, Path, SegmentationModel or None
        What the runs start from (None: the default model; ``scratch`` ignores it).
    pairs : sequence of Pair
        The images compared on and their painted labels: a snapshot (painting
        copies), which must not change while the comparison runs.
    **options
        Further keyword arguments of ``compare_strategies``.

    Yields
    ------
    Preparing, MeasuredOn, then the comparison's events
        What is being read, then the paintings measured, before any run.

    Raises
    ------
    ValueError
        When an image cannot be read (naming it), and as ``compare_strategies`` refuses.
    """
    read = yield from read_pairs(list(pairs))
    images, labels = yield from training_inputs(read)
    yield measured_on(start, current, images, labels)
    for index, pair in enumerate(read):
        if pair.deep and not painted_planes(pair.labels):
            # Nothing to train on, only unlabelled data: its plane in view, as before, not
            # the whole stack (compare_strategies would read a lazy one whole).
            images[index], labels[index] = np.asarray(pair.plane_image), pair.plane_labels
    start_model = DEFAULT_MODEL if model is None else model
    yield from compare_strategies(images, labels, start_model, **options)


@dataclass(frozen=True)
class PickUse:
    """How to use a pick: the start model to set, or why it no longer applies."""

    source: str | Path | None  # the *start from* to set; None: any start will do
    note: str | None = None  # why Use is refused (then nothing is set)


def use_pick(
    pick: object, measured: MeasuredOn, now: MeasuredOn, other_starts: tuple[str, ...]
) -> PickUse:
    """The start model a pick was measured from, or why it no longer applies.

    Parameters
    ----------
    pick : Recommendation
        What the comparison recommends (its ``strategy`` and ``start``).
    measured : MeasuredOn
        The dock's start and paintings when the comparison's runs began.
    now : MeasuredOn
        The dock's start and paintings now.
    other_starts : tuple of str
        The shipped models the comparison also started from.

    Returns
    -------
    PickUse
        ``source``: a pick from one of ``other_starts`` is that model; a
        pretrained pick from the user's start is that start as it was (the
        default when it was *from scratch*: the runs used it); a ``scratch``
        pick needs none. ``note`` when the paintings changed since, or the
        runs started from a current model that has since been replaced.
    """
    if now.paintings != measured.paintings:
        return PickUse(
            None,
            "your paintings changed after the comparison: its runs measured other "
            "labels. Compare again to pick for these.",
        )
    if pick.strategy == "scratch":
        return PickUse(None)
    if pick.start and pick.start in other_starts:
        return PickUse(pick.start)
    if str(measured.start) == SCRATCH:
        return PickUse(DEFAULT_MODEL)
    if str(measured.start) == CURRENT and now.current != measured.current:
        return PickUse(
            None,
            "the runs started from the current model you had then, and it has been "
            "replaced since. Compare again to pick for the model you have now.",
        )
    return PickUse(measured.start)
