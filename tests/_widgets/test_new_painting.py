"""*New painting layer*: one click to an empty labels layer ready to paint the model's classes."""

import numpy as np
from napari.utils.colormaps import DirectLabelColormap
from numpy.testing import assert_allclose
from widget_messages import capture_messages

from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.painting import painting_brush_size, painting_classes


def test_one_click_makes_a_calibrated_painting_layer_for_the_image(steel):
    w = FineTuneWidget(steel)
    image = steel.layers["NIST steel"]
    w.pairs.new_painting.clicked.emit()
    layer = steel.layers["NIST steel painted"]
    assert layer.data.shape == image.data.shape[:2] and not layer.data.any()
    assert_allclose(layer.scale, image.scale)
    assert_allclose(layer.translate, image.translate)
    assert tuple(layer.units) == tuple(image.units)
    # selected, painting class 1 with a brush sized to the image
    assert steel.layers.selection.active is layer
    assert layer.mode == "paint" and layer.selected_label == 1
    assert layer.brush_size == painting_brush_size(image.data.shape)
    # the core's classes and colours
    classes = painting_classes(None)
    assert isinstance(layer.colormap, DirectLabelColormap)
    for value, paint_class in classes.items():
        expected = np.array([int(paint_class.colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        assert_allclose(layer.colormap.map(value)[:3], expected, atol=1 / 255)
    assert list(layer.features["class"]) == ["unpainted", "grain interior", "boundary"]
    # chosen in the pair, and the status says what to paint with which value
    assert w.pairs.rows()[0].labels_layer.value is layer
    assert "1 = grain interior (cyan), 2 = boundary (magenta)" in w.status.value


def test_an_rgb_image_gets_a_plane_of_labels(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((40, 60, 3), np.uint8), rgb=True, name="colour", scale=(2, 2))
    w = FineTuneWidget(viewer)
    w.pairs.new_painting.clicked.emit()
    layer = viewer.layers["colour painted"]
    assert layer.data.shape == (40, 60)
    assert_allclose(layer.scale, (2, 2))


def test_the_current_models_classes_name_a_new_painting(painted):
    w = FineTuneWidget(painted)
    model = SegmentationModel.create(n_classes=3)
    model.classes = {1: "ferrite", 2: "pearlite", 3: "boundary"}
    w.session.model = model
    w.source.value = "current"  # as loading a model sets it: its names are the start's
    w.pairs.new_painting.clicked.emit()
    layer = painted.layers.selection.active
    assert layer.name == "grains painted [1]"  # beside the sample's own painting
    assert list(layer.features["class"]) == ["unpainted", "ferrite", "pearlite", "boundary"]
    assert "3 = boundary (lime)" in w.status.value
    # the first row has painting already: the newest row gets the new layer
    assert w.pairs.rows()[-1].labels_layer.value is layer


def test_without_an_image_it_says_so(make_napari_viewer, monkeypatch):
    shown = capture_messages(monkeypatch, module)
    w = FineTuneWidget(make_napari_viewer())
    w.pairs.new_painting.clicked.emit()
    assert "Open an image" in shown["error"][0]
