"""napari's progress bar for a training run, without the cost of its busy spinner.

While any napari ``progress`` is open, the status bar plays an animated
"in progress" GIF at about 25 frames/s. Every frame repaints the main window,
and when the canvas is rendered in software (Mesa llvmpipe: Xvfb, remote
desktops, instrument PCs without a GPU driver) each repaint composites the
whole window on the CPU. Measured on 2 cores: the spinner alone took about
0.75 of a core and cut training in the widget to half its headless speed.

So while our bar is open, the spinner is paused and advanced one frame per
progress update instead: it still turns, and now only when training moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from napari.utils import progress
from qtpy.QtGui import QMovie

if TYPE_CHECKING:
    import napari


def _activity_spinner(viewer: napari.Viewer) -> QMovie | None:
    """The status bar's "in progress" animation, or None where napari has none."""
    # Private napari attributes (stable from 0.4.19 to 0.9): anything missing
    # simply leaves napari's own animation alone. They are read on the viewer
    # itself: napari hands plugin widgets a proxy that warns on private
    # attributes and will refuse them from 0.10, which would halve training
    # speed in software-rendered windows without a word.
    viewer = getattr(viewer, "__wrapped__", viewer)
    window = getattr(getattr(viewer, "window", None), "_qt_window", None)
    dialog = getattr(window, "_activity_dialog", None)
    toggle = getattr(dialog, "_toggleButton", None)
    label = getattr(toggle, "_inProgressIndicator", None)
    try:
        return label.movie() if label is not None else None
    except RuntimeError:  # the Qt object is already deleted
        return None


def _step_one_frame(movie: QMovie) -> None:
    # napari (re)starts the animation when it shows a bar, so pause it here.
    if movie.state() == QMovie.MovieState.Running:
        movie.setPaused(True)
    movie.jumpToNextFrame()


def _resume(movie: QMovie) -> None:
    if movie.state() == QMovie.MovieState.Paused:
        movie.setPaused(False)


class TrainingProgress:
    """A napari progress bar whose status-bar spinner steps with the updates.

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer whose status bar shows the activity.
    total : int
        Expected number of steps (can grow with :meth:`update`).
    description : str
        Text beside the bar in napari's activity dialog.
    """

    def __init__(self, viewer: napari.Viewer, total: int, description: str) -> None:
        self._bar = progress(total=total, desc=description)
        self._spinner = _activity_spinner(viewer)

    @property
    def step(self) -> int:
        """Steps reported so far."""
        return self._bar.n

    def update(self, step: int, total: int) -> None:
        """Move the bar to ``step`` of ``total`` and turn the spinner one frame."""
        self._bar.total = max(total, step)
        self._bar.update(step - self._bar.n)
        self._call(_step_one_frame)

    def describe(self, text: str) -> None:
        """Replace the text beside the bar (e.g. files done and the time left)."""
        self._bar.set_description(text)

    def close(self) -> None:
        """Close the bar; napari's spinner animates again for any other bar."""
        self._call(_resume)
        self._spinner = None
        self._bar.close()

    def _call(self, action: Callable[[QMovie], None]) -> None:
        if self._spinner is None:
            return
        try:
            action(self._spinner)
        except RuntimeError:  # the viewer closed under us
            self._spinner = None


class _Opening:
    """The bar of a job while napari opens it: the last update waits for the real one."""

    def __init__(self) -> None:
        self.last: tuple[int, int] | None = None

    def update(self, step: int, total: int) -> None:
        """Kept, and given to the bar once it is open."""
        self.last = (step, total)

    def describe(self, text: str) -> None:
        """Nothing yet."""

    def close(self) -> None:
        """Nothing to close: the job ended while its bar opened (the bar is closed then)."""


def open_bar(owner: object, attribute: str, viewer: napari.Viewer, total: int, text: str) -> None:
    """Open a :class:`TrainingProgress` into ``owner.<attribute>``, once.

    Opening napari's bar processes Qt events: a worker's next event (a second
    *Preparing* of the same round, on a busy PC) can arrive while it opens and
    see no bar yet, and open another; the job may even end meanwhile. A
    placeholder holds the place: the updates it got are given to the bar, and
    a bar whose job ended (its owner no longer holds the placeholder) is closed.
    """
    opening = _Opening()
    setattr(owner, attribute, opening)
    bar = TrainingProgress(viewer, total, text)
    if getattr(owner, attribute) is not opening:
        bar.close()
        return
    setattr(owner, attribute, bar)
    if opening.last is not None:
        bar.update(*opening.last)
