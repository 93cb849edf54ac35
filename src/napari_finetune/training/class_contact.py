"""Whether a painting shows where its classes meet, and so whether pseudo-labels help.

A box painted completely shows the network both sides of every boundary in it:
painted boundary pixels touch painted interior pixels. Strokes do not: a
boundary is traced on its own and interiors are scribbled well clear of it, so
nothing says how far a boundary extends sideways, and fine-tuning learns thick
boundaries. On the demo's SEM-rendered grains, which the start model already
segmented (boundary F1 0.9995 before training), 60 s of fine-tuning on its
strokes fell to 0.765 / 0.823 / 0.810 (seeds 0 / 1 / 2); with the mean
teacher's pseudo-labels on the unpainted pixels
(:mod:`~napari_finetune.training.unlabelled`) it kept 0.997 / 0.998 / 0.999.
On task B's stroke paintings (6 + 6 strokes on 3 images, 60 s) they rose too
(0.825 / 0.796 / 0.812 → 0.867 / 0.855 / 0.841). On box paintings they were
not a win on every set (README, *Strokes teach with pseudo-labels*), so
``semi_supervised='auto'`` turns them on only for a painting whose classes
rarely meet: :func:`class_contact` below :data:`STROKES_BELOW`, and only on
the start model's own head: on the superalloy's three phases painted with
strokes (a new head on the two-class start model) they cost 0.10 mIoU.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from napari_finetune.choices import as_sentence

# Of the edges from painted pixels to other pixels, this share or more must reach
# another painted class for the painting to count as showing where classes meet.
# The benchmark box paintings (3 images × 4 boxes of 48²) score 0.49-0.83, strokes
# kept clear of each other 0, and the demo's strokes with one 48² box beside them
# 0.06-0.20: pseudo-labels lifted those too (a box around a boundary, 0.17-0.20:
# 0.720 / 0.966 / 0.913 → 0.999 / 1.000 / 0.999), as the strokes' sides stay
# unpainted.
STROKES_BELOW = 0.25
AUTO = "auto"
# Rows of a plane read at once: a 30 000-column mosaic costs tens of MB, not GB.
ROWS_AT_ONCE = 1024
UNLABELLED_UNUSED = (
    "your painting shows where classes meet, so pseudo-labels stay off ('auto'): the "
    "unlabelled images given are not used (semi_supervised=True uses them)"
)
# Strokes that train a new output head (another class count, or from scratch):
# its teacher knows nothing of them. On the superalloy's three phases painted with strokes
# (world-unet has two classes) pseudo-labels cost 0.10 mIoU at the median (README).
NEW_HEAD_NOTICE = (
    "your strokes train a new output head (another class count than the start model's), so "
    "pseudo-labels stay off ('auto'): its teacher would know nothing of your classes "
    "(semi_supervised=True turns them on)"
)
NEW_HEAD_ADVICE = (
    "Off (suggested): your strokes train a new output head (another class count than the "
    "start model's, or from scratch), whose teacher would know nothing of them; on phases "
    "painted so, pseudo-labels cost 0.10 mIoU."
)
STROKES_NOTICE = (
    "your painting rarely shows where two classes meet (strokes): also learning from the "
    "unpainted pixels between them (pseudo-labels), which teach where the edges are"
)


def class_contact(labels: Sequence[np.ndarray]) -> float | None:
    """Share of the painting's outer edges where one painted class meets another.

    Counts, for every painted pixel and each of its four neighbours within its
    plane (the last two axes), whether the neighbour is unpainted (an open
    edge) or painted with another class (a contact), and returns
    contacts / (contacts + open edges). Reads a plane :data:`ROWS_AT_ONCE`
    rows at a time, so a large (or lazily loaded) label layer costs little
    memory.

    Parameters
    ----------
    labels : numpy.ndarray or sequence of them
        Painted labels (0 = unpainted), 2D or stacks of planes; array-likes
        that slice (dask, zarr) are read a block of rows at a time.

    Returns
    -------
    float or None
        0 when classes never touch, 1 when every painted pixel's neighbours
        are painted; None when nothing painted has an unpainted or other-class
        neighbour (e.g. nothing painted).
    """
    return _contact_and_highest(labels)[0]


def _contact_and_highest(labels: Sequence[np.ndarray]) -> tuple[float | None, int]:
    """:func:`class_contact` and the highest painted value (0: nothing painted), in one pass."""
    if hasattr(labels, "shape"):  # one array, not a list of them
        labels = [labels]
    contacts = open_edges = highest = 0
    for stack in labels:
        shape = np.shape(stack)
        for index in np.ndindex(*shape[:-2]):
            for top in range(0, shape[-2], ROWS_AT_ONCE):
                # One row more than the block's own: the vertical pairs across its edge.
                rows = slice(top, top + ROWS_AT_ONCE + 1)
                block = np.asarray(stack[(*index, rows)])
                painted_columns = np.flatnonzero(block.any(axis=0))
                if not painted_columns.size:
                    continue
                # Only the painted columns and one unpainted beside them: a box on a
                # 30 000-column mosaic no longer costs the whole width on every stroke.
                first, last = painted_columns[0], painted_columns[-1]
                block = block[:, max(first - 1, 0) : last + 2]
                highest = max(highest, int(block.max()))
                own = block[:ROWS_AT_ONCE]
                for a, b in ((own[:, :-1], own[:, 1:]), (block[:-1], block[1:])):
                    a_painted, b_painted = a != 0, b != 0
                    open_edges += int(np.count_nonzero(a_painted ^ b_painted))
                    # A pair of classes that meet is an edge of each of its pixels.
                    contacts += 2 * int(np.count_nonzero(a_painted & b_painted & (a != b)))
    edges = contacts + open_edges
    return (contacts / edges if edges else None), highest


class Contact:
    """A painting's :func:`class_contact` and highest class, measured once, when first read.

    Parameters
    ----------
    labels : sequence of numpy.ndarray
        The painted labels (0 = unpainted).
    """

    def __init__(self, labels: Sequence[np.ndarray]) -> None:
        self._labels = labels

    @functools.cached_property
    def _measured(self) -> tuple[float | None, int]:
        return _contact_and_highest(self._labels)  # one block-wise pass, the first time only

    @property
    def value(self) -> float | None:
        """:func:`class_contact` of the labels."""
        return self._measured[0]

    @property
    def highest(self) -> int:
        """The highest painted class (0: nothing painted): a run's class count."""
        return self._measured[1]


