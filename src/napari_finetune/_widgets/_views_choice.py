"""The *average flipped and rotated views* box, with the core's suggestion under it.

The core decides (:func:`~napari_finetune.inference.views_advice.suggest_average_views`:
on for strokes, off for boxes); the box follows what is painted until the user
clicks it, as *learn from unpainted pixels* does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from magicgui.widgets import CheckBox

from napari_finetune._widgets._controls import wrapping_label
from napari_finetune.choices import AVERAGE_VIEWS_HELP, as_sentence
from napari_finetune.inference.views_advice import suggest_average_views
from napari_finetune.training.class_contact import Contact

# For Predict, the predictions after Fine-tune and Apply to folder… alike.
VIEWS_TIP = (
    f"{as_sentence(AVERAGE_VIEWS_HELP)} Used by Predict (band by "
    "band too), the predictions after Fine-tune and Apply to folder…"
)
YOURS = {
    True: "On (your choice): predictions average the flipped and rotated views.",
    False: "Off (your choice): one view, the fastest.",
}


class ViewsChoice:
    """The box and the sentence under it that says why it is on or off."""

    def __init__(self) -> None:
        self.box = CheckBox(text="average flipped and rotated views", value=False)
        self.box.tooltip = VIEWS_TIP
        self.info = wrapping_label(suggest_average_views([]).explanation)
        self.chosen_by_user = False
        self.box.changed.connect(self._on_click)

    def suggest(self, painted: Sequence[np.ndarray] | Contact) -> None:
        """Follow the core's advice for ``painted`` (labels or their contact) until clicked."""
        if self.chosen_by_user:
            return
        advice = suggest_average_views(painted)
        with self.box.changed.blocked():
            self.box.value = advice.on
        self.info.value = advice.explanation

    def _on_click(self, on: bool) -> None:
        self.chosen_by_user = True
        self.info.value = YOURS[bool(on)]
