"""Dock widget *Fine-tune*: wiring between the controls and a LabellingSession.

Controls become :class:`~napari_finetune.session.RoundOptions`; the session
(Qt-free) trains in a napari worker thread and its events are shown here:
progress, curves, status, prediction, uncertainty and suggestion layers.
Every decision (strategy, start model, status text, suggestions, the classes
of a new painting) is the core's; :mod:`._dock_sections` places the controls.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from magicgui.widgets import Container, PushButton
from napari.layers import Labels
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning

from napari_finetune._widgets._active_learning import ActiveLearningPanel
from napari_finetune._widgets._advisor_launcher import AdvisorLauncher
from napari_finetune._widgets._autosave_rows import AutosaveRows
from napari_finetune._widgets._controls import wrapping_label
from napari_finetune._widgets._data_bar_notice import DataBarNotice
from napari_finetune._widgets._dock_jobs import running_job
from napari_finetune._widgets._dock_sections import arrange
from napari_finetune._widgets._layers import LayerFollower, is_plugin_output
from napari_finetune._widgets._model_actions import ModelActions
from napari_finetune._widgets._progress import open_bar
from napari_finetune._widgets._result_layers import show_prediction
from napari_finetune._widgets._round_controls import NAMES, RoundControls
from napari_finetune._widgets._round_inputs import RoundInputs
from napari_finetune._widgets._thin_class_notice import ThinClassNotice
from napari_finetune._widgets._training_pairs import TrainingPairs
from napari_finetune._widgets._training_plot import TrainingPlot
from napari_finetune._widgets._worker_release import release_worker
from napari_finetune.session import (
    LabellingSession,
    Prediction,
    RoundFinished,
    StatusLine,
    Suggestions,
    painting,
)
from napari_finetune.session import status as texts
from napari_finetune.session.stopping import until_stopped
from napari_finetune.training import EpochEnd, Preparing, Started, Step
from napari_finetune.training.class_contact import Contact

if TYPE_CHECKING:
    import napari

    from napari_finetune.models import SegmentationModel

# Status and progress refresh at most this often: repaints take CPU and the GIL from training.
GUI_REFRESH_SECONDS = 1.0


class FineTuneWidget(Container):
    """Pick painted layers, a start model and a strategy; click *Fine-tune*."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=False)
        self._viewer = napari_viewer
        self.session = LabellingSession()
        self._status_line = StatusLine()
        self._worker = self._events = self._progress = None
        self._inputs = RoundInputs()  # the layers the running round reads
        self._last_refresh, self._hint = 0.0, ""  # the hint: the status saying what to do first
        self._stop_reason: str | None = None  # 'user' or 'removed' once asked to stop
        self.pairs = TrainingPairs(napari_viewer, self._suggest_strategy)
        self.settings = RoundControls(napari_viewer)
        for name in NAMES:  # self.source, self.seconds...: as scripts and tests reach them
            setattr(self, name, getattr(self.settings, name))
        self.train = PushButton(text="Fine-tune")
        self.stop = PushButton(text="Stop", enabled=False)
        self.status = wrapping_label()
        self.model_info = wrapping_label(texts.describe_model(None))
        self.plot = TrainingPlot()
        self.active = ActiveLearningPanel(napari_viewer, self._on_retrain, self.pairs.labels_of)
        self.files = ModelActions(
            self.session,
            self.pairs.image_choices,
            self.status,
            self._show_prediction,
            self._on_loaded,
            self._report_error,
            busy=lambda: self._worker is not None or self.advisor.running,
            viewer=napari_viewer,
            start=self.settings.start,
            labels_of=self.pairs.labels_of,
            device=lambda: self.settings.device.value,
        )
        self.autosave = AutosaveRows(napari_viewer, self.pairs, self._report_error)
        self.data_bar = DataBarNotice(napari_viewer, self.pairs, self.status)  # SEM data bar
        self.thin_class = ThinClassNotice(self.pairs)  # a class painted far less
        self.advisor = AdvisorLauncher(self)  # *Compare strategies…*
        arrange(self)

        self.pairs.new_painting.changed.connect(self._on_new_painting)
        for choice in (self.settings.source, self.settings.checkpoint):
            choice.changed.connect(self._show_start_classes)
        self.settings.strategy.changed.connect(self._suggest_strategy)  # scratch: a new head
        self.train.changed.connect(lambda *_: self._start_training())  # no value in `seconds`
        self.stop.changed.connect(self._on_stop)
        self.native.destroyed.connect(self._on_destroyed)  # viewer closed (×: _closed_dock.py)
        self._follower = LayerFollower(
            napari_viewer, self._refresh, self._on_layer_removed, self._watch_paint
        )
        self.pairs.add_row()
        self._show_start_classes()  # its names, and its head for the pseudo-label advice

    @property
    def model(self) -> SegmentationModel | None:
        """The session's current model."""
        return self.session.model

    # -- layers and choices ----------------------------------------------------------

    def _watch_paint(self, layer: object) -> None:
        if isinstance(layer, Labels) and not is_plugin_output(layer):  # the user's paintings
            layer.events.paint.connect(self._suggest_strategy)
            layer.events.data.connect(self._suggest_strategy)  # new data (undo: round start)

    def _on_layer_removed(self, layer: object) -> None:
        if self._worker is not None and layer in self._inputs:
            self._stop_reason = "removed"
            self._stop_asked.set()
            self.status.value = texts.input_removed(layer.name)
            show_warning(self.status.value)

    def _refresh(self) -> None:
        self.reset_choices()
        self.pairs.refresh()
        self._suggest_strategy()

    def _show_hint(self) -> None:
        """Say what to do first, unless the status says something else by now."""
        if self._worker is None and self.status.value in ("", self._hint):
            self._hint = self.status.value = painting.paint_first(self.pairs.unpainted())

    def _show_start_classes(self, _value: object = None) -> None:
        """The start chosen now: what an empty classes field means, and its head's classes."""
        names = self.settings.know_start(self.model)
        self.pairs.show_start_classes(names)
        self.thin_class.name_as_start(names)  # the line names classes as the run will
        self._suggest_strategy()  # shows it; pseudo-labels: strokes on a new head are off

    def _on_new_painting(self) -> None:
        try:
            classes = painting.painting_classes(self.model, self.pairs.names_to_paint())
            layer = self.pairs.add_painting(classes)
        except ValueError as err:
            self._report_error(err)
            return
        self.status.value = painting.new_painting(layer.name, classes)

    def _suggest_strategy(self, _event: object = None) -> None:
        """Show the core's suggested strategy for what is painted, and what to do first."""
        if self._worker is None:
            pixels, painted, presets = self.pairs.what_advice_reads()
            contact = Contact(painted)  # read once for both boxes, only if one follows it
            self.settings.show_advice(pixels, contact, presets)
            self.files.views.suggest(contact)  # averaged views: on for strokes
        self._show_hint()
        self.data_bar.check()
        self.thin_class.check()

    # -- training ------------------------------------------------------------------

    def _on_retrain(self) -> None:
        """A short warm-started round on what is painted now."""
        if self.model is None:
            self._report_error(ValueError("Train or load a model first."))
            return
        self._start_training(seconds=self.active.retrain_seconds.value, warm=True)

    def busy(self) -> str | None:
        """The job going on (training, a prediction, a folder run, a comparison), or None."""
        return running_job(self)

    def _start_training(self, seconds: float | None = None, warm: bool = False) -> None:
        if self._worker is not None:
            return
        if (other := self.busy()) is not None:
            # Two jobs at once share the cores (and torch's process-wide thread count):
            # a time-budgeted round beside another would not mean what it says.
            self._report_error(ValueError(f"{other} is running: wait for it or stop it first."))
            return
        if warm:  # from the current model, under the preset it trained with
            self.settings.warm_start(self.model)
        self.autosave.save_now()  # training may take the machine down: paintings first
        self._suggest_strategy()  # what 'auto' will decide, after edits no event announced
        try:
            self.session.set_pairs(self.pairs.session_pairs())
            options = self.settings.options(seconds, self.active.options())
            views, named = self.files.average_views.value, self.pairs.named_classes()
            options = replace(options, average_views=views, class_names=named)
            self._events = self.session.train_round(options)
        except ValueError as err:  # CheckpointError included
            self._report_error(err)
            return
        self._inputs = RoundInputs(self.pairs.layers())
        self.active.show_ranking([], [pair.name for pair in self.session.pairs])  # stale boxes
        self.plot.clear()
        self._stop_reason, self._last_refresh = None, 0.0
        self.train.enabled, self.stop.enabled = False, True
        self.status.value = "Starting…"
        self._stop_asked = threading.Event()
        worker = create_worker(
            until_stopped, self._events, self._stop_asked, _start_thread=False, _ignore_errors=True
        )
        worker.yielded.connect(self._on_event)
        worker.errored.connect(self._report_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _on_event(self, event: object) -> None:
        event = (inputs := self._inputs).current(event)  # an image renamed mid-round
        text = self._status_line.describe(event)
        if isinstance(event, Step):
            now = time.monotonic()
            if self._stop_reason or now - self._last_refresh < GUI_REFRESH_SECONDS:
                return
            self._last_refresh = now
        if text is not None:  # first: moving or opening the bar processes Qt events, and
            self.status.value = text  # a later event's line said meanwhile must stay
        if isinstance(event, Step) and self._progress is not None:
            self._progress.update(event.step, event.total_steps)
        elif isinstance(event, Preparing) and self._progress is None:
            # A busy bar from the first second: set-up can take seconds on a busy PC.
            open_bar(self, "_progress", self._viewer, 0, "Fine-tune")
        elif isinstance(event, Started):
            if self._progress is None:
                open_bar(self, "_progress", self._viewer, event.total_steps, "Fine-tune")
            else:
                self._progress.update(0, event.total_steps)
        elif isinstance(event, EpochEnd):
            curves = (event.train_loss, event.validation_loss, event.validation_score)
            self.plot.add_epoch(event.epoch, *curves, event.folded_in)
        elif isinstance(event, Prediction):
            self._show_prediction(event)
        elif isinstance(event, Suggestions):
            self.active.show_uncertainty(event)
        elif isinstance(event, RoundFinished):
            self.active.show_ranking(event.ranking, inputs.names(self.session.pairs))
            self.active.update_rounds(event.rounds)
            self.active.retrain.enabled = True

    def _on_stop(self) -> None:
        if self._worker is not None:
            self._stop_reason = "user"
            self._stop_asked.set()
            self.status.value = texts.STOPPING

    def _on_finished(self) -> None:
        if self._events is not None:
            self._events.close()  # after Stop: the session keeps the best weights
        if self._progress is not None:
            self._progress.close()
        self._worker = self._events = self._progress = None
        self._inputs = RoundInputs()
        self.train.enabled, self.stop.enabled = True, False
        if self._stop_reason == "user":
            self.status.value = texts.stopped(self.session.outcome, self.model is not None)
        self.active.retrain.enabled = self.active.retrain.enabled or self.model is not None
        self._stop_reason = None
        self.model_info.value = texts.describe_model(self.model)
        if (last := self.session.last_round()) is not None:  # a fold-in no step followed: gone
            self.plot.settle_fold_in(last.folded_after)
        self._show_start_classes()  # 'current' may be another model; strokes painted meanwhile

    def _on_destroyed(self, _object: object = None) -> None:
        if self._worker is not None:
            release_worker(self._worker, self._events.close)
        if self._progress is not None:  # napari would keep the bar (and its spinner) open
            self._progress.close()
        self._worker = self._progress = None

    # -- results -------------------------------------------------------------------

    def _show_prediction(self, event: Prediction, model: SegmentationModel | None = None) -> None:
        colormap = getattr(self.pairs.labels_of(event.target), "colormap", None)
        model = model if model is not None else self.model
        names = event.classes or (model.classes if model else {})
        show_prediction(self._viewer, event, colormap, names)

    def _on_loaded(self, model: SegmentationModel) -> None:
        self.model_info.value = texts.describe_model(model, loaded=True)
        self._show_start_classes()
        self.settings.warm_start(model)
        self.active.update_rounds(self.session.rounds())
        self.active.retrain.enabled = True

    def _report_error(self, err: BaseException) -> None:
        self.status.value = f"Error: {err}"
        show_error(f"Fine-tune: {err}")
