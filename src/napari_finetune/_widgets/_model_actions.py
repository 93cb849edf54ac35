"""The Fine-tune dock's model rows: *Predict*, *Measure grains*, *Save model…*, *Export…*, *Load…*.

*Apply to folder…* (:mod:`._folder_run`) sits under them and uses the same model.

*Predict* works before any training too: it then loads the start model chosen
(the shipped one by default) in the worker, so that the user sees what it does
out of the box.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from magicgui.widgets import ComboBox, PushButton
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info
from qtpy.QtWidgets import QFileDialog

from napari_finetune._widgets._controls import button_row
from napari_finetune._widgets._export_dialog import ask_export_path, replace_renamed
from napari_finetune._widgets._folder_run import FolderRun
from napari_finetune._widgets._layers import role_of
from napari_finetune._widgets._lazy_prediction import LazyPrediction
from napari_finetune._widgets._stack_prediction import StackPrediction
from napari_finetune._widgets._views_choice import ViewsChoice
from napari_finetune.models import CheckpointError, SegmentationModel, load_model, save_model
from napari_finetune.models.exporting import export_model
from napari_finetune.models.file_names import suggested_stem, with_checkpoint_suffix
from napari_finetune.session import LabellingSession, Prediction, predicted, prediction_model
from napari_finetune.session.predicting import load_and_predict

if TYPE_CHECKING:
    import napari
    from magicgui.widgets import Label, Widget
    from napari.layers import Labels


class ModelActions:
    """Predict with, save and load the session's model.

    Not a container of its own: :attr:`widgets` go into the dock's form.

    Parameters
    ----------
    session : LabellingSession
        Whose model is used, saved, or replaced by a loaded one.
    image_choices : callable
        The image layers offered to *predict on*.
    status : Label
        The dock's status line.
    show : callable
        Shows a :class:`~napari_finetune.session.Prediction` of a model as layers:
        ``show(prediction, model)``.
    loaded : callable
        Called with the model after *Load model…*.
    report : callable
        Reports an error to the user.
    busy : callable
        True while training runs: the model is then not touched.
    viewer : napari.viewer.Viewer
        Where the *Measure grains* dock opens.
    start : callable
        The start model chosen for training (a shipped name, a checkpoint path,
        ``'scratch'`` or ``'current'``): *Predict* uses it while there is no model.
    labels_of : callable, optional
        The labels layer painted on an image (by name), whose colours a
        band-by-band prediction avoids (:mod:`._lazy_prediction`).
    device : callable, optional
        The device chosen in the dock, where *Predict* and *Apply to folder…*
        run (None: where the model's weights are).
    """

    def __init__(
        self,
        session: LabellingSession,
        image_choices: Callable,
        status: Label,
        show: Callable[[Prediction, SegmentationModel], None],
        loaded: Callable[[SegmentationModel], None],
        report: Callable[[BaseException], None],
        busy: Callable[[], bool],
        viewer: napari.viewer.Viewer,
        start: Callable[[], object],
        labels_of: Callable[[str], Labels | None] | None = None,
        device: Callable[[], str] | None = None,
    ) -> None:
        self.session, self.status, self._busy = session, status, busy
        self._viewer, self._start = viewer, start
        self._show, self._loaded, self._report = show, loaded, report
        self.predict_on = ComboBox(choices=image_choices, label="predict on")
        self.views = ViewsChoice()  # the box, and why it is on or off under it
        self.average_views = self.views.box
        self.predict_button = PushButton(text="Predict")
        self.measure = PushButton(text="Measure grains", tooltip="grains and ASTM E112 G")
        self.save = PushButton(text="Save model…")
        self.export = PushButton(
            text="Export…",
            tooltip="ONNX file, or a BioImage.IO package for deepImageJ, ilastik, QuPath",
        )
        self.load = PushButton(text="Load model…")
        self._device = device or (lambda: None)
        self.folder = FolderRun(
            session, status, report, busy, viewer, start, self._device, self._views_asked
        )
        # Lazy (Dask, Zarr, multiscale) or very large images: band by band into a store.
        self.lazy = LazyPrediction(viewer, status, report, self.predict_button, labels_of)
        # Deep stacks (in memory or not): plane by plane, labels only.
        self.stack = StackPrediction(viewer, status, report, self.predict_button, show)
        self.widgets: list[Widget] = [
            self.predict_on,
            self.average_views,
            self.views.info,
            button_row(self.predict_button, self.measure),
            button_row(self.save, self.export, self.load),
            *self.folder.widgets,
        ]
        self.predict_button.changed.connect(self.predict)
        self.measure.changed.connect(self.measure_prediction)
        self.save.changed.connect(self.save_model)
        self.export.changed.connect(self.export_model)
        self.load.changed.connect(self.load_model)
        self._worker = None
        self._export_worker = None

    def predict(self) -> None:
        """Predict on the chosen image layer in a worker; show the result layers.

        With no current model, the start model chosen is loaded in the worker.
        A lazy or very large image goes band by band into a Zarr store
        (:mod:`._lazy_prediction`), a deep stack plane by plane
        (:mod:`._stack_prediction`); while they do, this button stops them.
        """
        target = self.predict_on.value
        for job in (self.lazy, self.stack):
            if job.running:
                job.stop()
                return
        if self._busy():  # the model is changing
            self._report(ValueError("Training is running: predict once it ends, or stop it."))
            return
        if target is None:
            self._report(ValueError("Choose an image."))
            return
        chosen = prediction_model(self._start(), self.session.model)
        current = chosen is self.session.model
        views = self._views_asked()
        for job in (self.stack, self.lazy):
            if job.takes(target):
                job.start(target, chosen, current, device=self._device(), average_views=views)
                return
        self.predict_button.enabled = False
        self.status.value = f"Predicting on '{target.name}'…"
        worker = create_worker(
            load_and_predict,
            chosen,
            target.data,  # a small Dask or Zarr stack is read in the worker, not here
            target.name,
            self._device(),
            views,
            _start_thread=False,
            _ignore_errors=True,
        )
        worker.returned.connect(lambda result: self._predicted(*result, current, views))
        worker.errored.connect(self._report)
        worker.finished.connect(lambda: setattr(self.predict_button, "enabled", True))
        self._worker = worker
        worker.start()

    def _views_asked(self) -> bool:
        """Whether predictions average the model's views (the box under *predict on*)."""
        return self.average_views.value

    def _predicted(
        self, model: SegmentationModel, event: Prediction, current: bool, views: bool
    ) -> None:
        self._show(event, model)
        self.status.value = predicted(event.target, model, current, views)

    def measure_prediction(self) -> None:
        """Open the *Measure grains* dock on the newest prediction and measure it."""
        # napari lists layers oldest first; results carry the role "prediction".
        found = [layer for layer in reversed(self._viewer.layers) if is_prediction(layer)]
        layer = found[0] if found else None
        if layer is None:
            self._report(ValueError("No prediction yet: train, or Predict on an image first."))
            return
        _, dock = self._viewer.window.add_plugin_dock_widget(
            "napari-finetune", "Measure grains", tabify=True
        )
        dock.measure_layer(layer)

    def ask_path(self, save: bool) -> str:
        """Ask for a checkpoint file (patched in tests)."""
        if save:
            path, _ = QFileDialog.getSaveFileName(
                self.save.native, "Save model", "model.ckpt", "napari-finetune model (*.ckpt)"
            )
            return path
        path, _ = QFileDialog.getOpenFileName(
            self.load.native,
            "Load model",
            "",
            "napari-finetune model (*.ckpt *.zip);;napari-finetune checkpoint (*.ckpt);;"
            "BioImage.IO package exported by napari-finetune (*.zip)",
        )
        return path

    def ask_export_path(self) -> str:
        """Ask where to export, in the file type chosen (patched in tests); '' if cancelled."""
        return ask_export_path(self.export.native, suggested_stem(self.session.model))

    def export_model(self) -> None:
        """Export the session's model as ONNX or a BioImage.IO package, in a worker."""
        if self.session.model is None:
            self._report(ValueError("Train or load a model first: there is no model to export."))
            return
        if self._busy():
            self._report(ValueError("Stop training before exporting: the model is changing."))
            return
        path = self.ask_export_path()
        if not path:
            return
        model = self.session.model
        self.export.enabled = False
        self.status.value = f"Exporting the model to {Path(path).name}…"
        # The file dialog has already asked before replacing a file.
        worker = create_worker(
            export_model, model, path, overwrite=True, _start_thread=False, _ignore_errors=True
        )
        worker.returned.connect(self._exported)
        worker.errored.connect(self._report)
        worker.finished.connect(lambda: setattr(self.export, "enabled", True))
        self._export_worker = worker
        worker.start()

    def _exported(self, path: Path) -> None:
        size = path.stat().st_size / 1e6
        self.status.value = f"Exported the model to {path.name} ({size:.1f} MB)."
        show_info(self.status.value)

    def save_model(self) -> None:
        """Write the session's model to a checkpoint the user picks."""
        if self.session.model is None:
            self._report(ValueError("Train or load a model first."))
            return
        typed = self.ask_path(save=True)
        path = with_checkpoint_suffix(typed) if typed else None  # else Load model hides it
        if path is None or not replace_renamed(self.save.native, "Save model", typed, path):
            return
        try:
            save_model(self.session.model, path)
        except (OSError, ValueError) as err:  # unwritable place: say so, keep the model
            self._report(err)
            return
        self.status.value = f"Saved the model to {Path(path).name}."
        show_info(self.status.value)

    def load_model(self) -> None:
        """Make a checkpoint the user picks the session's model."""
        if self._busy():
            self._report(ValueError("Stop training before loading another model."))
            return
        path = self.ask_path(save=False)
        if not path:
            return
        try:
            model = load_model(Path(path))
        except CheckpointError as err:  # every bad file: one sentence, current model kept
            self._report(err)
            return
        self.session.model = model
        self.status.value = f"Loaded {Path(path).name}: classes {self.session.model.classes}."
        self._loaded(self.session.model)


def is_prediction(layer: object) -> bool:
    """Whether ``layer`` is a plugin ``<image> prediction`` layer, or was one (corrected)."""
    return role_of(layer) == "prediction"
