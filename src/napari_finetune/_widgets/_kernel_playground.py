"""The *Feature maps* dock's kernel playground: type a kernel, see its response, compare.

A grid of cells (:mod:`._kernel_grid`) is read by the core; the kernel is
applied to the image plane in view (read there too) in a worker once typing pauses (or on
*Apply kernel*), as ``<image> kernel response``, and the learned first-layer
kernels most like it are named. A cell that is not a number is outlined and
named, and nothing else changes: the last response stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import CheckBox, Container, PushButton
from napari.layers import Image
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_warning
from qtpy.QtCore import QTimer

from napari_finetune._widgets._controls import button_row, wrapping_label
from napari_finetune._widgets._feature_jobs import load_named, where_of
from napari_finetune._widgets._feature_layers import show_kernel_response
from napari_finetune._widgets._kernel_grid import KernelGrid
from napari_finetune._widgets._workers import disconnect_worker
from napari_finetune.data.normalize import Normalization
from napari_finetune.inference.kernels import apply_kernel
from napari_finetune.inference.learned_kernels import (
    describe_similar,
    first_layer_kernels,
    kernel_similarity,
)

if TYPE_CHECKING:
    import napari

    from napari_finetune.models.model import SegmentationModel

# The playground waits this long after the last keystroke before applying.
DEBOUNCE_MS = 300

# The layer, a function reading its plane in view (in the worker), its index in a stack.
Plane = tuple[Image, Callable[[], np.ndarray], int | None]


def _kernel_job(
    load: Callable[[], SegmentationModel] | None, read: Callable[[], np.ndarray], kernel
) -> tuple:
    """The response, and the similarity with the model's learned kernels (worker-safe).

    The plane is read here, in the worker: a lazy layer's plane is decompressed
    on every applied keystroke, which the GUI thread must not wait for.
    """
    model = load_named(load) if load is not None else None
    normalization = model.normalization if model is not None else Normalization()
    similar = None if model is None else kernel_similarity(kernel, first_layer_kernels(model))
    return apply_kernel(read(), kernel, normalization), similar


class KernelPlayground(Container):
    """Kernel cells, *apply while typing*, *Apply kernel* and a line of what happened.

    Parameters
    ----------
    viewer : napari.Viewer
        Where the response layer goes.
    plane : callable
        Returns the chosen image layer, a function reading the plane in view
        (called in the worker) and its stack index; raises ValueError in
        words, naming the layer, when there is none or it cannot be read whole.
    loader : callable
        Returns a function loading the chosen model, or None when there is none
        (the image is then normalised as models do by default).
    model_label : callable, optional
        How the chosen model is named in messages (a model error names it).
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        plane: Callable[[], Plane],
        loader: Callable[[], Callable[[], SegmentationModel] | None],
        model_label: Callable[[], str] = lambda: "",
    ) -> None:
        super().__init__(labels=False)
        self._viewer, self._plane, self._loader = viewer, plane, loader
        self._model_label = model_label
        self._worker = None
        self._again = False  # an edit arrived while a response was computed
        self._shown: tuple | None = None  # (layer id, plane) the response shows
        self.grid = KernelGrid(self._schedule)
        self.live = CheckBox(text="apply while typing", value=True)
        self.apply = PushButton(text="Apply kernel")
        self.status = wrapping_label(
            "Pick a preset or type numbers: the response appears as a layer."
        )
        self.margins = (0, 0, 0, 0)
        self.extend([self.grid, button_row(self.live, self.apply), self.status])
        self._timer = QTimer(self.native)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.apply_kernel(live=True))
        self.apply.changed.connect(lambda: self.apply_kernel(live=False))

    @property
    def busy(self) -> bool:
        """Whether a response is being computed."""
        return self._worker is not None

    def _schedule(self) -> None:
        if self.live.value:
            self._timer.start()  # restarts: applies once typing pauses

    def follow_image(self) -> None:
        """Move a live response to the image and plane in view when they change."""
        if self._shown is None or not self.live.value:
            return
        try:
            layer, _plane, index = self._plane()
        except ValueError:
            return
        if (id(layer), index) != self._shown:
            self._timer.start()

    def apply_kernel(self, live: bool = False) -> None:
        """Apply the typed kernel to the image plane in a worker (the latest edit wins)."""
        try:
            kernel = self.grid.kernel()
            layer, read, index = self._plane()
        except ValueError as err:
            # Refused: the bad cell is outlined and named; no layer changes.
            self.status.value = f"Kernel not applied: {err}"
            if not live:  # while typing, a half-typed '-' is no reason for a pop-up
                show_warning(f"Feature maps: {err}")
            return
        if self._worker is not None:
            self._again = True
            return
        self._shown, label = (id(layer), index), self._model_label()
        worker = create_worker(
            _kernel_job, self._loader(), read, kernel, _start_thread=False, _ignore_errors=True
        )
        worker.returned.connect(lambda result: self._show(result, layer, index))
        worker.errored.connect(lambda err: self._report(err, layer, label))
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _show(self, result: tuple, layer: Image, index: int | None) -> None:
        response, similar = result
        if layer not in self._viewer.layers:
            return
        show_kernel_response(self._viewer, layer, index, response)
        words = f"Response of the kernel on '{layer.name}'"
        words += "." if index is None else f" (plane {index})."
        if similar is not None:
            words += " " + describe_similar(similar)
        self.status.value = words

    def _report(self, err: BaseException, layer: Image, model: str = "") -> None:
        where = where_of(err, layer, model)  # a model error names the model
        self.status.value = f"Kernel not applied: {where}{err}"
        show_error(f"Feature maps: {where}{err}")

    def model_changed(self) -> None:
        """Another model chosen: the kernels named most like the typed one were the old one's."""
        if self._shown is None:
            return
        if self.live.value:
            self._timer.start()  # the response again, compared with the new model's kernels
        else:
            self.status.value = "Model changed: Apply kernel to compare with its learned kernels."

    def _on_finished(self) -> None:
        self._worker = None
        if self._again:
            self._again = False
            self.apply_kernel(live=True)

    def close_down(self) -> None:
        """The dock is closing: no timer, and no worker may call back into it."""
        self._timer.stop()
        worker, self._worker = self._worker, None
        disconnect_worker(worker)
