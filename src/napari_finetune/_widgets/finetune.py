"""Dock widget *Fine-tune*: train on painted layers in a worker, with live feedback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import ComboBox, Container, FileEdit, Label, PushButton, SpinBox
from napari.layers import Image, Labels
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtWidgets import QFileDialog, QSizePolicy

from napari_finetune._widgets._active_learning import ActiveLearningPanel
from napari_finetune._widgets._controls import button_row
from napari_finetune._widgets._layers import (
    check_same_plane_shape,
    has_painted_pixels,
    input_layers,
    spatial_shape,
)
from napari_finetune._widgets._progress import TrainingProgress
from napari_finetune._widgets._result_layers import show_prediction
from napari_finetune._widgets._session import session
from napari_finetune._widgets._training_plot import TrainingPlot
from napari_finetune._widgets._training_run import (
    Prediction,
    Suggestions,
    training_with_previews,
)
from napari_finetune.augment import PRESETS
from napari_finetune.inference.predict import predict
from napari_finetune.models import CheckpointError, load_checkpoint, load_model, save_model
from napari_finetune.training import EpochEnd, Finished, Started, Step, finetune
from napari_finetune.training.strategies import STRATEGIES

if TYPE_CHECKING:
    import napari

    from napari_finetune.models import SegmentationModel

# Status and progress bar refresh at most this often: a repaint per batch takes
# CPU and the GIL from the training thread on a 2-core machine.
GUI_REFRESH_SECONDS = 1.0
# Below this many painted pixels, freezing the encoder is the safer default.
FEW_PAINTED_PX = 2000
FROM_PREVIEW = "from Augmentation preview"
SOURCES = [
    ("voronoi-unet (shipped)", "voronoi-unet"),
    ("from scratch", "scratch"),
    ("checkpoint file…", "file"),
    ("current model (continue)", "current"),
]


def _drive(events):  # a generator function, so napari makes a GeneratorWorker
    yield from events


class TrainingPair(Container):
    """One row: an image layer and the labels layer painted on it."""

    def __init__(self, owner: FineTuneWidget) -> None:
        self.image_layer = ComboBox(choices=owner.image_choices, tooltip="image to learn from")
        self.labels_layer = ComboBox(
            choices=owner.labels_choices, nullable=True, tooltip="labels painted on it"
        )
        self.remove = PushButton(text="−", tooltip="remove this pair")
        self.remove.native.setMaximumWidth(28)
        super().__init__(
            widgets=[self.image_layer, self.labels_layer, self.remove],
            layout="horizontal",
            labels=False,
        )


class FineTuneWidget(Container):
    """Pick painted layers, a start model and a strategy; click *Fine-tune*."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=True)
        self._viewer = napari_viewer
        self.model: SegmentationModel | None = None
        self._worker = None
        self._events = None
        self._progress = None
        self._inputs: set[int] = set()
        self._strategy_chosen_by_user = False
        self._stopping = False
        self._last_refresh = 0.0

        self.pairs = Container(labels=False, label="training data")
        self.add_pair = PushButton(text="+ add image")
        self.source = ComboBox(choices=SOURCES, value="voronoi-unet", label="start from")
        self.checkpoint = FileEdit(mode="r", filter="*.ckpt", label="checkpoint", visible=False)
        self.strategy = ComboBox(choices=list(STRATEGIES), value="finetune", label="strategy")
        self.strategy_info = Label(value="")
        self.bn_mode = ComboBox(choices=["auto", "frozen", "adapt", "adabn"], label="BatchNorm")
        self.seconds = SpinBox(value=60, min=2, max=86_400, label="time budget (s)")
        self.steps = SpinBox(value=0, min=0, max=10_000_000, label="or steps (0: time)")
        self.augmentation = ComboBox(choices=self._augmentation_choices, label="augmentation")
        self.seed = SpinBox(value=0, min=0, max=2**31 - 1, label="seed")
        self.train = PushButton(text="Fine-tune")
        self.stop = PushButton(text="Stop", enabled=False)
        self.status = Label(value="Paint a few strokes (1, 2, …) and click Fine-tune.")
        self.plot = TrainingPlot()
        self.predict_on = ComboBox(choices=self.image_choices, label="predict on")
        self.predict_button = PushButton(text="Predict")
        self.save = PushButton(text="Save model…")
        self.load = PushButton(text="Load model…")
        for label in (self.strategy_info, self.status):
            label.native.setWordWrap(True)
            label.native.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

        self.extend(
            [
                self.pairs,
                self.add_pair,
                self.source,
                self.checkpoint,
                self.strategy,
                self.strategy_info,
                self.bn_mode,
                self.seconds,
                self.steps,
                self.augmentation,
                self.seed,
                button_row(self.train, self.stop),
                self.status,
            ]
        )
        self.native.layout().addWidget(self.plot)
        self.extend(
            [
                self.predict_on,
                self.predict_button,
                button_row(self.save, self.load),
            ]
        )

        self.active = ActiveLearningPanel(napari_viewer, self._on_retrain)
        self.extend(self.active.widgets)
        self.native.layout().addWidget(self.active.plot)

        self.add_pair.changed.connect(self._add_pair)
        self.source.changed.connect(self._on_source)
        self.strategy.changed.connect(self._on_strategy)
        self.train.changed.connect(self._on_train)
        self.stop.changed.connect(self._on_stop)
        self.predict_button.changed.connect(self._on_predict)
        self.save.changed.connect(self._on_save)
        self.load.changed.connect(self._on_load)
        # Closing the viewer deletes this dock: the worker must not outlive it.
        self.native.destroyed.connect(self._on_destroyed)
        layers = napari_viewer.layers
        layers.events.inserted.connect(self._on_layer_inserted)
        layers.events.removed.connect(self._on_layer_removed)
        layers.events.moved.connect(self._refresh)
        for layer in layers:
            self._watch(layer)
        self._add_pair()  # suggests a strategy from what is painted

    # -- layer pickers -------------------------------------------------------------

    def image_choices(self, _widget: object = None) -> list:
        """Image layers offered as inputs, newest first."""
        return input_layers(self._viewer, Image)

    def labels_choices(self, _widget: object = None) -> list:
        """Labels layers offered as painted inputs, newest first."""
        return input_layers(self._viewer, Labels)

    def _augmentation_choices(self, _widget: object = None) -> list:
        presets = [(f"{p.title} preset", key) for key, p in PRESETS.items()]
        shared = [(FROM_PREVIEW, FROM_PREVIEW)] if session(self._viewer).augmentation else []
        return [*shared, *presets, ("none", "none")]

    def _watch(self, layer: object) -> None:
        layer.events.name.connect(self._refresh)
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._suggest_strategy)

    def _on_layer_inserted(self, event: object) -> None:
        self._watch(event.value)
        self._refresh()

    def _on_destroyed(self, _object: object = None) -> None:
        worker = self._worker
        if worker is not None:
            for signal in (worker.yielded, worker.errored, worker.finished):
                signal.disconnect()
            worker.quit()
            # The generator stays suspended in the worker; closing it here runs
            # the engine's clean-up once the worker has let go of it.
            worker.finished.connect(self._events.close)
        self._worker = None

    def _on_layer_removed(self, event: object) -> None:
        if self._worker is not None and id(event.value) in self._inputs:
            self._stopping = True
            self._worker.quit()
            self.status.value = (
                f"Training stopped: layer '{event.value.name}' it learns from was removed. "
                "The best model so far is kept."
            )
            show_warning(self.status.value)
        self._refresh()

    def _refresh(self, _event: object = None) -> None:
        self.reset_choices()
        for pair in self._pair_rows():
            self._default_labels(pair)
        self._suggest_strategy()

    def _pair_rows(self) -> list[TrainingPair]:
        return [w for w in self.pairs if isinstance(w, TrainingPair)]

    def _add_pair(self) -> None:
        pair = TrainingPair(self)
        pair.remove.changed.connect(lambda: self._remove_pair(pair))
        pair.image_layer.changed.connect(lambda _value: self._default_labels(pair, force=True))
        self.pairs.append(pair)
        used = {id(p.image_layer.value) for p in self._pair_rows() if p is not pair}
        fresh = [layer for _, layer in self.image_choices() if id(layer) not in used]
        if fresh:
            pair.image_layer.value = fresh[0]
        self._default_labels(pair, force=True)
        self._suggest_strategy()

    def _remove_pair(self, pair: TrainingPair) -> None:
        if len(self._pair_rows()) > 1:
            self.pairs.remove(pair)
            self._suggest_strategy()

    def _default_labels(self, pair: TrainingPair, force: bool = False) -> None:
        """The newest painted labels layer of the image's shape, unless one is set."""
        image, current = pair.image_layer.value, pair.labels_layer.value
        if image is None or (current is not None and not force):
            return
        for _, layer in self.labels_choices():
            try:
                check_same_plane_shape(image, layer)
            except ValueError:
                continue
            if has_painted_pixels(layer):
                pair.labels_layer.value = layer
                return

    # -- options -------------------------------------------------------------------

    def _on_source(self, source: str) -> None:
        self.checkpoint.visible = source == "file"

    def _on_strategy(self, strategy: str, by_user: bool = True) -> None:
        self._strategy_chosen_by_user |= by_user
        self.strategy_info.value = STRATEGIES[strategy]

    def _painted_pixels(self) -> int:
        return sum(
            int(np.count_nonzero(p.labels_layer.value.data))
            for p in self._pair_rows()
            if p.labels_layer.value is not None
        )

    def _suggest_strategy(self, _event: object = None) -> None:
        """Default strategy from how much is painted, until the user picks one."""
        if self._strategy_chosen_by_user or self._worker is not None:
            return
        painted = self._painted_pixels()
        choice = "head" if painted < FEW_PAINTED_PX else "finetune"
        with self.strategy.changed.blocked():
            self.strategy.value = choice
        self.strategy_info.value = f"{STRATEGIES[choice]} (suggested for {painted:,} painted px)"

    # -- training ------------------------------------------------------------------

    def _training_data(self) -> tuple[list[np.ndarray], list[np.ndarray], list]:
        images, labels, layers = [], [], []
        for pair in self._pair_rows():
            image, painted = pair.image_layer.value, pair.labels_layer.value
            if image is None or painted is None:
                raise ValueError("Choose an image and the labels layer painted on it.")
            check_same_plane_shape(image, painted)
            if image.multiscale:
                raise ValueError(f"Image layer '{image.name}' is multiscale; use one scale.")
            # Copies: painting on while training cannot change what is learnt,
            # and the user's layers are only ever read.
            images.append(np.array(image.data))
            labels.append(np.array(painted.data))
            layers += [image, painted]
        return images, labels, layers

    def _start_model(self) -> SegmentationModel | str | None:
        source = self.source.value
        if source == "current":
            if self.model is None:
                raise ValueError("There is no current model yet: train or load one first.")
            return self.model
        if source == "file":
            return load_checkpoint(Path(self.checkpoint.value))
        return None if source == "scratch" else load_model(source)

    def _pipeline(self) -> object:
        choice = self.augmentation.value
        if choice == FROM_PREVIEW:
            return session(self._viewer).augmentation
        return None if choice == "none" else choice

    def _on_retrain(self) -> None:
        """A short warm-started round on what is painted now."""
        if self.model is None:
            self._report_error(ValueError("Train or load a model first."))
            return
        self.source.value = "current"
        self._start_training(seconds=self.active.retrain_seconds.value)

    def _on_train(self) -> None:
        # A slot with no parameters: the button's signal passes its value, which
        # must not land in `seconds`.
        self._start_training()

    def _start_training(self, seconds: float | None = None) -> None:
        if self._worker is not None:
            return
        try:
            images, labels, layers = self._training_data()
            start = self._start_model()
        except (ValueError, CheckpointError) as err:
            self._report_error(err)
            return
        strategy = "scratch" if self.source.value == "scratch" else self.strategy.value
        events = finetune(
            images,
            labels,
            start,
            strategy=strategy,
            bn_mode=self.bn_mode.value,
            max_seconds=float(seconds or self.seconds.value),
            steps=self.steps.value or None,
            augmentation=self._pipeline(),
            seed=self.seed.value,
        )
        image_layer = layers[0]
        plane = None
        if len(spatial_shape(image_layer)) == 3:
            plane = min(int(self._viewer.dims.current_step[0]), images[0].shape[0] - 1)
        self._events = training_with_previews(
            events, images[0], image_layer.name, plane, self.active.config(labels[0])
        )
        self._inputs = {id(layer) for layer in layers}
        self._target = image_layer
        self.plot.clear()
        self._stopping = False
        self._last_refresh = 0.0
        self.train.enabled, self.stop.enabled = False, True
        self.status.value = "Starting…"
        worker = create_worker(_drive, self._events, _start_thread=False, _ignore_errors=True)
        worker.yielded.connect(self._on_event)
        worker.errored.connect(self._report_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _on_event(self, event: object) -> None:
        if isinstance(event, Started):
            self.model = event.model
            self._progress = TrainingProgress(self._viewer, event.total_steps, "Fine-tune")
            self.status.value = (
                f"Training '{event.strategy}' (BatchNorm {event.bn_mode}) on "
                f"{event.n_train_pixels:,} painted px; {event.n_validation_pixels:,} px "
                f"held out by {event.validation}."
            )
        elif isinstance(event, Step) and not self._stopping:
            now = time.monotonic()
            if now - self._last_refresh < GUI_REFRESH_SECONDS:
                return
            self._last_refresh = now
            if self._progress is not None:
                self._progress.update(event.step, event.total_steps)
            left = (
                max(0.0, self.seconds.value - event.elapsed)
                if not self.steps.value
                else (event.elapsed / event.step * (event.total_steps - event.step))
            )
            last = self.plot.score[-1] if self.plot.score else None
            score = f" · val F1 {last:.3f}" if last is not None else ""
            self.status.value = (
                f"epoch {event.epoch} · {event.samples_per_second:.0f} patches/s · "
                f"{left:.0f} s left{score}"
            )
        elif isinstance(event, EpochEnd):
            self.plot.add_epoch(
                event.epoch, event.train_loss, event.validation_loss, event.validation_score
            )
        elif isinstance(event, Prediction):
            self._show_prediction(event)
        elif isinstance(event, Suggestions):
            pairs = self._pair_rows()
            self.active.show(event, pairs[0].labels_layer.value if pairs else None)
        elif isinstance(event, Finished):
            self.model = event.model
            self.active.update_rounds(event.model.history)
            self.active.retrain.enabled = True
            best = self.plot.score[event.best_epoch - 1] if event.best_epoch else None
            best_text = f"; best validation F1 {best:.3f}" if best is not None else ""
            self.status.value = (
                f"Done ({event.reason}, {event.elapsed:.0f} s): kept epoch "
                f"{event.best_epoch}{best_text}."
            )

    def _on_stop(self) -> None:
        if self._worker is not None:
            self._stopping = True
            self._worker.quit()
            self.status.value = "Stopping after this batch; keeping the best model so far…"

    def _on_finished(self) -> None:
        if self._events is not None:
            self._events.close()  # after Stop: restores the best weights
        if self._progress is not None:
            self._progress.close()
        self._worker = self._events = self._progress = None
        self._inputs = set()
        self.train.enabled, self.stop.enabled = True, False
        if self._stopping and self.model is not None and "removed" not in self.status.value:
            self.status.value = "Stopped: the best model so far is kept (Save model… to keep it)."
        self._stopping = False

    # -- results -------------------------------------------------------------------

    def _show_prediction(self, event: Prediction) -> None:
        pairs = self._pair_rows()
        painted = pairs[0].labels_layer.value if pairs else None
        show_prediction(
            self._viewer,
            event,
            painted.colormap if painted is not None else None,
            self.model.classes if self.model is not None else {},
        )

    def _on_predict(self) -> None:
        if self._worker is not None:
            return
        target = self.predict_on.value
        if self.model is None:
            self._report_error(ValueError("Train or load a model first."))
            return
        if target is None:
            self._report_error(ValueError("Choose an image layer to predict on."))
            return
        model, image = self.model, np.asarray(target.data)
        self.predict_button.enabled = False
        self.status.value = f"Predicting on '{target.name}'…"
        worker = create_worker(predict, model, image, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(
            lambda probs: self._show_prediction(Prediction(target.name, probs, final=True))
        )
        worker.returned.connect(
            lambda _: setattr(self.status, "value", f"Predicted '{target.name}'.")
        )
        worker.errored.connect(self._report_error)
        worker.finished.connect(lambda: setattr(self.predict_button, "enabled", True))
        self._predict_worker = worker
        worker.start()

    # -- files and errors ----------------------------------------------------------

    def _ask_path(self, save: bool) -> str:
        """Ask for a checkpoint file (patched in tests)."""
        ask = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        title = "Save model" if save else "Load model"
        path, _ = ask(self.native, title, "model.ckpt", "napari-finetune model (*.ckpt)")
        return path

    def _on_save(self) -> None:
        if self.model is None:
            self._report_error(ValueError("Train or load a model first."))
            return
        path = self._ask_path(save=True)
        if path:
            save_model(self.model, path)
            self.status.value = f"Saved the model to {Path(path).name}."
            show_info(self.status.value)

    def _on_load(self) -> None:
        path = self._ask_path(save=False)
        if not path:
            return
        try:
            self.model = load_checkpoint(path)
        except CheckpointError as err:
            self._report_error(err)
            return
        self.source.value = "current"
        self.active.update_rounds(self.model.history)
        self.active.retrain.enabled = True
        self.status.value = f"Loaded {Path(path).name}: classes {self.model.classes}."

    def _report_error(self, err: BaseException) -> None:
        self.status.value = f"Error: {err}"
        show_error(f"Fine-tune: {err}")
