"""*Apply to folder…* in the Fine-tune dock: the model over every image of a folder.

The core (:mod:`napari_finetune.batch`) plans the run, refusing a bad output
folder before any work, and predicts one file at a time as a generator of
events; this module asks for the folders, drives that generator in a napari
worker and shows its events: a progress bar, the dock's status line, and at
the end the summary table in a read-only box under the buttons. *Measure
grains* in the output dialog also writes each image's grain CSVs and a
``measurements.csv`` of all (:mod:`napari_finetune.batch.measurements`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from magicgui.widgets import PushButton
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info
from qtpy.QtWidgets import QFileDialog

from napari_finetune._widgets._controls import button_row, scroll_to, table_box
from napari_finetune._widgets._folder_dialog import (
    FolderChoice,
    ask_output_folder,
    ask_replace_outputs,
)
from napari_finetune._widgets._progress import TrainingProgress
from napari_finetune._widgets._workers import let_go
from napari_finetune.batch import status as words
from napari_finetune.batch.events import FileDone, FileFailed, FolderFinished, FolderStarted
from napari_finetune.batch.made_by import StaleOutputs
from napari_finetune.batch.planning import FolderPlan, default_output_dir, plan_predictions
from napari_finetune.models import SegmentationModel
from napari_finetune.session import prediction_model

if TYPE_CHECKING:
    import napari
    from magicgui.widgets import Label, Widget

    from napari_finetune.session import LabellingSession

# The summary box shows this many table lines before it scrolls.
TABLE_LINES = 8


def run_until_stopped(
    model: SegmentationModel | str | Path,
    plan: FolderPlan,
    stop: threading.Event,
    device: str | None = None,
) -> Iterator[object]:
    """The folder run's events until ``stop`` is set (a generator: a napari GeneratorWorker).

    A model name or file is loaded here, in the worker. Stop closes the run
    between files, in the worker thread: every output written is complete.
    Outputs it would skip that another model made end it at once with the
    :class:`~napari_finetune.batch.made_by.StaleOutputs` as its one event, for
    the dock to ask whether to replace them.
    """
    from napari_finetune.batch.folder_run import predict_plan

    try:
        events = predict_plan(model, plan, device=device)
    except StaleOutputs as stale:
        yield stale
        return
    for event in events:
        yield event
        if stop.is_set():
            events.close()
            return


class FolderRun:
    """*Apply to folder…* and its *Stop*: predict every image of a folder into files.

    Not a container of its own: :attr:`widgets` go into the dock's form.

    Parameters
    ----------
    session : LabellingSession
        Whose current model is used (training and loading never change it in
        place, so the run's model stays as it was).
    status : Label
        The dock's status line.
    report : callable
        Reports an error to the user.
    busy : callable
        True while training runs: the folder run is then refused.
    viewer : napari.viewer.Viewer
        Whose status bar shows the progress.
    start : callable
        The start model chosen for training: used while there is no model.
    device : callable, optional
        The device chosen in the dock (``'auto'``, ``'cpu'``, ...); None: the model's.
    average_views : callable, optional
        Whether predictions average the model's flipped and rotated views (the
        dock's box); None: they do not.
    """

    def __init__(
        self,
        session: LabellingSession,
        status: Label,
        report: Callable[[BaseException], None],
        busy: Callable[[], bool],
        viewer: napari.viewer.Viewer,
        start: Callable[[], object],
        device: Callable[[], str] | None = None,
        average_views: Callable[[], bool] | None = None,
    ) -> None:
        self.session, self.status, self._report = session, status, report
        self._busy, self._viewer, self._start = busy, viewer, start
        self._device = device
        self._average_views = average_views or (lambda: False)
        self.apply = PushButton(
            text="Apply to folder…",
            tooltip="predict every TIFF/PNG/OME-Zarr image of a folder into "
            "<name>_prediction.tif files; images done already are skipped (outputs "
            "another model made: you are asked whether to replace them)",
        )
        self.stop = PushButton(text="Stop folder run", enabled=False)
        self.table = table_box(TABLE_LINES)
        self.widgets: list[Widget] = [button_row(self.apply, self.stop), self.table]
        self.apply.changed.connect(self.run)
        self.stop.changed.connect(self._on_stop)
        self.apply.native.destroyed.connect(self._on_destroyed)
        self.last = FolderChoice("")  # the last check boxes, offered again
        self._worker = self._progress = None
        self._stop_asked = threading.Event()
        self._handled = self._failed = self._to_do = 0
        self._summary_shown = False
        self._stale: StaleOutputs | None = None  # found by the run: asked when it ends
        self._run_of: tuple[SegmentationModel | str | Path, FolderPlan] | None = None

    @property
    def running(self) -> bool:
        """Whether a folder run is going on."""
        return self._worker is not None

    # -- dialogs (patched in tests) ----------------------------------------------------

    def ask_input_folder(self) -> str:
        """Ask for the folder of images; ``''`` if cancelled."""
        return QFileDialog.getExistingDirectory(self.apply.native, "Apply to folder: images")

    def ask_output(self, input_dir: Path, default: Path) -> FolderChoice | None:
        """Ask where the outputs go, whether probabilities and grain measurements too.

        Offers ``default`` (:func:`~napari_finetune.batch.default_output_dir`),
        or another folder picked in a second dialog titled "Output folder";
        None if cancelled.
        """
        return ask_output_folder(self.apply.native, input_dir, default, self.last)

    def ask_replace(self, stale: StaleOutputs) -> bool:
        """Ask whether to predict the folder again, replacing outputs made otherwise."""
        return ask_replace_outputs(self.apply.native, stale.found)

    # -- the run ------------------------------------------------------------------------

    def run(self) -> None:
        """Ask for the folders, plan the run (refusals shown at once), predict in a worker."""
        if self.running:
            return
        if self._busy():
            self._report(ValueError(words.STOP_TRAINING_FIRST))
            return
        folder = self.ask_input_folder()
        if not folder:
            return
        answer = self.ask_output(Path(folder), default_output_dir(folder))
        if answer is None:
            return
        self.last = answer
        try:
            plan = plan_predictions(
                folder,
                answer.output,
                probabilities=answer.probabilities,
                measure=answer.measure,
                average_views=self._average_views(),
            )
        except ValueError as err:  # nothing found, or outputs that could not end well
            self._report(err)
            return
        chosen = prediction_model(self._start(), self.session.model)
        # No copy: training trains a copy and *Load model…* replaces the session's
        # model, so this one never changes under the run (and a copy here would run
        # multi-threaded torch ops in the GUI thread, which slows later training).
        self._model_words = words.model_words(chosen, chosen is self.session.model)
        self._begin(chosen, plan)

    def _replace_stale(self, stale: StaleOutputs) -> None:
        # The run found outputs another model made and ended: the same plan, those redone.
        model, plan = self._run_of
        try:
            if not self.ask_replace(stale):
                self.status.value = f"{stale.found}: nothing written, they are kept."
                return
        except RuntimeError:  # the dock was closed while it asked
            return
        if self._busy():
            self._report(ValueError(words.STOP_TRAINING_FIRST))
            return
        try:
            again = plan.redoing(stale.paths)
        except ValueError as err:  # an output made read-only meanwhile
            self._report(err)
            return
        self._begin(model, again)

    def _begin(self, model: SegmentationModel | str | Path, plan: FolderPlan) -> None:
        self._stale, self._run_of = None, (model, plan)
        self._stop_asked = threading.Event()
        self._handled = self._failed = 0
        self._summary_shown = False
        self._to_do = len(plan.to_do)
        self.apply.enabled, self.stop.enabled = False, True
        self.table.visible = False  # the last run's table, until this one's
        self.status.value = words.found(len(plan.files))
        worker = create_worker(
            run_until_stopped,
            model,
            plan,
            self._stop_asked,
            self._device() if self._device is not None else None,
            _start_thread=False,
            _ignore_errors=True,
        )
        worker.yielded.connect(self._on_event)
        worker.errored.connect(self._report)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _on_event(self, event: object) -> None:
        # napari's progress bar processes Qt events while it opens and moves, so
        # later events can be handled inside these calls: every handler says its
        # words first and touches the bar last, and the newest words stay.
        if isinstance(event, FolderStarted):
            self.status.value = words.started(event, self._model_words)
            if event.to_do:
                self._open_bar(event.to_do)
        elif isinstance(event, FileDone | FileFailed):
            self._handled = event.index
            self._failed += isinstance(event, FileFailed)
            if not self._stop_asked.is_set():
                self.status.value = words.file_handled(event, self._failed)
            bar = self._progress
            if bar is not None:
                bar.describe(words.progress(event))
                bar.update(event.index, event.to_do)
        elif isinstance(event, FolderFinished):
            self.show_summary(event.summary.table(), words.finished(event.summary))
        elif isinstance(event, StaleOutputs):
            self._stale = event

    def _open_bar(self, total: int) -> None:
        bar = TrainingProgress(self._viewer, total, "Folder")
        if not self.running:  # the run ended while the bar opened
            bar.close()
            return
        self._progress = bar
        if self._handled:
            bar.update(self._handled, total)

    def show_summary(self, table: str, line: str) -> None:
        """Show the summary table in the dock and the line in the status and a notification."""
        self.table.native.setPlainText(f"{table}\n{line}")  # plain: a message may hold '<'
        self.table.visible = True
        self.status.value = line
        self._summary_shown = True
        scroll_to(self.table.native)
        show_info(line)

    def _on_stop(self) -> None:
        if self.running:
            self._stop_asked.set()
            self.stop.enabled = False
            self.status.value = words.STOPPING

    def _on_finished(self) -> None:
        if self._stop_asked.is_set() and not self._summary_shown:
            self.status.value = words.stopped(self._handled, self._failed, self._to_do)
        bar, self._progress, self._worker = self._progress, None, None
        self.apply.enabled, self.stop.enabled = True, False
        if bar is not None:
            bar.close()
        stale, self._stale = self._stale, None
        if stale is not None and not self._stop_asked.is_set():
            self._replace_stale(stale)

    def _on_destroyed(self, _object: object = None) -> None:
        # The dock is gone: the run stops after its current file and shows nothing.
        worker, bar, self._worker, self._progress = self._worker, self._progress, None, None
        let_go(worker, bar, self._stop_asked)
