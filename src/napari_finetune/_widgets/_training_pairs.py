"""The *training data* rows of the Fine-tune dock: image layers and their painted labels.

Each row picks an image layer and the labels layer painted on it; the list
follows layers as they are added, renamed or removed. A sample's exact answer
is never picked by default, and *New painting layer* adds an empty one to
paint. The rows become the core's :class:`~napari_finetune.session.Pair`
objects (a copy of each painting, so painting on while training cannot change
what is learnt; the images as they are, read by the core off the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import ComboBox, Container, LineEdit, PushButton
from napari.layers import Image, Labels
from napari.utils.notifications import show_warning

from napari_finetune._widgets._controls import narrow_choices
from napari_finetune._widgets._layers import (
    check_same_plane_shape,
    finest,
    has_painted_pixels,
    input_layers,
    is_ground_truth,
    spatial_shape,
)
from napari_finetune._widgets._painting_layer import add_painting_layer, rename_painting
from napari_finetune.augment.recorded_preset import recorded_preset
from napari_finetune.models.class_names import class_names_text, parse_class_names
from napari_finetune.models.model import DEFAULT_CLASSES
from napari_finetune.session import Pair
from napari_finetune.session.deep_stacks import painting_copy
from napari_finetune.session.lazy_rule import check_plane_fits
from napari_finetune.session.painting import renamed_classes

if TYPE_CHECKING:
    import napari

    from napari_finetune.session import PaintClass


CLASS_NAMES_TIP = (
    "names of the painted values 1, 2, … in order, comma-separated (e.g. 'matrix, "
    "secondary γ′, tertiary γ′'); empty: the start model's. New painting layers get one "
    "colour per name; the trained model, its predictions, exports and phase fractions "
    "carry them, and a name with 'boundary' or 'membrane' is validated as a thin class"
)


class TrainingPair(Container):
    """One row: an image layer and the labels layer painted on it."""

    def __init__(self, image_choices: Callable, labels_choices: Callable) -> None:
        self.image_layer = ComboBox(choices=image_choices, tooltip="image to learn from")
        self.labels_layer = ComboBox(
            choices=labels_choices, nullable=True, tooltip="labels painted on it"
        )
        self.remove = PushButton(text="−", tooltip="remove this pair")
        self.remove.native.setMaximumWidth(28)
        super().__init__(
            widgets=[self.image_layer, self.labels_layer, self.remove],
            layout="horizontal",
            labels=False,
        )
        self.margins = (0, 0, 0, 0)
        narrow_choices(self)


class TrainingPairs(Container):
    """The rows of (image, painted labels) pairs; ``on_change`` is called when they change.

    The buttons :attr:`add_pair` and :attr:`new_painting` and the field
    :attr:`class_names` are placed by the dock. The field names the painted
    values (empty: the start model's names, shown greyed in it); the names go
    to new painting layers, to training, and to the chosen painting layers
    *New painting layer* made (their legend, never their values).
    """

    def __init__(self, viewer: napari.viewer.Viewer, on_change: Callable[[], None]) -> None:
        super().__init__(labels=False, label="training data")
        self.margins = (0, 0, 0, 0)
        self._viewer = viewer
        self._on_change = on_change
        self.add_pair = PushButton(text="+ add image", tooltip="learn from one more image")
        self.new_painting = PushButton(
            text="New painting layer", tooltip="an empty labels layer on the image, to paint on"
        )
        self.class_names = LineEdit(label="classes", tooltip=CLASS_NAMES_TIP)
        self._start_names: dict[int, str] | None = None
        self.show_start_classes(dict(DEFAULT_CLASSES))
        self.class_names.native.editingFinished.connect(self._rename_paintings)
        self.add_pair.changed.connect(self.add_row)

    def named_classes(self) -> dict[int, str] | None:
        """The names typed in :attr:`class_names` (None: empty, the start model's names).

        Raises
        ------
        ValueError
            Names that cannot be read (an empty or repeated name), saying which.
        """
        text = self.class_names.value.strip()
        return parse_class_names(text) if text else None

    def show_start_classes(self, classes: dict[int, str] | None) -> None:
        """Show the start model's class names greyed in the empty field: what empty means.

        None: not known yet (no current model, an unreadable checkpoint).
        """
        self._start_names = classes
        said = class_names_text(classes) if classes else "names of 1, 2, …"
        self.class_names.native.setPlaceholderText(f"{said} (the start model's)")

    def names_to_paint(self) -> dict[int, str] | None:
        """The names typed, else the start model's (None: neither known).

        Raises
        ------
        ValueError
            Typed names that cannot be read.
        """
        return self.named_classes() or self._start_names

    def _rename_paintings(self) -> None:
        """The chosen paintings' legends follow the names (empty: the start model's)."""
        try:
            names = self.names_to_paint()
        except ValueError as err:
            show_warning(f"Fine-tune: {err}")
            return
        for row in self.rows():
            layer = row.labels_layer.value
            if layer is None:
                continue
            # Values painted beyond the names typed keep the names they had.
            had = layer.metadata.get("napari_finetune", {}).get("classes", {})
            rename_painting(layer, renamed_classes(had, names))

    def image_choices(self, _widget: object = None) -> list:
        """Image layers offered as inputs, newest first."""
        return input_layers(self._viewer, Image)

    def labels_choices(self, _widget: object = None) -> list:
        """Labels layers offered as painted inputs, newest first."""
        return input_layers(self._viewer, Labels)

    def rows(self) -> list[TrainingPair]:
        """The pair rows, top to bottom."""
        return [w for w in self if isinstance(w, TrainingPair)]

    def add_row(self) -> TrainingPair:
        """A new row on the newest image not yet used, with its painted labels."""
        row = TrainingPair(self.image_choices, self.labels_choices)
        row.remove.changed.connect(lambda: self.remove_row(row))
        row.image_layer.changed.connect(lambda _value: self.default_labels(row, force=True))
        row.labels_layer.changed.connect(lambda _value: self._on_change())
        self.append(row)
        used = {id(r.image_layer.value) for r in self.rows() if r is not row}
        fresh = [layer for _, layer in self.image_choices() if id(layer) not in used]
        if fresh:
            row.image_layer.value = fresh[0]
        self.default_labels(row, force=True)
        self._on_change()
        return row

    def remove_row(self, row: TrainingPair) -> None:
        """Remove a row (the last one stays)."""
        if len(self.rows()) > 1:
            self.remove(row)
            self._on_change()

    def refresh(self) -> None:
        """Fill in labels layers where none is chosen (after the choices were reset)."""
        for row in self.rows():
            self.default_labels(row)

    def default_labels(self, row: TrainingPair, force: bool = False) -> None:
        """The newest painted labels layer of the image's shape, unless one is set.

        A sample's exact answer (:func:`is_ground_truth`) is never the default:
        it can still be chosen by hand.
        """
        image, current = row.image_layer.value, row.labels_layer.value
        if image is None or (current is not None and not force):
            return
        for _, layer in self.labels_choices():
            if is_ground_truth(layer):
                continue
            try:
                check_same_plane_shape(image, layer)
            except ValueError:
                continue
            if has_painted_pixels(layer):
                row.labels_layer.value = layer
                return
        if force:
            row.labels_layer.value = None

    def row_to_paint(self) -> TrainingPair | None:
        """The row a new painting is for: the first without labels, else the last one."""
        rows = [r for r in self.rows() if r.image_layer.value is not None]
        bare = [r for r in rows if r.labels_layer.value is None]
        if bare:
            return bare[0]
        return rows[-1] if rows else None

    def add_painting(self, classes: dict[int, PaintClass]) -> Labels:
        """An empty ``'<image> painted'`` layer for :meth:`row_to_paint`, chosen in that row.

        Raises
        ------
        ValueError
            When there is no image to paint on.
        """
        row = self.row_to_paint()
        if row is None:
            raise ValueError("Open an image to paint on first.")
        layer = add_painting_layer(self._viewer, row.image_layer.value, classes)
        row.labels_layer.value = layer
        return layer

    def unpainted(self) -> list[str]:
        """Names of the rows' images that have no labels layer chosen."""
        return [
            r.image_layer.value.name
            for r in self.rows()
            if r.image_layer.value is not None and r.labels_layer.value is None
        ]

    def painted_pixels(self) -> int:
        """Painted pixels in the chosen labels layers."""
        return sum(
            int(np.count_nonzero(r.labels_layer.value.data))
            for r in self.rows()
            if r.labels_layer.value is not None
        )

    def painted_labels(self) -> list:
        """The data of the chosen labels layers (not copies: for advice, not training).

        A multiscale layer gives its finest level, the one painted on.
        """
        return [
            finest(r.labels_layer.value) for r in self.rows() if r.labels_layer.value is not None
        ]

    def what_advice_reads(self) -> tuple[int, list, dict[str, str | None]]:
        """Painted pixels, painted labels, each image's recorded preset (for ``show_advice``)."""
        images = [r.image_layer.value for r in self.rows() if r.image_layer.value is not None]
        presets = {image.name: recorded_preset(image.metadata) for image in images}
        return self.painted_pixels(), self.painted_labels(), presets

    def layers(self) -> list:
        """Every layer the rows read (image and labels)."""
        return [
            layer
            for r in self.rows()
            for layer in (r.image_layer.value, r.labels_layer.value)
            if layer is not None
        ]

    def labels_of(self, image_name: str) -> Labels | None:
        """The labels layer chosen for the image layer called ``image_name``."""
        for r in self.rows():
            if r.image_layer.value is not None and r.image_layer.value.name == image_name:
                return r.labels_layer.value
        return None

    def session_pairs(self) -> list[Pair]:
        """The rows as the core's pairs: painting copies, images as they are, the plane in view.

        Raises
        ------
        ValueError
            A row without an image or labels, mismatched shapes or a multiscale
            image, naming the layers.
        """
        pairs = []
        for number, row in enumerate(self.rows(), start=1):
            image, painted = row.image_layer.value, row.labels_layer.value
            if image is None or painted is None:
                missing = "an image" if image is None else f"the labels painted on '{image.name}'"
                raise ValueError(f"Training pair {number}: choose {missing}.")
            check_same_plane_shape(image, painted)
            if image.multiscale:
                raise ValueError(f"Image layer '{image.name}' is multiscale; use one scale.")
            try:  # a 30k² plane must not be read whole (the round reads it all)
                check_plane_fits(tuple(image.data.shape), "train", rgb=image.rgb)
            except ValueError as err:
                raise ValueError(f"Image layer '{image.name}': {err}") from None
            plane = None
            if len(spatial_shape(image)) == 3:
                depth = spatial_shape(image)[0]
                plane = min(int(self._viewer.dims.current_step[-3]), depth - 1)
            # The painting copied (no stroke of the round leaks in), the image only read.
            pairs.append(Pair(image.data, painting_copy(painted.data), image.name, plane))
        return pairs
