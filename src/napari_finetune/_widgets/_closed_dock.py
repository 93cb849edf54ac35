"""The Fine-tune dock closed with its ×: its jobs stop, its session and autosave go on.

napari's × (``Window.remove_dock_widget``) takes the widget out of its dock and
deletes the dock. Nothing else holds the widget, so it would be freed at the
next garbage collection: a training worker left running with no Stop button,
autosave silently off (a painting deleted later not saved), and, on opening
Fine-tune again, a new session beside the old one's worker. Instead the closed
widget stops its long jobs (each as its own Stop does: training keeps the best
model so far), saves the paintings, and stays in the viewer's window, hidden:
its model, rounds and autosave go on, it still saves on the viewer's close,
and *Plugins ▸ Fine-tune* brings the same widget back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from magicgui.widgets import Container
from napari.utils.notifications import show_info
from qtpy.QtCore import QEvent, QObject, QTimer
from qtpy.QtWidgets import QDockWidget

from napari_finetune._widgets._dock_jobs import stop_jobs
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

if TYPE_CHECKING:
    import napari
    from qtpy.QtWidgets import QWidget

# The attribute of the viewer's main window that holds its closed Fine-tune widget:
# the window owns it, so it lives as long as the window and no longer.
_KEPT = "_napari_finetune_closed_dock"


class FineTuneDock(Container):
    """*Plugins ▸ Fine-tune*: the viewer's widget closed earlier if any, else a new one.

    Reopening gives back the session, its model and its rounds as they were.
    A widget class (napari's menu takes no other) whose ``__new__`` returns the
    Fine-tune widget, so its own ``__init__`` never runs; napari reads the
    viewer it passes from that ``__init__``'s signature.
    """

    def __new__(cls, napari_viewer: napari.viewer.Viewer) -> FineTuneWidget:
        # napari's dock commands pass the viewer behind a proxy, a new one each time
        viewer = getattr(napari_viewer, "__wrapped__", napari_viewer)
        window = getattr(viewer.window, "_qt_window", None)
        kept = getattr(window, _KEPT, None)
        if kept is not None:
            setattr(window, _KEPT, None)
            return kept
        widget = FineTuneWidget(napari_viewer)
        keep_when_closed(widget, viewer)
        return widget

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:  # never called
        super().__init__()


def closed_fine_tune_widget(viewer: napari.viewer.Viewer) -> FineTuneWidget | None:
    """The viewer's Fine-tune widget kept, hidden, since its dock was closed (or None).

    Its model and session go on: other docks that use them must look here too.
    """
    viewer = getattr(viewer, "__wrapped__", viewer)
    window = getattr(getattr(viewer, "window", None), "_qt_window", None)
    return getattr(window, _KEPT, None)


def keep_when_closed(widget: FineTuneWidget, viewer: napari.viewer.Viewer) -> None:
    """Stop ``widget``'s jobs and keep it (hidden, saving) when its dock is closed."""
    _DockCloseWatcher(widget.native, lambda: _closed(widget, viewer))


def _closed(widget: FineTuneWidget, viewer: napari.viewer.Viewer) -> None:
    stopped = stop_jobs(widget)
    widget.autosave.save_now()
    said = f"{' and '.join(stopped).capitalize()} stopped (as Stop does). " if stopped else ""
    window = getattr(viewer.window, "_qt_window", None)
    if window is None:  # no window to wait in: it goes, once its paintings are saved
        show_info(f"Fine-tune closed. {said}Your paintings are being saved.")
        return
    setattr(window, _KEPT, widget)

    def keep() -> None:  # after napari has deleted the dock
        if getattr(window, _KEPT, None) is widget and widget.native.parent() is None:
            # A child of the window: freed with it, and autosave saves on its close.
            widget.native.setParent(window)
            widget.native.hide()

    QTimer.singleShot(0, keep)
    show_info(
        f"Fine-tune closed. {said}Your paintings are being saved and autosave goes on; "
        "Plugins ▸ Fine-tune brings back this session, its model and rounds."
    )


class _DockCloseWatcher(QObject):
    """Calls ``on_closed`` when ``widget`` is taken out of its dock (parent → none)."""

    def __init__(self, widget: QWidget, on_closed: Callable[[], None]) -> None:
        super().__init__(widget)
        self._on_closed = on_closed
        self._docked = widget.parent() is not None
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange:
            docked = watched.parent() is not None
            if self._docked and not docked:
                self._on_closed()
            if isinstance(watched.parent(), QDockWidget):
                watched.show()  # docked again: Qt hides a widget it moves from a parent
            self._docked = docked
        return False
