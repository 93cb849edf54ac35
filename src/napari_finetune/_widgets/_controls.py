"""Small layout helpers shared by the dock widgets."""

from __future__ import annotations

from magicgui.widgets import Container, Widget
from qtpy.QtWidgets import QSizePolicy


def button_row(*widgets: Widget) -> Container:
    """Widgets side by side that keep their height when the dock runs short of space."""
    row = Container(widgets=list(widgets), layout="horizontal", labels=False)
    row.native.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
    for widget in widgets:
        # A widget's own size hint is known at creation (a row's is not yet).
        widget.native.setMinimumHeight(widget.native.sizeHint().height())
    return row
