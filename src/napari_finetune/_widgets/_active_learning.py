"""Active-learning controls of the Fine-tune dock: where to paint next, retrain.

After each round the session computes, for every training image, an
uncertainty map and boxes ranked over all images
(:class:`~napari_finetune.session.Suggestions`,
:class:`~napari_finetune.session.RankedBox`); this panel only shows them as
layers, moves the camera to the next box, and plots the rounds curve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pint
from magicgui.widgets import CheckBox, ComboBox, PushButton, SpinBox
from napari.layers import Image, Labels, Layer, Shapes

from napari_finetune._widgets._controls import button_row, wrapping_label
from napari_finetune._widgets._layers import (
    output_metadata,
    output_named,
    remove_layers,
)
from napari_finetune._widgets._result_layers import layer_named, placement
from napari_finetune._widgets._training_plot import RoundsPlot
from napari_finetune._widgets._uncertainty_layer import show_uncertainty
from napari_finetune.inference.suggest import DRAW_SEED, REPRESENTATIVENESS_WEIGHT
from napari_finetune.inference.thin_class_emphasis import THIN_CLASS_WEIGHT, sought_sentence
from napari_finetune.inference.uncertainty import DEFAULT_METHOD, METHODS
from napari_finetune.session import RankedBox, SuggestionOptions, Suggestions
from napari_finetune.training.thin_classes import THIN_PIXELS, THIN_SHARE

if TYPE_CHECKING:
    import napari

    from napari_finetune.training.history import Round

# A box fills about this share of the canvas after "Next suggestion".
BOX_SHARE_OF_CANVAS = 0.5


class ActiveLearningPanel:
    """Uncertainty + suggestions after training, *Next suggestion*, *Retrain*.

    Not a container of its own: its :attr:`widgets` go straight into the
    Fine-tune widget's form (a labelled form nested in another squashes rows).
    ``labels_of`` maps an image layer's name to the labels layer painted on it.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        retrain: Callable[[], None],
        labels_of: Callable[[str], Labels | None],
    ) -> None:
        self.enabled_box = CheckBox(
            value=True, text="after training: uncertainty map and suggestions"
        )
        self.method = ComboBox(choices=list(METHODS), value=DEFAULT_METHOD, label="uncertainty")
        self.n = SpinBox(value=5, min=1, max=50, label="suggestions")
        self.size = SpinBox(value=64, min=8, max=2048, step=8, label="box size (px)")
        self.typical = _switch(
            "prefer typical regions over rare oddities",
            "Rank boxes by uncertainty x how typical the region is of the image: "
            "rare structures (dark blobs, artefacts) come last. Measured on isbi2012, "
            "uncertainty alone picked such regions and did worse than random boxes.",
        )
        self.spread = _switch(
            "spread boxes over kinds of error",
            "Draw boxes in proportion to their score (reproducibly) instead of taking "
            "the best ones: the best boxes tend to be near-copies of one kind of error. "
            "Measured on isbi2012, the best boxes did worse than random ones; drawn "
            "boxes did not (README, Active learning).",
        )
        self.seek_thin = _switch(
            "seek a class rare in your painting",
            f"When a class is painted on under {THIN_PIXELS:,} px and under "
            f"{THIN_SHARE:.0%} of the most-painted class's pixels (the line under the "
            "training rows names it), rank boxes also by how much more of it the model "
            "sees there than on the image on average; this multiplies the other factors, "
            "and the uncertainty map shown stays as it is. Superalloy phases, 5 seeds, "
            "after five training rounds: mean IoU 0.794 with it, 0.720 without, 0.789 with "
            "random boxes (README, Active learning on phases).",
        )
        self.sought = wrapping_label()  # which class the last boxes sought, if any
        self.sought.visible = False
        self.next = PushButton(text="Next suggestion", enabled=False)
        self.retrain = PushButton(text="Retrain (warm start)", enabled=False)
        self.retrain_seconds = SpinBox(value=30, min=2, max=86_400, label="retrain budget (s)")
        self.widgets = [
            self.enabled_box,
            self.method,
            self.n,
            self.size,
            self.typical,
            self.spread,
            self.seek_thin,
            self.sought,
            self.retrain_seconds,
            button_row(self.next, self.retrain),
        ]
        self.plot = RoundsPlot()
        self._viewer = viewer
        self._labels_of = labels_of
        self._ranking: list[RankedBox] = []
        self._next_index = 0
        self._sought: dict[str, None] = {}  # rare classes sought this round (ordered set)
        self.next.changed.connect(self.go_to_next)
        self.enabled_box.changed.connect(self._on_enabled)
        self.retrain.changed.connect(retrain)

    def _on_enabled(self, on: bool) -> None:
        if not on:  # no boxes after the next round: the line about the last ones would mislead
            self.sought.visible = False

    def options(self) -> SuggestionOptions | None:
        """What the session should compute after training, or None if switched off."""
        if not self.enabled_box.value:
            return None
        weight = REPRESENTATIVENESS_WEIGHT if self.typical.value else 0.0
        seed = DRAW_SEED if self.spread.value else None
        thin = THIN_CLASS_WEIGHT if self.seek_thin.value else 0.0
        return SuggestionOptions(
            self.method.value, self.n.value, self.size.value, weight, seed, thin
        )

    def show_uncertainty(self, event: Suggestions) -> None:
        """Create or update ``<image> uncertainty``, styled for the image's brightness.

        Also notes the thinly painted classes the boxes sought on this image:
        :meth:`show_ranking` names those of every image.
        """
        self._sought.update(dict.fromkeys(event.favoured))
        show_uncertainty(self._viewer, event)

    def show_ranking(self, ranking: list[RankedBox], targets: list[str]) -> None:
        """Numbered boxes on every image in ``targets`` (numbers = rank over all images)."""
        self._ranking, self._next_index = list(ranking), 0
        # The classes sought on any image this round, in the order favoured; none at a
        # round's start, when the last round's boxes are cleared.
        self.sought.value = sought_sentence(list(self._sought))
        self.sought.visible, self._sought = bool(self._sought), {}
        targets = list(dict.fromkeys(targets))  # each image's layer is removed once
        # Last round's boxes go in one batch: napari collects garbage once per removal.
        old = [output_named(self._viewer, f"{name} suggestions", Shapes) for name in targets]
        remove_layers(self._viewer, [layer for layer in old if layer is not None])
        for name in targets:
            self._show_boxes(name)
        self.next.enabled = bool(self._ranking)

    def _show_boxes(self, target_name: str) -> None:
        name = f"{target_name} suggestions"
        target = layer_named(self._viewer, target_name, Image)
        mine = [(k, b) for k, b in enumerate(self._ranking, 1) if b.target == target_name]
        if target is None or not mine:
            return
        # napari takes two corners for a 2D rectangle but needs all four in a stack.
        rectangles = [
            np.array([[*lead, y, x] for y, x in ((y0, x0), (y0, x1), (y1, x1), (y1, x0))], float)
            for _, b in mine
            for lead in [[] if b.plane is None else [b.plane]]
            for y0, x0, y1, x1 in [b.box]
        ]
        self._viewer.add_shapes(
            rectangles,
            ndim=target.ndim,
            shape_type="rectangle",
            name=name,
            edge_color="#ffd54f",
            face_color="transparent",
            edge_width=max(2, self.size.value // 32),
            features={"rank": [k for k, _ in mine]},
            text={"string": "{rank}", "color": "#ffd54f", "anchor": "upper_left", "size": 12},
            metadata=output_metadata("suggestions"),
            **placement(target),
        )

    def go_to_next(self) -> None:
        """Centre and zoom on the next box; select its painted layer in paint mode."""
        if not self._ranking:
            return
        box = self._ranking[self._next_index % len(self._ranking)]
        self._next_index += 1
        y0, x0, y1, x1 = box.box
        image = layer_named(self._viewer, box.target, Image)
        painted = self._labels_of(box.target)
        if image is not None:
            image.visible = True
        # The boxes layer sits where the image does: its placement decides the centre.
        reference = image if image is not None else painted
        centre, pixel = np.array([(y0 + y1) / 2, (x0 + x1) / 2]), 1.0
        lead = [] if box.plane is None else [box.plane]
        if reference is not None:
            world = reference.data_to_world([*lead, *centre])
            factors = _to_viewer_units(self._viewer, reference)[-len(world) :]
            centre = np.asarray(world, float) * factors
            pixel = float(max(np.abs(reference.scale[-2:]) * factors[-2:]))
            if box.plane is not None:
                # Layers align on the right: the plane axis is the third from last.
                self._viewer.dims.set_point(self._viewer.dims.ndim - 3, centre[-3])
        elif box.plane is not None:
            self._viewer.dims.set_current_step(self._viewer.dims.ndim - 3, box.plane)
        # napari >= 0.9 moved the camera to viewer.scene; older versions have viewer.camera.
        camera = getattr(self._viewer, "scene", self._viewer).camera
        camera.center = tuple(float(c) for c in centre[-2:])
        canvas = _canvas_size(self._viewer)
        camera.zoom = BOX_SHARE_OF_CANVAS * min(canvas) / (max(y1 - y0, x1 - x0) * pixel)
        if painted is not None and painted in self._viewer.layers:
            self._viewer.layers.selection.active = painted
            painted.mode = "paint"

    def update_rounds(self, rounds: list[Round]) -> None:
        """Redraw the rounds curve: painted pixels against the kept weights' score."""
        points = [
            (r.painted_pixels, r.validation_score)
            for r in rounds
            if r.validation_score is not None
        ]
        self.plot.set_rounds(points)


def _switch(text: str, tooltip: str) -> CheckBox:
    """A ranking switch, on by default, whose tooltip says what it does and why."""
    switch = CheckBox(value=True, text=text)
    switch.tooltip = tooltip
    return switch


def _canvas_size(viewer: napari.viewer.Viewer) -> tuple[int, int]:
    """The canvas' size in screen pixels (the order does not matter to callers)."""
    # napari >= 0.9 has a public canvas model; older versions only a private field.
    canvas = getattr(viewer, "canvas", None)
    if canvas is not None and hasattr(canvas, "size"):
        return tuple(canvas.size)
    return getattr(viewer, "_canvas_size", (600, 800))


def _to_viewer_units(viewer: napari.viewer.Viewer, layer: Layer) -> np.ndarray:
    """Per axis of ``layer``: how many of the viewer's units one of the layer's units is.

    napari shows layers in nm and µm together in the smaller unit, and the
    dims and camera work in it, while ``data_to_world`` keeps the layer's own.
    """
    viewer_units = getattr(viewer.dims, "units", None)
    factors = np.ones(layer.ndim)
    if viewer_units is None:
        return factors
    registry = pint.get_application_registry()
    pairs = zip(layer.units[::-1], viewer_units[::-1], strict=False)
    for axis, (own, shown) in enumerate(pairs, start=1):
        if own != shown and own.dimensionality == shown.dimensionality:
            factors[-axis] = registry.Quantity(1.0, own).to(shown).magnitude
    return factors
