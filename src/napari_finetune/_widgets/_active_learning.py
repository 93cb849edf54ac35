"""Active-learning controls of the Fine-tune widget: where to paint next, retrain.

After each training round the worker computes an uncertainty map and ranked
boxes (:class:`~napari_finetune._widgets._training_run.Suggestions`); this panel
shows them as layers, moves the camera to the next box, and plots the best
validation score against painted pixels, one point per round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, PushButton, SpinBox
from napari.layers import Image, Labels, Shapes

from napari_finetune._widgets._controls import button_row
from napari_finetune._widgets._layers import output_metadata, spatial_shape
from napari_finetune._widgets._result_layers import layer_named
from napari_finetune._widgets._training_plot import RoundsPlot
from napari_finetune._widgets._training_run import ActiveLearning, Suggestions
from napari_finetune.inference.suggest import REPRESENTATIVENESS_WEIGHT
from napari_finetune.inference.uncertainty import DEFAULT_METHOD, METHODS
from napari_finetune.training.history import rounds

if TYPE_CHECKING:
    import napari

# A box fills about this share of the canvas after "Next suggestion".
BOX_SHARE_OF_CANVAS = 0.5


class ActiveLearningPanel:
    """Uncertainty + suggestions after training, *Next suggestion*, *Retrain*.

    Not a container of its own: its :attr:`widgets` go straight into the
    Fine-tune widget's form (a labelled form nested in another squashes rows).
    """

    def __init__(self, viewer: napari.viewer.Viewer, retrain: Callable[[], None]) -> None:
        self.enabled_box = CheckBox(
            value=True, text="after training: uncertainty map and suggestions"
        )
        self.method = ComboBox(choices=list(METHODS), value=DEFAULT_METHOD, label="uncertainty")
        self.n = SpinBox(value=5, min=1, max=50, label="suggestions")
        self.size = SpinBox(value=64, min=8, max=2048, step=8, label="box size (px)")
        self.typical = CheckBox(value=True, text="prefer typical regions over rare oddities")
        self.typical.tooltip = (
            "Rank boxes by uncertainty x how typical the region is of the image: "
            "rare structures (dark blobs, artefacts) come last. Measured on isbi2012, "
            "uncertainty alone picked such regions and did worse than random boxes."
        )
        self.next = PushButton(text="Next suggestion", enabled=False)
        self.retrain = PushButton(text="Retrain (warm start)", enabled=False)
        self.retrain_seconds = SpinBox(value=30, min=2, max=86_400, label="retrain budget (s)")
        self.widgets = [
            self.enabled_box,
            self.method,
            self.n,
            self.size,
            self.typical,
            self.retrain_seconds,
            button_row(self.next, self.retrain),
        ]
        self.plot = RoundsPlot()
        self._viewer = viewer
        self._boxes: list[tuple[int, int, int, int]] = []
        self._plane: int | None = None
        self._next_index = 0
        self._painted: Labels | None = None
        self.next.changed.connect(self.go_to_next)
        self.retrain.changed.connect(retrain)

    def config(self, labels: np.ndarray) -> ActiveLearning | None:
        """What the worker should compute after training, or None if switched off."""
        if not self.enabled_box.value:
            return None
        weight = REPRESENTATIVENESS_WEIGHT if self.typical.value else 0.0
        return ActiveLearning(labels, self.method.value, self.n.value, self.size.value, weight)

    def show(self, event: Suggestions, painted: Labels | None) -> None:
        """Put the uncertainty map and the numbered boxes into the viewer."""
        target = layer_named(self._viewer, event.target, Image)
        if target is None:
            return
        self._painted, self._boxes, self._plane = painted, list(event.boxes), event.plane
        self._next_index = 0
        unsure = event.uncertainty
        if event.plane is not None:
            full = np.zeros(spatial_shape(target), np.float32)
            full[event.plane] = unsure
            unsure = full
        name = f"{event.target} uncertainty"
        top = event.display_max
        layer = layer_named(self._viewer, name, Image)
        if layer is not None and layer.data.shape == unsure.shape:
            layer.data, layer.contrast_limits = unsure, (0.0, top)
        else:
            if layer is not None:
                self._viewer.layers.remove(layer)
            self._viewer.add_image(
                unsure,
                name=name,
                colormap="inferno",
                contrast_limits=(0.0, top),
                opacity=0.55,
                blending="additive",
                metadata=output_metadata("uncertainty"),
                translate=target.translate,
                scale=target.scale,
            )
        self._show_boxes(f"{event.target} suggestions", target)
        self.next.enabled = bool(self._boxes)

    def _show_boxes(self, name: str, target: Image) -> None:
        old = layer_named(self._viewer, name, Shapes)
        if old is not None:
            self._viewer.layers.remove(old)
        if not self._boxes:
            return
        lead = [] if self._plane is None else [self._plane]
        rectangles = [
            np.array([[*lead, y0, x0], [*lead, y1, x1]], float) for y0, x0, y1, x1 in self._boxes
        ]
        self._viewer.add_shapes(
            rectangles,
            shape_type="rectangle",
            name=name,
            edge_color="#ffd54f",
            face_color="transparent",
            edge_width=max(2, self.size.value // 32),
            features={"rank": list(range(1, len(rectangles) + 1))},
            text={"string": "{rank}", "color": "#ffd54f", "anchor": "upper_left", "size": 12},
            metadata=output_metadata("suggestions"),
            translate=target.translate,
            scale=target.scale,
        )

    def go_to_next(self) -> None:
        """Centre and zoom on the next box; select the painted layer in paint mode."""
        if not self._boxes:
            return
        y0, x0, y1, x1 = self._boxes[self._next_index % len(self._boxes)]
        self._next_index += 1
        # napari >= 0.9 moved the camera to viewer.scene; older versions have viewer.camera.
        camera = getattr(self._viewer, "scene", self._viewer).camera
        canvas = _canvas_size(self._viewer)
        if self._plane is not None:
            self._viewer.dims.set_current_step(0, self._plane)
        centre = ((y0 + y1) / 2, (x0 + x1) / 2)
        if self._painted is not None:
            scale = self._painted.scale[-2:]
            offset = self._painted.translate[-2:]
            centre = tuple(c * s + o for c, s, o in zip(centre, scale, offset, strict=True))
            pixel = float(max(scale))
        else:
            pixel = 1.0
        camera.center = centre
        camera.zoom = BOX_SHARE_OF_CANVAS * min(canvas) / (max(y1 - y0, x1 - x0) * pixel)
        if self._painted is not None and self._painted in self._viewer.layers:
            self._viewer.layers.selection.active = self._painted
            self._painted.mode = "paint"

    def update_rounds(self, history: list[dict]) -> None:
        """Redraw the rounds curve from a model's history."""
        points = [
            (r.painted_pixels, r.best_validation_score)
            for r in rounds(history)
            if r.best_validation_score is not None
        ]
        self.plot.set_rounds(points)


def _canvas_size(viewer: napari.viewer.Viewer) -> tuple[int, int]:
    """The canvas' size in screen pixels (the order does not matter to callers)."""
    # napari >= 0.9 has a public canvas model; older versions only a private field.
    canvas = getattr(viewer, "canvas", None)
    if canvas is not None and hasattr(canvas, "size"):
        return tuple(canvas.size)
    return getattr(viewer, "_canvas_size", (600, 800))
