"""The Fine-tune dock's line naming a class the painting shows far less of than the others.

A class painted on a few hundred pixels beside tens of thousands of the others
is learnt least (the core decides which, and says why:
:mod:`napari_finetune.training.thin_classes`). The line sits under the
training rows, in the class names the user typed (else the start model's,
as a run names them), also naming a typed class not painted at all, and is
hidden while no class is thin. It only reads the paintings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari_finetune._widgets._controls import wrapping_label
from napari_finetune._widgets._data_bar_notice import WARNING_STYLE
from napari_finetune.models.model import DEFAULT_CLASSES
from napari_finetune.training.thin_classes import thin_class_notice

if TYPE_CHECKING:
    from napari_finetune._widgets._training_pairs import TrainingPairs


class ThinClassNotice:
    """The line under the training rows; the dock calls :meth:`check` as the painting changes.

    Parameters
    ----------
    pairs : TrainingPairs
        The dock's training rows: their chosen paintings are counted.
    """

    def __init__(self, pairs: TrainingPairs) -> None:
        self._pairs = pairs
        self._start_names = dict(DEFAULT_CLASSES)  # the shipped start models', as the rows
        self.line = wrapping_label()
        self.line.native.setStyleSheet(WARNING_STYLE)
        self.line.visible = False
        self.widgets = [self.line]
        # The dock checks on every brush stroke and row change; renamed classes here.
        pairs.class_names.native.editingFinished.connect(self.check)

    def name_as_start(self, names: dict[int, str] | None) -> None:
        """Name the classes as the start model chosen now does, where none is typed.

        Shown at the next :meth:`check` (the dock's, right after: one read of the paintings).
        """
        self._start_names = dict(names or {})

    def check(self, _event: object = None) -> None:
        """Show the thin classes of the chosen paintings, or hide the line."""
        try:
            typed = self._pairs.named_classes() or {}
        except ValueError:  # unreadable typed names: the field itself says so
            typed = {}
        names = self._start_names | typed  # as the run names them
        text = thin_class_notice(self._pairs.painted_labels(), names, typed)
        self.line.value = text
        self.line.visible = bool(text)
