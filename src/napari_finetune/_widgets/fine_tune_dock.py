"""Dock widget *Fine-tune*: wiring between the controls and a LabellingSession.

Controls become :class:`~napari_finetune.session.RoundOptions`; the session
(Qt-free) trains in a napari worker thread and its events are shown here:
progress, curves, status, prediction, uncertainty and suggestion layers.
Every decision (strategy, start model, status text, suggestions) is the core's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from magicgui.widgets import ComboBox, Container, FileEdit, Label, PushButton, SpinBox
from napari.layers import Labels
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning
from qtpy.QtWidgets import QSizePolicy

from napari_finetune._widgets._active_learning import ActiveLearningPanel
from napari_finetune._widgets._autosave_rows import AutosaveRows
from napari_finetune._widgets._controls import button_row
from napari_finetune._widgets._layers import LayerFollower
from napari_finetune._widgets._model_actions import ModelActions
from napari_finetune._widgets._progress import TrainingProgress
from napari_finetune._widgets._result_layers import show_prediction
from napari_finetune._widgets._training_pairs import TrainingPairs
from napari_finetune._widgets._training_plot import TrainingPlot
from napari_finetune._widgets._viewer_state import viewer_state
from napari_finetune.augment import PRESETS
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.session import (
    BN_CHOICES,
    CURRENT,
    START_CHOICES,
    STRATEGY_CHOICES,
    LabellingSession,
    Prediction,
    RoundFinished,
    RoundOptions,
    StatusLine,
    Suggestions,
    suggest_strategy,
)
from napari_finetune.session import status as texts
from napari_finetune.training import EpochEnd, Started, Step
from napari_finetune.training.strategies import STRATEGIES

if TYPE_CHECKING:
    import napari

    from napari_finetune.models import SegmentationModel

# Status and progress bar refresh at most this often: a repaint per batch takes
# CPU and the GIL from the training thread on a 2-core machine.
GUI_REFRESH_SECONDS = 1.0
FROM_PREVIEW = "from Augmentation preview"
FROM_FILE = "file"
SOURCES = [*START_CHOICES[:-1], ("checkpoint file…", FROM_FILE), START_CHOICES[-1]]


def _drive(events):  # a generator function, so napari makes a GeneratorWorker
    yield from events


class FineTuneWidget(Container):
    """Pick painted layers, a start model and a strategy; click *Fine-tune*."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=True)
        self._viewer = napari_viewer
        self.session = LabellingSession()
        self._status_line = StatusLine()
        self._worker = self._events = self._progress = None
        self._inputs: set[int] = set()  # ids of the layers the running round reads
        self._strategy_chosen_by_user, self._last_refresh = False, 0.0
        self._stop_reason: str | None = None  # 'user' or 'removed' once asked to stop

        self.pairs = TrainingPairs(napari_viewer, self._suggest_strategy)
        self.add_pair = PushButton(text="+ add image")
        self.source = ComboBox(choices=SOURCES, value=DEFAULT_MODEL, label="start from")
        self.checkpoint = FileEdit(mode="r", filter="*.ckpt", label="checkpoint", visible=False)
        self.strategy = ComboBox(choices=STRATEGY_CHOICES, value="finetune", label="strategy")
        self.strategy_info = Label(value="")
        self.bn_mode = ComboBox(choices=BN_CHOICES, label="BatchNorm")
        self.seconds = SpinBox(value=60, min=2, max=86_400, label="time budget (s)")
        self.steps = SpinBox(value=0, min=0, max=10_000_000, label="or steps (0: time)")
        self.augmentation = ComboBox(choices=self._augmentation_choices, label="augmentation")
        self.seed = SpinBox(value=0, min=0, max=2**31 - 1, label="seed")
        self.train = PushButton(text="Fine-tune")
        self.stop = PushButton(text="Stop", enabled=False)
        self.status = Label(value="Paint a few strokes (1, 2, …) and click Fine-tune.")
        self.model_info = Label(value=texts.describe_model(None))
        self.plot = TrainingPlot()
        for label in (self.strategy_info, self.status, self.model_info):
            label.native.setWordWrap(True)
            label.native.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.active = ActiveLearningPanel(napari_viewer, self._on_retrain, self.pairs.labels_of)
        self.files = ModelActions(
            self.session,
            self.pairs.image_choices,
            self.status,
            self._show_prediction,
            self._on_loaded,
            self._report_error,
            busy=lambda: self._worker is not None,
            viewer=napari_viewer,
        )

        self.autosave = AutosaveRows(napari_viewer, self.pairs, self._report_error)
        self.extend([self.pairs, button_row(self.add_pair, self.autosave.restore)])
        self.extend([*self.autosave.widgets, self.source, self.checkpoint, self.strategy])
        self.extend([self.strategy_info, self.bn_mode, self.seconds, self.steps])
        self.extend([self.augmentation, self.seed, button_row(self.train, self.stop)])
        self.extend([self.status, self.model_info])
        self.native.layout().addWidget(self.plot)
        self.extend(self.files.widgets)
        self.extend(self.active.widgets)
        self.native.layout().addWidget(self.active.plot)

        self.add_pair.changed.connect(self.pairs.add_row)
        self.source.changed.connect(lambda s: setattr(self.checkpoint, "visible", s == FROM_FILE))
        self.strategy.changed.connect(self._on_strategy)
        self.train.changed.connect(self._on_train)
        self.stop.changed.connect(self._on_stop)
        # Closing the viewer deletes this dock: the worker must not outlive it.
        self.native.destroyed.connect(self._on_destroyed)
        self._follower = LayerFollower(
            napari_viewer, self._refresh, self._on_layer_removed, self._watch_paint
        )
        self.pairs.add_row()

    @property
    def model(self) -> SegmentationModel | None:
        """The session's current model."""
        return self.session.model

    # -- layers and choices ----------------------------------------------------------

    def _augmentation_choices(self, _widget: object = None) -> list:
        presets = [(f"{p.title} preset", key) for key, p in PRESETS.items()]
        shared = [(FROM_PREVIEW, FROM_PREVIEW)] if viewer_state(self._viewer).augmentation else []
        return [*shared, *presets, ("none", "none")]

    def _watch_paint(self, layer: object) -> None:
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._suggest_strategy)

    def _on_layer_removed(self, layer: object) -> None:
        if self._worker is not None and id(layer) in self._inputs:
            self._stop_reason = "removed"
            self._worker.quit()
            self.status.value = texts.input_removed(layer.name)
            show_warning(self.status.value)

    def _refresh(self) -> None:
        self.reset_choices()
        self.pairs.refresh()
        self._suggest_strategy()

    def _on_strategy(self, strategy: str) -> None:
        self._strategy_chosen_by_user = True
        self.strategy_info.value = STRATEGIES[strategy]

    def _suggest_strategy(self, _event: object = None) -> None:
        """Show the core's suggested strategy for what is painted, until the user picks one."""
        if self._strategy_chosen_by_user or self._worker is not None:
            return
        advice = suggest_strategy(self.pairs.painted_pixels())
        with self.strategy.changed.blocked():
            self.strategy.value = advice.strategy
        self.strategy_info.value = advice.explanation

    # -- training ------------------------------------------------------------------

    def _options(self, seconds: float | None) -> RoundOptions:
        source = self.source.value
        start = Path(self.checkpoint.value) if source == FROM_FILE else source
        augmentation = self.augmentation.value
        if augmentation == FROM_PREVIEW:
            augmentation = viewer_state(self._viewer).augmentation
        return RoundOptions(
            start=start,
            strategy=self.strategy.value if self._strategy_chosen_by_user else None,
            bn_mode=self.bn_mode.value,
            max_seconds=float(seconds or self.seconds.value),
            # A retrain round has a time budget of its own, whatever the step count says.
            steps=None if seconds else self.steps.value or None,
            augmentation=None if augmentation == "none" else augmentation,
            seed=self.seed.value,
            suggestions=self.active.options(),
        )

    def _on_retrain(self) -> None:
        """A short warm-started round on what is painted now."""
        if self.model is None:
            self._report_error(ValueError("Train or load a model first."))
            return
        self.source.value = CURRENT
        self._start_training(seconds=self.active.retrain_seconds.value)

    def _on_train(self) -> None:
        # No parameters: the button's signal passes its value, which must not land in `seconds`.
        self._start_training()

    def _start_training(self, seconds: float | None = None) -> None:
        if self._worker is not None:
            return
        self.autosave.save_now()  # training may take the machine down: paintings first
        try:
            self.session.set_pairs(self.pairs.session_pairs())
            self._events = self.session.train_round(self._options(seconds))
        except ValueError as err:  # CheckpointError included
            self._report_error(err)
            return
        self._inputs = {id(layer) for layer in self.pairs.layers()}
        self.plot.clear()
        self._stop_reason, self._last_refresh = None, 0.0
        self.train.enabled, self.stop.enabled = False, True
        self.status.value = "Starting…"
        worker = create_worker(_drive, self._events, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self._on_event)
        worker.errored.connect(self._report_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _on_event(self, event: object) -> None:
        text = self._status_line.describe(event)
        if isinstance(event, Step):
            now = time.monotonic()
            if self._stop_reason or now - self._last_refresh < GUI_REFRESH_SECONDS:
                return
            self._last_refresh = now
            if self._progress is not None:
                self._progress.update(event.step, event.total_steps)
        elif isinstance(event, Started):
            self._progress = TrainingProgress(self._viewer, event.total_steps, "Fine-tune")
        elif isinstance(event, EpochEnd):
            self.plot.add_epoch(
                event.epoch, event.train_loss, event.validation_loss, event.validation_score
            )
        elif isinstance(event, Prediction):
            self._show_prediction(event)
        elif isinstance(event, Suggestions):
            self.active.show_uncertainty(event)
        elif isinstance(event, RoundFinished):
            self.active.show_ranking(event.ranking, [p.name for p in self.session.pairs])
            self.active.update_rounds(event.rounds)
            self.active.retrain.enabled = True
        if text is not None:
            self.status.value = text

    def _on_stop(self) -> None:
        if self._worker is not None:
            self._stop_reason = "user"
            self._worker.quit()
            self.status.value = texts.STOPPING

    def _on_finished(self) -> None:
        if self._events is not None:
            self._events.close()  # after Stop: the session keeps the best weights
        if self._progress is not None:
            self._progress.close()
        self._worker = self._events = self._progress = None
        self._inputs = set()
        self.train.enabled, self.stop.enabled = True, False
        if self._stop_reason == "user":
            self.status.value = texts.stopped(self.session.outcome, self.model is not None)
        if self.model is not None:
            self.active.retrain.enabled = True
        self._stop_reason = None
        self.model_info.value = texts.describe_model(self.model)

    def _on_destroyed(self, _object: object = None) -> None:
        worker = self._worker
        if worker is not None:
            try:
                for signal in (worker.yielded, worker.errored, worker.finished):
                    signal.disconnect()
            except RuntimeError:  # the worker has ended and its signals are gone
                self._worker = None
                return
            worker.quit()
            # The generator stays suspended in the worker; closing it once the
            # worker has let go of it runs the engine's clean-up.
            worker.finished.connect(self._events.close)
        self._worker = None

    # -- results -------------------------------------------------------------------

    def _show_prediction(self, event: Prediction) -> None:
        painted = self.pairs.labels_of(event.target)
        colormap = painted.colormap if painted is not None else None
        classes = self.model.classes if self.model is not None else {}
        show_prediction(self._viewer, event, colormap, classes)

    def _on_loaded(self, model: SegmentationModel) -> None:
        self.model_info.value = texts.describe_model(model, loaded=True)
        self.source.value = CURRENT
        self.active.update_rounds(self.session.rounds())
        self.active.retrain.enabled = True

    def _report_error(self, err: BaseException) -> None:
        self.status.value = f"Error: {err}"
        show_error(f"Fine-tune: {err}")