@dataclass(frozen=True)
class SwitchAdvice:
    """Whether a switch is suggested on for a painting, and the sentence that says why."""

    on: bool
    explanation: str


def advise_for_strokes(
    painting: Sequence[np.ndarray] | Contact, strokes: str, boxes: str, nothing: str
) -> SwitchAdvice:
    """On for a painting whose classes rarely meet (strokes), off for one where they meet.

    Parameters
    ----------
    painting : sequence of numpy.ndarray, or Contact
        The painted labels of the run (0 = unpainted), or their measured contact.
    strokes, boxes, nothing : str
        The sentence for strokes (on), for boxes (off) and for nothing painted yet.
    """
    contact = painting.value if isinstance(painting, Contact) else class_contact(painting)
    if contact is None:
        return SwitchAdvice(False, nothing)
    if contact < STROKES_BELOW:
        return SwitchAdvice(True, strokes)
    return SwitchAdvice(False, boxes)


def suggest_pseudo_labels(
    painting: Sequence[np.ndarray] | Contact, start_classes: int | None = None
) -> SwitchAdvice:
    """Pseudo-labels on for strokes on the start model's own head, else off.

    On for a painting whose classes rarely meet (strokes), unless it trains a
    new output head (:func:`trains_new_head`), as ``'auto'`` decides in a run
    (:func:`plan_pseudo_labels`).

    Parameters
    ----------
    painting : sequence of numpy.ndarray, or Contact
        The painted labels of the run (0 = unpainted), or their measured contact.
    start_classes : int, optional
        How many classes the start model's head has; 0 from scratch (a fresh
        network knows none). None when not known: the head is not judged.
    """
    contact = painting if isinstance(painting, Contact) else Contact(painting)
    advice = advise_for_strokes(
        contact,
        as_sentence(f"{STROKES_NOTICE} (suggested)"),
        "Off (suggested): your painting shows where classes meet, and on such paintings "
        "pseudo-labels did not help on every set measured.",
        "Suggested once you paint: on for strokes, whose classes rarely meet.",
    )
    if advice.on and trains_new_head(start_classes, contact):
        return SwitchAdvice(False, NEW_HEAD_ADVICE)
    return advice


