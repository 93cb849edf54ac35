"""What the dock's long *Predict* jobs share: the button that is their Stop, and the bar.

A band-by-band prediction (:mod:`._lazy_prediction`) and a plane-by-plane one
(:mod:`._stack_prediction`) both run in a napari worker, turn the dock's
*Predict* button into *Stop prediction* while they run and count their work
in napari's progress bar; this base class holds that wiring once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from napari_finetune._widgets._progress import TrainingProgress
from napari_finetune._widgets._workers import let_go

if TYPE_CHECKING:
    import napari
    from magicgui.widgets import Label, PushButton

PREDICT, STOP = "Predict", "Stop prediction"


class PredictJob:
    """A long *Predict* job's worker, progress bar and button.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose status bar shows the progress.
    status : Label
        The dock's status line.
    report : callable
        Reports an error to the user.
    button : PushButton
        The dock's *Predict* button: it reads *Stop prediction* while a run goes on.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        status: Label,
        report: Callable[[BaseException], None],
        button: PushButton,
    ) -> None:
        self._viewer, self.status, self._report, self.button = viewer, status, report, button
        self._worker = self._progress = None
        button.native.destroyed.connect(self._on_destroyed)

    @property
    def running(self) -> bool:
        """Whether the job is going on."""
        return self._worker is not None

    def _done_so_far(self) -> int:
        """How much of the job is done (bands, planes): what the bar shows once open."""
        return 0

    def _on_event(self, event: object) -> None:
        """One event of the run, in the GUI thread (each job shows its own)."""

    def _on_error(self, err: BaseException) -> None:
        self._report(err)

    def _on_finished(self) -> None:
        self._release()

    def _launch(self, worker: object, total: int) -> None:
        """Connect and start ``worker``, then open the bar of ``total`` steps."""
        worker.yielded.connect(self._on_event)
        worker.errored.connect(self._on_error)
        worker.finished.connect(self._on_finished)
        self.button.text = STOP
        self._worker = worker
        worker.start()
        bar = TrainingProgress(self._viewer, total, "Predict")
        if not self.running:  # the run ended while the bar opened
            bar.close()
            return
        self._progress = bar
        if done := self._done_so_far():  # events handled while the bar opened
            bar.update(done, total)

    def _release(self) -> None:
        """The run is over: the bar closes and the button is *Predict* again."""
        bar, self._progress, self._worker = self._progress, None, None
        self.button.text, self.button.enabled = PREDICT, True
        if bar is not None:
            bar.close()

    def _stop_unseen(self, worker: object) -> None:
        """Ask the run to end after its current piece of work (default: the worker quits)."""
        worker.quit()

    def _on_destroyed(self, _object: object = None) -> None:
        # The dock is gone: the run stops after its current piece and shows nothing.
        worker, bar, self._worker, self._progress = self._worker, self._progress, None, None
        if worker is not None:
            self._stop_unseen(worker)
        let_go(worker, bar)
