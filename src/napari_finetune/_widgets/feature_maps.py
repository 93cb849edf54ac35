"""Dock widget *Feature maps*: what the network sees, and a kernel playground beside it.

For the chosen image (the plane in view, for a stack, read in the worker; a
plane too large to read whole is refused) and model, a worker computes one
stage's activations (:mod:`napari_finetune.inference.feature_maps`)
and they appear as ``<image> <stage> features``, one channel per slider
position, over the image; *Before / after* shows the same stage of the
pretrained start beside it. The first-layer kernels show as small images
right of the image. The playground applies a typed 3x3 or 5x5 kernel to the
image as ``<image> kernel response`` while the user types (debounced, in a
worker) and names the learned kernels most like it. The user's layers are only
read; every decision and every number comes from the core.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import ComboBox, Container, PushButton
from napari.layers import Image
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning

from napari_finetune._widgets import _feature_layers as layers
from napari_finetune._widgets._controls import (
    align_forms,
    button_row,
    form,
    scroll_area,
    section,
    wrapping_label,
)
from napari_finetune._widgets._feature_jobs import (
    compare_job,
    kernels_job,
    maps_job,
    where_of,
)
from napari_finetune._widgets._kernel_playground import KernelPlayground
from napari_finetune._widgets._layers import (
    LayerFollower,
    input_layers,
    plane_in_view,
    read_later,
)
from napari_finetune._widgets._model_choice import ModelChoice
from napari_finetune._widgets._progress import open_bar
from napari_finetune._widgets._workers import let_go
from napari_finetune.data.channel_axis import channel_count
from napari_finetune.inference.feature_maps import FeatureProgress, describe_feature_maps
from napari_finetune.inference.learned_kernels import kernel_mosaic
from napari_finetune.inference.network_stages import stages
from napari_finetune.models.unet import UNetConfig
from napari_finetune.session.lazy_rule import check_plane_fits

if TYPE_CHECKING:
    import napari

# px: the model and stage menus show their whole entries ('voronoi-unet (shipped)').
MIN_WIDTH = 380


class FeatureMapsWidget(Container):
    """Stage activations, first-layer kernels and a kernel playground for one image."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=False)
        self._viewer = napari_viewer
        self._worker = self._progress = None
        self.image_layer = ComboBox(label="image", choices=self._image_choices)
        self.models = ModelChoice(napari_viewer, self._on_model)
        self.stage = ComboBox(label="stage", choices=self._stage_choices)
        self.show_maps = PushButton(text="Show feature maps")
        self.compare = PushButton(
            text="Before / after",
            tooltip="The same stage of the pretrained start beside the fine-tuned model's.",
        )
        self.show_kernels = PushButton(text="Show first-layer kernels")
        self.status = wrapping_label("Choose an image and a stage, then Show feature maps.")
        self.playground = KernelPlayground(
            napari_viewer, self._plane, self._loader_or_none, self.models.label
        )

        sees = section(
            "What the network sees",
            form(self.image_layer, self.models.source, self.models.file, self.stage),
            button_row(self.show_maps, self.compare),
            button_row(self.show_kernels),
            self.status,
        )
        playground = section("Kernel playground", self.playground)
        body = Container(widgets=[sees, playground], labels=False)
        align_forms(body)
        scroll_area(self, body)
        self.native.setMinimumWidth(MIN_WIDTH)

        self.show_maps.changed.connect(lambda: self._run("maps"))
        self.compare.changed.connect(lambda: self._run("compare"))
        self.show_kernels.changed.connect(lambda: self._run("kernels"))
        self.image_layer.changed.connect(lambda _layer: self.playground.follow_image())
        napari_viewer.dims.events.current_step.connect(self._follow_image)
        self.native.destroyed.connect(self._on_destroyed)
        self._follower = LayerFollower(napari_viewer, self._refresh)

    # -- inputs ------------------------------------------------------------------------

    def _image_choices(self, _widget: object = None) -> list:
        return input_layers(self._viewer, Image)

    def _stage_choices(self, _widget: object = None) -> list:
        model = self.models.known() if hasattr(self, "models") else None
        config = model.net.config if model is not None else UNetConfig()
        return [(s.label(), s.name) for s in stages(config)]

    def _refresh(self) -> str | None:
        gone = self.models.refresh()  # said, never switched silently
        self.reset_choices()
        if gone:
            self.status.value = gone
        return gone

    def _on_model(self) -> None:
        self.stage.reset_choices()  # another architecture may have other stages
        self.playground.model_changed()  # "most like your kernel" named the old one's

    def _plane(self) -> tuple[Image, Callable[[], np.ndarray], int | None]:
        """The chosen layer, how to read its plane in view, and its index in a stack.

        Reads nothing (the playground asks on every keystroke): the returned
        function reads the plane, in a worker. The index is None for 2D.

        Raises
        ------
        ValueError
            Naming the layer: multiscale, more than one stack axis, or a plane
            too large to read whole (the core's rule, ``check_plane_fits``).
        """
        layer = self.image_layer.value
        if layer is None:
            raise ValueError("open or choose an image layer.")
        shape = tuple(layer.data.shape)
        # (rows, cols, 1) is one grey plane, as predict reads it (the core's rule).
        grey_axis = not layer.rgb and channel_count(shape) == 1
        extra = len(shape) - (3 if layer.rgb or grey_axis else 2)
        try:
            if layer.multiscale:
                raise ValueError("it is multiscale: open a single-scale copy.")
            if extra > 1:
                raise ValueError(f"it has {extra} stack axes: use a 2D stack.")
            check_plane_fits(shape, "feature maps", rgb=layer.rgb)
        except ValueError as err:
            raise ValueError(f"layer '{layer.name}': {err}") from None
        where = plane_in_view(layer, self._viewer)[:extra]  # (rows, cols, 1): rows are no planes
        return layer, read_later(layer.data, where), (where[0] if where else None)

    # -- stage maps and kernels ------------------------------------------------------

    def _run(self, what: str) -> None:
        if self._worker is not None:
            return
        if self._refresh():
            return  # the model changed under the click: the status says so first
        layer, label = self.image_layer.value, self.models.label()  # as the job starts
        try:
            load = self.models.loader()
        except ValueError as err:  # no model in the Fine-tune dock, no file chosen
            self._report(err)
            return
        if what == "kernels":
            job, args, shown = kernels_job, (load,), (layer, None, None, label)
        else:
            try:
                layer, read, index = self._plane()
            except ValueError as err:  # its words name the layer
                self._report(err)
                return
            job = maps_job if what == "maps" else compare_job
            args, shown = (load, read, self.stage.value), (layer, index, self.stage.value, label)
        self._set_busy(True)
        self.status.value = f"Computing with {label}…"
        started = time.perf_counter()
        worker = create_worker(job, *args, _start_thread=False, _ignore_errors=True)
        if hasattr(worker, "yielded"):
            worker.yielded.connect(self._on_progress)
        worker.returned.connect(
            lambda result: self._show(what, result, shown, time.perf_counter() - started)
        )
        worker.errored.connect(lambda err: self._report(err, layer, label))
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _on_progress(self, event: FeatureProgress) -> None:
        if self._progress is None:  # opened once, though opening processes the next event
            open_bar(self, "_progress", self._viewer, event.total, "Feature maps")
        if self._progress is not None:  # None: the job ended while its bar opened
            self._progress.update(event.done, event.total)

    def _show(self, what: str, result: tuple, shown: tuple, seconds: float) -> None:
        layer, index, stage, label = shown
        if layer is not None and layer not in self._viewer.layers:
            self.status.value = f"Not shown: layer '{layer.name}' was removed meanwhile."
            show_warning(f"Feature maps: {self.status.value}")
            return
        model = result[0]
        self.stage.reset_choices()
        if what == "kernels":
            # Four to a row while they are few: each kernel big enough to read its number.
            kernels = result[1]
            mosaic, corners = kernel_mosaic(kernels, per_row=4 if len(kernels) <= 8 else 8)
            # Beside an image layer only: a labels or points layer has no such size.
            source = layer or next((image for _, image in self._image_choices()), None)
            if source is None:
                self.status.value = "Open an image to place the kernels beside it."
                return
            layers.show_kernel_mosaic(self._viewer, source, mosaic, corners, model.name)
            self.status.value = (
                f"First-layer kernels of {label}, right of the image, numbered "
                "left to right, top to bottom (BatchNorm scale folded in: green positive, "
                "pink negative, white 0)."
            )
            return
        maps, displays = result[1], result[2]
        base = f"{layer.name} {stage} features"
        if what == "compare":
            cols = layer.data.shape[-2] if layer.rgb else layer.data.shape[-1]
            shift = -cols * (1 + layers.GAP)
            layers.show_stage_maps(
                self._viewer,
                layer,
                index,
                displays[0],
                maps[0].factor,
                f"{base} (pretrained)",
                shift,
            )
            tuned = layers.show_stage_maps(
                self._viewer, layer, index, displays[1], maps[1].factor, f"{base} (fine-tuned)"
            )
            captions = [(shift, "pretrained start"), (0.0, f"fine-tuned: {stage}")]
            layers.show_captions(self._viewer, layer, f"{base} (captions)", captions)
            self._viewer.layers.selection.active = tuned  # its opacity is what one adjusts
        else:
            layers.show_stage_maps(self._viewer, layer, index, displays[0], maps[0].factor, base)
        self.status.value = describe_feature_maps(
            maps[-1], layer.name, label, seconds, index, what == "compare"
        )

    def _on_finished(self) -> None:
        if self._progress is not None:
            self._progress.close()
        self._worker = self._progress = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        # The menus too: the status names the model and stage the job ran with.
        menus = (self.models.source, self.models.file, self.stage)
        for widget in (self.show_maps, self.compare, self.show_kernels, *menus):
            widget.enabled = not busy

    def _report(self, err: BaseException, layer: object = None, model: str = "") -> None:
        self.stage.reset_choices()  # a model just loaded may have other stages
        where = where_of(err, layer, model)
        self.status.value = f"Not shown: {where}{err}"
        show_error(f"Feature maps: {where}{err}")

    def _loader_or_none(self):
        try:
            return self.models.loader()
        except ValueError:
            return None  # no model: the playground still works, with nothing to compare

    def _follow_image(self, _event: object = None) -> None:
        self.playground.follow_image()

    def _on_destroyed(self, _object: object = None) -> None:
        # The dock's Qt widgets are gone: nothing may call into them any more.
        with contextlib.suppress(RuntimeError, TypeError, ValueError):
            self._viewer.dims.events.current_step.disconnect(self._follow_image)
        self.playground.close_down()
        worker, bar, self._worker, self._progress = self._worker, self._progress, None, None
        let_go(worker, bar)
