"""Small layout helpers shared by the dock widgets: rows, titled groups, folds, scrolling.

A dock is a magicgui ``Container`` (napari docks its ``native`` widget and
calls its ``reset_choices``). Groups that fold away or scroll stay magicgui
children of the dock, so that layer pickers inside them keep following the
layers; only their Qt widget is placed inside the fold or the scroll area.
"""

from __future__ import annotations

from magicgui.widgets import Container, Label, TextEdit, Widget
from qtpy.QtCore import QPoint, QSize, Qt, QTimer
from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTextEdit,
    QWidget,
)
from superqt import QCollapsible

# A dock in a scroll area can be this short; napari's window then fits a laptop screen.
MIN_DOCK_HEIGHT = 160
FORM = "napari_finetune_form"  # marks the Qt widget of a form, whose labels get aligned
# Drop-down lists are at least this many characters wide, not as wide as their longest entry.
MIN_CHOICE_CHARACTERS = 10


def button_row(*widgets: Widget) -> Container:
    """Widgets side by side that keep their height when the dock runs short of space."""
    row = Container(widgets=list(widgets), layout="horizontal", labels=False)
    row.margins = (0, 0, 0, 0)  # the form's spacing is enough: docks stay short
    row.native.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
    for widget in widgets:
        # A widget's own size hint is known at creation (a row's is not yet).
        widget.native.setMinimumHeight(widget.native.sizeHint().height())
    return row


def wrapping_label(value: str = "") -> Label:
    """A label whose long text wraps to the dock's width instead of widening it."""
    label = Label(value=value)
    label.native.setWordWrap(True)
    label.native.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
    return label


def narrow_choices(widget: Widget) -> None:
    """Drop-down lists in ``widget`` cut long entries (layer names...) instead of widening it."""
    for choice in widget.native.findChildren(QComboBox):
        choice.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        choice.setMinimumContentsLength(MIN_CHOICE_CHARACTERS)


def form(*widgets: Widget) -> Container:
    """Controls with their labels in a column on the left, without extra margins."""
    box = Container(widgets=list(widgets), labels=True)
    box.margins = (0, 0, 0, 0)
    box.native.setProperty(FORM, True)
    return box


def align_forms(widget: Widget) -> None:
    """One label column for every :func:`form` in ``widget``, as wide as its widest label."""
    forms = [w for w in widget.native.findChildren(QWidget) if w.property(FORM)]
    labels = [label for box in forms for label in box.findChildren(QLabel)]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def section(title: str, *parts: Widget) -> Container:
    """A group of controls under a bold title (``parts``: forms, rows, labels...)."""
    heading = Label(value=title)
    heading.native.setStyleSheet("font-weight: bold; padding-top: 6px;")
    group = Container(widgets=[heading, *parts], labels=False)
    group.margins = (0, 0, 0, 0)
    return group


def fold(
    parent: Container, title: str, content: Container, expanded: bool = False
) -> QCollapsible:
    """Append ``content`` to ``parent`` folded under a ``title`` toggle (e.g. "Advanced").

    ``parent`` must not label its widgets (a label would wrap ``content``).
    Only controls of a fixed height belong in a fold: it is as tall as its
    content was when it opened.
    """
    parent.append(content)
    layout = parent.native.layout()
    index = layout.indexOf(content.native)
    layout.removeWidget(content.native)
    box = QCollapsible(title, expandedIcon="▼", collapsedIcon="▶")
    box.setDuration(120)
    box.layout().setContentsMargins(0, 0, 0, 0)
    box.addWidget(content.native)
    layout.insertWidget(index, box)
    if expanded:
        box.expand(animate=False)
    return box


class VerticalScrollArea(QScrollArea):
    """Scrolls a dock's content up and down; as wide as the content needs, never sideways."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setWidget(content)

    def minimumSizeHint(self) -> QSize:
        """The content's minimum width (plus the scroll bar), and a short height."""
        content = self.widget().minimumSizeHint().width()
        return QSize(content + self.verticalScrollBar().sizeHint().width(), MIN_DOCK_HEIGHT)


def scroll_area(dock: Container, body: Container) -> VerticalScrollArea:
    """Make ``body`` the content of ``dock``, inside a vertical scroll area.

    ``dock`` must not label its widgets. Short docks keep their controls at the
    top; tall ones scroll instead of stretching napari's window past the screen.
    """
    dock.append(body)
    body.margins = (8, 0, 8, 8)
    layout = dock.native.layout()
    layout.removeWidget(body.native)
    body.native.layout().addStretch()  # controls stay at the top of a tall dock
    area = VerticalScrollArea(body.native)
    layout.addWidget(area)
    dock.margins = (0, 0, 0, 0)
    narrow_choices(body)
    # An expanding dock: napari adds no stretch below it, the scroll area gets the height.
    dock.native.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
    return area


# A widget just shown is scrolled to this long after (its layout settles first).
SCROLL_DELAY_MS = 100


def scroll_to(widget: QWidget) -> None:
    """Scroll the dock's scroll area (if ``widget`` is in one) so that ``widget`` is in view."""
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    if area is None:
        return

    def show_whole() -> None:
        # Not ensureWidgetVisible: for a text box it shows the text cursor, its first line.
        try:
            middle = widget.mapTo(area.widget(), QPoint(0, widget.height() // 2))
            area.ensureVisible(middle.x(), middle.y(), 0, widget.height() // 2 + 8)
        except RuntimeError:  # the dock was closed meanwhile
            pass

    # A widget just shown gets its place over a few layout passes: scroll after them.
    QTimer.singleShot(SCROLL_DELAY_MS, show_whole)


def table_box(lines: int) -> TextEdit:
    """A hidden read-only box for a fixed-width text table, ``lines`` lines high, not wrapped."""
    table = TextEdit(visible=False)
    box = table.native
    box.setReadOnly(True)
    box.setLineWrapMode(QTextEdit.NoWrap)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
    box.setFixedHeight(lines * box.fontMetrics().lineSpacing() + 12)
    return table
