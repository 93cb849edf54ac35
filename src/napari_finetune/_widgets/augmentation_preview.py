"""Dock widget *Augmentation preview*: see what a pipeline does to image AND mask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSpinBox,
    PushButton,
    SpinBox,
)
from napari.layers import Image, Labels
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning
from qtpy.QtWidgets import QFileDialog

from napari_finetune._widgets._controls import button_row, wrapping_label
from napari_finetune._widgets._layers import LayerFollower, check_same_plane_shape, input_layers
from napari_finetune._widgets._preview_inputs import (
    planes_to_preview,
    read_and_preview,
    removed_layer,
)
from napari_finetune._widgets._preview_layers import clear_mosaic, show_mosaic
from napari_finetune._widgets._viewer_state import viewer_state
from napari_finetune.augment import (
    PRESETS,
    AugmentationPipeline,
    ForbiddenTransformError,
    PreviewMosaic,
    get_preset,
)
from napari_finetune.augment.catalog import CATALOG
from napari_finetune.augment.recorded_preset import recorded_preset

if TYPE_CHECKING:
    import napari

FORBIDDEN_STYLE = "color: #8a8a8a;"


class AugmentationPreviewWidget(Container):
    """Pick layers and a modality preset, toggle transforms, click *Preview*."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=True)
        self._viewer = napari_viewer
        self._worker = None
        # Reopening the widget shows the pipeline chosen before in this viewer.
        shared = viewer_state(napari_viewer)
        self.pipeline = shared.augmentation or AugmentationPipeline.from_preset("equiaxed")
        shared.augmentation = self.pipeline

        self.image_layer = ComboBox(label="image", choices=self._image_choices)
        self.labels_layer = ComboBox(label="labels", choices=self._labels_choices, nullable=True)
        self.preset = ComboBox(
            label="modality",
            choices=[(p.title, key) for key, p in PRESETS.items()],
            value=self.pipeline.preset,
        )
        self.preset_info = wrapping_label()
        self.toggles: dict[str, CheckBox] = {}
        self.probabilities: dict[str, FloatSpinBox] = {}
        rows = []
        for name in CATALOG:
            toggle = CheckBox(text=CATALOG[name].shown_as)
            chance = FloatSpinBox(value=0.5, min=0.0, max=1.0, step=0.05, tooltip="probability")
            chance.native.setMaximumWidth(90)
            toggle.changed.connect(lambda on, name=name: self._on_toggle(name, on))
            chance.changed.connect(lambda p, name=name: self._on_probability(name, p))
            self.toggles[name], self.probabilities[name] = toggle, chance
            rows.append(button_row(toggle, chance))
        self.transforms = Container(widgets=rows, label="transforms (p)", labels=False)
        self.n_views = SpinBox(value=6, min=1, max=24, label="views")
        self.seed = SpinBox(value=0, min=0, max=2**31 - 1, label="seed")
        self.unsynchronized = CheckBox(
            value=False,
            text="Show unsynchronized (wrong)",
            tooltip="Transform the mask with an independent sample, as a bug would: "
            "see how far image and mask fall apart.",
        )
        self.preview = PushButton(text="Preview")
        self.save = PushButton(text="Save pipeline…")
        self.load = PushButton(text="Load pipeline…")
        self.status = wrapping_label()
        self.extend(
            [
                self.image_layer,
                self.labels_layer,
                self.preset,
                self.preset_info,
                self.transforms,
                self.n_views,
                self.seed,
                self.unsynchronized,
                self.preview,
                button_row(self.save, self.load),
                self.status,
            ]
        )
        self.preset.changed.connect(self._on_preset)
        self.image_layer.changed.connect(self._match_labels_to_image)
        self.preview.changed.connect(self._on_preview)
        self.save.changed.connect(self._on_save)
        self.load.changed.connect(self._on_load)
        self._followed = None  # the image whose recorded preset was last taken
        self._follower = LayerFollower(napari_viewer, self._refresh_choices)
        self._choose_default_labels()
        self._sync_controls()

    # -- layer pickers -------------------------------------------------------------

    def _image_choices(self, _widget: object = None) -> list:
        return input_layers(self._viewer, Image)

    def _labels_choices(self, _widget: object = None) -> list:
        return input_layers(self._viewer, Labels)

    def _refresh_choices(self, _event: object = None) -> None:
        self.reset_choices()
        self._match_labels_to_image()

    def _choose_default_labels(self) -> None:
        """Start on the newest labels layer painted on the chosen image, if any."""
        if self.labels_layer.value is None and self._labels_choices():
            self.labels_layer.value = self._labels_choices()[0][1]
        self._match_labels_to_image()

    def _match_labels_to_image(self, _value: object = None) -> None:
        """Take the preset a newly chosen image records; prefer labels painted on it."""
        image, labels = self.image_layer.value, self.labels_layer.value
        recorded = recorded_preset(getattr(image, "metadata", None))
        if image is not self._followed and recorded not in (None, self.pipeline.preset):
            self._on_preset(recorded)  # once per image chosen: the user may pick another
            self.status.value += f" (recorded with '{image.name}')"
        self._followed = image
        if image is None or labels is None:
            return
        try:
            check_same_plane_shape(image, labels)
        except ValueError:
            for _, candidate in self._labels_choices():
                try:
                    check_same_plane_shape(image, candidate)
                except ValueError:
                    continue
                self.labels_layer.value = candidate
                return

    def _set_pipeline(self, pipeline: AugmentationPipeline) -> bool:
        """Use ``pipeline``; whether a preview of another modality was cleared."""
        cleared = pipeline.preset != self.pipeline.preset and clear_mosaic(self._viewer)
        self.pipeline = pipeline
        viewer_state(self._viewer).augmentation = pipeline
        self._sync_controls()
        return cleared

    def _sync_controls(self) -> None:
        preset = get_preset(self.pipeline.preset)
        with self.preset.changed.blocked():
            self.preset.value = preset.key
        self.preset_info.value = preset.description
        for setting in self.pipeline.transforms:
            toggle, chance = self.toggles[setting.name], self.probabilities[setting.name]
            reason = preset.reason(setting.name)
            with toggle.changed.blocked(), chance.changed.blocked():
                toggle.value = setting.enabled
                chance.value = setting.p
            toggle.tooltip = (
                f"Forbidden for {preset.title}: {reason}."
                if reason
                else f"Claims {CATALOG[setting.name].symmetry}."
            )
            toggle.native.setStyleSheet(FORBIDDEN_STYLE if reason else "")
            chance.enabled = reason is None

    def _on_preset(self, key: str) -> None:
        # Views of the old modality may show transforms it forbids: they go.
        cleared = self._set_pipeline(self.pipeline.with_preset(key))
        self.status.value = f"Modality: {get_preset(key).title}." + (
            " The previous preview was cleared: click Preview." if cleared else ""
        )

    def _on_toggle(self, name: str, on: bool) -> None:
        try:
            self._set_pipeline(self.pipeline.with_enabled(name, on))
        except ForbiddenTransformError as err:
            with self.toggles[name].changed.blocked():
                self.toggles[name].value = False
            self.status.value = f"Refused: {err}"
            show_warning(str(err))
            return
        # A refusal shown before is about another toggle: it must not stay.
        self.status.value = f"{name} {'on' if on else 'off'}."

    def _on_probability(self, name: str, p: float) -> None:
        self._set_pipeline(self.pipeline.with_probability(name, p))
        self.status.value = f"{name}: probability {p:.2f}."

    # -- preview -------------------------------------------------------------------

    def _on_preview(self) -> None:
        if self._worker is not None:
            return
        image_layer, labels_layer = self.image_layer.value, self.labels_layer.value
        try:
            read = planes_to_preview(self._viewer, image_layer, labels_layer)
        except ValueError as err:
            self._report_error(err)
            return
        self.preview.enabled = False
        self.status.value = f"Rendering {self.n_views.value} views…"
        worker = create_worker(
            read_and_preview,
            read,
            self.pipeline,
            self.n_views.value,
            self.seed.value,
            self.unsynchronized.value,
            _start_thread=False,
            _ignore_errors=True,  # errors go to our own errored slot, shown to the user
        )
        worker.returned.connect(lambda done: self._show(*done, image_layer, labels_layer))
        worker.errored.connect(self._report_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _show(
        self,
        result: PreviewMosaic,
        tile_shape: tuple[int, ...],
        image_layer: Image,
        labels_layer: Labels | None,
    ) -> None:
        gone = removed_layer(self._viewer, image_layer, labels_layer)
        if gone is not None:  # removed while the preview rendered
            self.status.value = f"'{gone}' was removed; not shown."
            return
        show_mosaic(self._viewer, result, image_layer, labels_layer, tile_shape)
        self.status.value = result.summary()

    def _report_error(self, err: BaseException, failed: str = "Not previewed") -> None:
        """Say what failed (``failed``: e.g. "Not loaded") and why, in the status and a popup."""
        self.status.value = f"{failed}: {err}"
        show_error(f"Augmentation preview: {err}")

    def _on_finished(self) -> None:
        self._worker = None
        self.preview.enabled = True

    # -- files ---------------------------------------------------------------------

    def _ask_path(self, save: bool) -> str:
        """Ask for a YAML file (patched in tests)."""
        ask = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        title = "Save augmentation pipeline" if save else "Load augmentation pipeline"
        path, _ = ask(self.native, title, "pipeline.yaml", "YAML (*.yaml *.yml)")
        return path

    def _on_save(self) -> None:
        path = self._ask_path(save=True)
        if not path:
            return
        try:
            self.pipeline.save(path)
        except OSError as err:
            self._report_error(err, "Not saved")
            return
        self.status.value = f"Saved the pipeline to {Path(path).name}."

    def _on_load(self) -> None:
        path = self._ask_path(save=False)
        if not path:
            return
        try:
            pipeline = AugmentationPipeline.load(path)
        except (OSError, ValueError) as err:
            self._report_error(err, "Not loaded")
            return
        cleared = self._set_pipeline(pipeline)
        self.status.value = f"Loaded {Path(path).name} ({get_preset(pipeline.preset).title})." + (
            " The previous preview was cleared: click Preview." if cleared else ""
        )
