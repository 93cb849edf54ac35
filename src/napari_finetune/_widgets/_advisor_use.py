"""**Use '…'** of *Compare strategies*: the dock's start and paintings, read and set.

Whether a pick still applies, and which start model it needs, is decided in
the core (:mod:`napari_finetune.session.advisor_pick`); this reads what the
dock has and sets what the core says.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from napari_finetune._widgets._round_controls import FROM_FILE
from napari_finetune.choices import SEMI_SUPERVISED_OF
from napari_finetune.session.advisor_pick import MeasuredOn, measured_on, use_pick
from napari_finetune.training.class_contact import AUTO

if TYPE_CHECKING:
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


def measured_now(dock: FineTuneWidget, pairs: list) -> MeasuredOn:
    """The dock's start model and ``pairs``' paintings now (for **Use**'s check, at its click).

    A comparison measures what it runs on in its worker instead
    (:func:`~napari_finetune.session.advisor_pick.compare_measured`).
    """
    images, labels = [p.image for p in pairs], [p.labels for p in pairs]  # every plane, as run
    return measured_on(dock.settings.start(), dock.model, images, labels)


def apply_pick(
    dock: FineTuneWidget, pick: object, measured: MeasuredOn, other_starts: tuple[str, ...]
) -> str | None:
    """Set the pick's start, strategy, BatchNorm and pseudo-labels in the dock, or say why not.

    Returns
    -------
    str or None
        Why the pick no longer applies (nothing was set), else None.
    """
    try:
        now = measured_now(dock, dock.pairs.session_pairs())
    except ValueError as err:  # a painting removed or emptied since the runs
        now = MeasuredOn(dock.settings.start(), f"unreadable: {err}")
    use = use_pick(pick, measured, now, other_starts)
    if use.note is not None:
        return use.note
    if isinstance(use.source, Path):
        dock.settings.source.value = FROM_FILE
        dock.settings.checkpoint.value = use.source
    elif use.source is not None:
        dock.settings.source.value = use.source
    dock.strategy.value = pick.strategy  # counts as the user's choice
    dock.bn_mode.value = pick.bn_mode
    on = SEMI_SUPERVISED_OF[pick.pseudo_labels]
    if on != AUTO:  # the runs said on or off: so does the box, as the user's choice
        dock.settings.choose_pseudo_labels(on)
    dock.status.value = f"Strategy set to '{pick.candidate}' (Compare strategies)."
    return None
