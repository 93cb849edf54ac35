"""What else *Compare strategies…* compares: BatchNorm modes, pseudo-labels, other starts.

Three boxes under the strategies; each multiplies the runs. What a ticked box
means for the comparison (which modes, which pseudo-label choices, which start
models) is read here, so the panel only passes it on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from magicgui.widgets import CheckBox

from napari_finetune.session.options import SCRATCH
from napari_finetune.training.advisor_candidates import pseudo_label_choice
from napari_finetune.training.advisor_starts import other_shipped_starts
from napari_finetune.training.class_contact import AUTO

if TYPE_CHECKING:
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


class ComparisonOptions:
    """The boxes for what each pretrained strategy also runs with, and what they mean.

    Not a container: the panel places the boxes.

    Parameters
    ----------
    dock : FineTuneWidget
        Whose start model and *learn from unpainted pixels* the comparison starts from.
    """

    def __init__(self, dock: FineTuneWidget) -> None:
        self._dock = dock
        self.batchnorm = CheckBox(
            value=False,
            text="also BatchNorm frozen / adapt",
            tooltip="run each pretrained strategy with frozen and with adapting BatchNorm "
            "too (the usual is AdaBN): the lessons' adaptation choices, 3× the runs",
        )
        self.pseudo_labels = CheckBox(
            value=False,
            text="pseudo-labels on and off",
            tooltip="run each pretrained strategy with and without pseudo-labels on your "
            "unpainted pixels (otherwise as *learn from unpainted pixels* says), 2× the runs",
        )
        self.other_starts = CheckBox(
            value=False,
            tooltip="run each pretrained strategy from the other shipped start models too "
            "(world-unet was pretrained on a wider synthetic world: twins, second phases, "
            "EM membranes; voronoi-unet on Voronoi grains alone) and pick the start model "
            "as well",
        )
        self.boxes = (self.batchnorm, self.pseudo_labels, self.other_starts)

    def bn_modes(self) -> tuple[str, ...]:
        """The BatchNorm handlings each pretrained strategy runs with."""
        return ("auto", "frozen", "adapt") if self.batchnorm.value else ("auto",)

    def pseudo_label_choices(self, semi_supervised: bool | str = AUTO) -> tuple[str, ...]:
        """The pseudo-label choices each pretrained strategy runs with.

        Parameters
        ----------
        semi_supervised : bool or str
            The dock's choice as its options give it (``'auto'`` until the user
            clicks *learn from unpainted pixels*): the runs train as the dock would,
            unless the box asks for both.

        Returns
        -------
        tuple of str
            ``('off', 'on')`` when the box is ticked, else the dock's choice alone.
        """
        if self.pseudo_labels.value:
            return ("off", "on")
        return (pseudo_label_choice(semi_supervised),)

    def starts_offered(self) -> tuple[str, ...]:
        """The other shipped start models, beside the dock's *start from*."""
        source = self._dock.settings.start()
        return other_shipped_starts(None if source == SCRATCH else source)

    def chosen_starts(self) -> tuple[str, ...]:
        """The other start models the comparison runs from: those offered, when ticked."""
        return self.starts_offered() if self.other_starts.value else ()

    def start_count(self) -> int:
        """How many start models each pretrained strategy runs from."""
        return 1 + len(self.chosen_starts())
