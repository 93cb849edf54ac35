"""The Fine-tune dock's *Compare strategies…* button: the advisor panel as a dock of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from magicgui.widgets import PushButton

from napari_finetune._widgets._strategy_advisor import StrategyAdvisor

if TYPE_CHECKING:
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


class AdvisorLauncher:
    """The dock's *Compare strategies…* button: opens the panel as a dock of its own.

    Parameters
    ----------
    dock : FineTuneWidget
        The Fine-tune dock the panel works for.
    """

    def __init__(self, dock: FineTuneWidget) -> None:
        self._dock = dock
        self.panel: StrategyAdvisor | None = None
        self.button = PushButton(text="Compare strategies…")
        self.button.tooltip = (
            "Which strategy suits your paintings? Short runs of each, scored on painted "
            "regions held out; sets the pick here with one click."
        )
        self.button.changed.connect(self.open)

    @property
    def running(self) -> bool:
        """Whether the panel's comparison is going on."""
        return self.panel is not None and self.panel.running

    def open(self, _value: object = None) -> StrategyAdvisor:
        """Show the panel (made on first use, again after it was closed); return it."""
        if self.panel is None:
            self.panel = StrategyAdvisor(self._dock)
            self.panel.native.destroyed.connect(self._forget)
            self._dock._viewer.window.add_dock_widget(
                self.panel, name="Compare strategies", area="right", tabify=True
            )
        self.panel.native.parent().show()
        self.panel.native.parent().raise_()
        return self.panel

    def _forget(self, _object: object = None) -> None:
        self.panel = None