def trains_new_head(start_classes: int | None, painting: Contact) -> bool:
    """Whether a run on ``painting`` trains a new output head (:func:`new_head`).

    Its class count is the highest painted class; never when ``start_classes``
    is None (not known) or nothing is painted.
    """
    highest = painting.highest
    return start_classes is not None and highest > 0 and new_head(start_classes, highest)


def new_head(start_classes: int, n_classes: int) -> bool:
    """Whether a run of ``n_classes`` classes trains a new output head on the start's.

    It does when the start model's head has another class count
    (``start_classes``; 0 from scratch, which always trains a new one), as
    :func:`~napari_finetune.training.start.resolve_model` decides.
    """
    return start_classes != n_classes


def resolve_semi_supervised(
    semi_supervised: bool | str, labels: Sequence[np.ndarray] | Contact
) -> bool:
    """``semi_supervised`` as a run uses it: ``'auto'`` asks :func:`suggest_pseudo_labels`.

    Raises
    ------
    ValueError
        Anything but True, False or ``'auto'``.
    """
    return resolve_switch("semi_supervised", semi_supervised, labels, suggest_pseudo_labels)


def resolve_switch(
    name: str,
    value: bool | str,
    labels: Sequence[np.ndarray] | Contact,
    suggest: Callable[[Sequence[np.ndarray] | Contact], SwitchAdvice],
) -> bool:
    """A switch that takes True, False or ``'auto'``, as a run uses it.

    ``'auto'`` asks ``suggest(labels).on``, the advice for the painting.

    Raises
    ------
    ValueError
        Anything but True, False or ``'auto'`` (the message names ``name``).
    """
    check_switch(name, value)
    if value == AUTO:
        return suggest(labels).on
    return bool(value)


def plan_pseudo_labels(
    semi_supervised: bool | str, labels: Sequence[np.ndarray], head_kept: bool = True
) -> tuple[bool, bool, bool]:
    """Whether a run learns from pseudo-labels, is strokes, and is on a new head ('auto').

    The painting is judged whenever pseudo-labels may be on: ``'auto'``
    follows it, and the mean teacher teaches strokes differently from boxes
    (:class:`~napari_finetune.training.unlabelled.MeanTeacher`'s ``keeps_start``).
    ``'auto'`` also stays off for strokes that train a new output head
    (``head_kept`` False: another class count than the start model's, or from
    scratch), whose teacher knows nothing of the classes (:data:`NEW_HEAD_NOTICE`).

    Raises
    ------
    ValueError
        Anything but True, False or ``'auto'``.
    """
    check_semi_supervised(semi_supervised)
    if not semi_supervised:
        return False, False, False
    # One block-wise pass over the painting, also when pseudo-labels are forced on.
    strokes = suggest_pseudo_labels(labels).on
    if semi_supervised != AUTO:
        return True, strokes, False
    return strokes and head_kept, strokes, strokes and not head_kept


def check_semi_supervised(semi_supervised: object) -> None:
    """ValueError unless ``semi_supervised`` is True, False or ``'auto'``."""
    check_switch("semi_supervised", semi_supervised)


def check_switch(name: str, value: object) -> None:
    """ValueError unless ``value`` is True, False or ``'auto'``; the message names ``name``."""
    if isinstance(value, str):
        valid = value == AUTO
    else:  # a switch: bools (numpy's too) and 0 / 1, as the plain flag always took
        valid = isinstance(value, int | np.bool_) and value in (0, 1)
    if not valid:
        raise ValueError(f"{name}={value!r} must be True, False or 'auto'.")
