"""The Fine-tune dock's data-bar line: an SEM image in training still has its FEI data bar.

An FEI/Thermo TIFF opened with napari's *File ▸ Open* keeps the rows of text
and scale bar below the specimen; trained on, the network learns them and the
image is normalised with their black and white. The line under the training
rows names such images (the core decides, :mod:`napari_finetune.data.data_bar`)
and *Crop data bar* adds ``'<image> specimen'`` (and ``'<labels> specimen'``)
without the bar, calibrated from the file's tags, and points the rows at
them. The user's layers are only read. The tags are read once per file and
shape: the check runs on every layer event and brush stroke.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from magicgui.widgets import Label, PushButton
from napari.layers import Image, Labels, Layer

from napari_finetune._widgets._controls import button_row, wrapping_label
from napari_finetune._widgets._grain_layers import calibrated
from napari_finetune._widgets._layers import spatial_shape
from napari_finetune.data.calibration import read_instrument_calibration
from napari_finetune.data.data_bar import (
    data_bar_rows_left,
    data_bar_warning,
    specimen_crop,
    specimen_note,
)

if TYPE_CHECKING:
    import napari

    from napari_finetune._widgets._training_pairs import TrainingPair, TrainingPairs

# Amber, as napari's own warnings: the line asks for an action before training.
WARNING_STYLE = "color: #ffb74d; padding: 2px 0px;"


class DataBarNotice:
    """The line naming the training images that still have a data bar, and *Crop data bar*.

    Not a container of its own: the dock places :attr:`widgets` under the
    training rows, and calls :meth:`check` when its rows or layers change.
    Both stay hidden while no row's image has a data bar.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the cropped layers are added.
    pairs : TrainingPairs
        The dock's training rows: their images are checked, and pointed at the
        cropped layers.
    status : Label
        The dock's status line, which says what *Crop data bar* added.
    """

    def __init__(self, viewer: napari.viewer.Viewer, pairs: TrainingPairs, status: Label) -> None:
        self._viewer, self._pairs, self._status = viewer, pairs, status
        self._rows: dict[tuple[str, tuple[int, ...], bool], int] = {}  # (path, shape, rgb)
        self.line = wrapping_label()
        self.line.native.setStyleSheet(WARNING_STYLE)
        self.crop = PushButton(
            text="Crop data bar",
            tooltip="add the image (and its painted labels) without the data bar, calibrated "
            "from the file's tags, and train on those; the layers you have stay as they are",
        )
        self.button = button_row(self.crop)
        self.widgets = [self.line, self.button]
        for widget in self.widgets:
            widget.visible = False
        self.crop.changed.connect(lambda *_: self.crop_rows())
        pairs.changed.connect(self.check)  # a row's image chosen (not always an on_change)

    def bar_rows(self, image: Image) -> int:
        """The data-bar rows ``image`` still has (0: none, or not from an FEI TIFF)."""
        path = getattr(image.source, "path", None)
        if not path or image.multiscale:
            return 0
        key = (str(path), tuple(image.data.shape), bool(image.rgb))
        if key not in self._rows:
            self._rows[key] = data_bar_rows_left(*key)
        return self._rows[key]

    def rows_with_bar(self) -> list[tuple[TrainingPair, int]]:
        """The training rows whose image has a data bar, with its height in rows."""
        found = []
        for row in self._pairs.rows():
            image = row.image_layer.value
            if isinstance(image, Image) and (rows := self.bar_rows(image)):
                found.append((row, rows))
        return found

    def check(self, _event: object = None) -> None:
        """Show the line and the button for the rows' images with a data bar, else hide them."""
        named = {}
        for row, rows in self.rows_with_bar():
            named.setdefault(id(row.image_layer.value), (row.image_layer.value.name, rows))
        text = data_bar_warning(list(named.values()))
        if text != self.line.value:
            self.line.value = text
        for widget in self.widgets:
            if widget.native.isHidden() == bool(text):  # only on a change: checks run per stroke
                widget.visible = bool(text)

    def crop_rows(self) -> list[Layer]:
        """Add each barred image (and its full-height labels) cropped; the rows use them.

        Returns the layers added.
        """
        added, specimens = [], {}
        for row, rows in self.rows_with_bar():
            image, labels = row.image_layer.value, row.labels_layer.value
            if id(image) not in specimens:  # one specimen layer for an image in two rows
                specimens[id(image)] = self._specimen_image(image, rows)
                added.append(specimens[id(image)])
            specimen = specimens[id(image)]
            copied = None
            # Labels painted on the whole file are cropped alike; others are left to the row.
            full = isinstance(labels, Labels) and not labels.multiscale
            if full and spatial_shape(labels) == spatial_shape(image):
                copied = self._specimen_labels(labels, rows, specimen)
                added.append(copied)
            row.reset_choices()  # the new layers are offered before they are chosen
            row.image_layer.value = specimen
            if copied is not None:
                row.labels_layer.value = copied
            self._status.value = specimen_note(
                specimen.name, copied and copied.name, rows, image.name
            )
        self.check()
        return added

    def _specimen_image(self, image: Image, rows: int) -> Image:
        try:
            found = read_instrument_calibration(image.source.path)
        except ValueError:  # the file went since: the layer's own scale stays
            found = None
        place = calibrated(found) or {"scale": image.scale, "units": image.units}
        return self._viewer.add_image(
            specimen_crop(image.data, rows),
            name=f"{image.name} specimen",
            rgb=image.rgb,
            colormap=image.colormap,
            gamma=image.gamma,
            blending=image.blending,
            opacity=image.opacity,
            translate=image.translate,
            metadata=copy.deepcopy(image.metadata),
            **place,
        )

    def _specimen_labels(self, labels: Labels, rows: int, image: Image) -> Labels:
        return self._viewer.add_labels(
            specimen_crop(labels.data, rows),
            name=f"{labels.name} specimen",
            colormap=copy.deepcopy(labels.colormap),
            features=labels.features.copy(),
            metadata=copy.deepcopy(labels.metadata),
            opacity=labels.opacity,
            blending=labels.blending,
            scale=image.scale,
            translate=image.translate,
            units=image.units,
        )
