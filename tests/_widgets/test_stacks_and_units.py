"""Result layers on 3D stacks and on calibrated images (units, offset, rotation)."""

import napari._vispy.canvas as vispy_canvas
import numpy as np
import pytest
from napari.layers import Image
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._result_layers import placement, show_prediction
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.session import Prediction, previews
from napari_finetune.session.result_style import BRIGHT_IMAGE_UNCERTAINTY, prediction_colours
from napari_finetune.synth.strokes import paint_strokes

PLANE = 2
RESULTS = ("prediction", "probabilities", "uncertainty", "suggestions")


@pytest.fixture
def messages(monkeypatch):
    return capture_messages(monkeypatch, module)


@pytest.fixture
def unit_warnings(monkeypatch):
    """napari's "Inconsistent units across layers" warnings (given when the canvas draws)."""
    shown = []
    monkeypatch.setattr(vispy_canvas, "show_warning", shown.append)
    return shown


def finish(widget, qtbot, timeout=180_000):
    qtbot.waitUntil(lambda: widget._worker is None, timeout=timeout)


def assert_placed_like(layer, image):
    assert layer.units == image.units, layer.name
    np.testing.assert_allclose(layer.scale, image.scale, err_msg=layer.name)
    np.testing.assert_allclose(layer.translate, image.translate, err_msg=layer.name)


def assert_no_unit_clash(viewer, unit_warnings):
    assert viewer.layers.extent.units is not None
    viewer.screenshot(canvas_only=True, flash=False)  # a draw is when napari checks
    assert not [m for m in unit_warnings if "Inconsistent units" in m]


def hex_to_rgba(colour):
    return [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)] + [1.0]


# -- placement, without training ---------------------------------------------------


def test_placement_puts_results_where_the_image_is():
    image = Image(
        np.zeros((4, 30, 40)),
        scale=(3.0, 0.5, 0.25),
        translate=(1.0, 2.0, 3.0),
        rotate=20,
        units=("µm", "µm", "µm"),
        affine=np.diag([1.0, 2.0, 1.0, 1.0]),
    )
    same = Image(np.zeros((4, 30, 40)), **placement(image))
    point = [2, 7, 9]
    np.testing.assert_allclose(same.data_to_world(point), image.data_to_world(point))
    assert same.units == image.units
    # a class axis in front: pixel units, the image's placement behind it
    classes = Image(np.zeros((3, 4, 30, 40)), **placement(image, 4))
    assert str(classes.units[0]) == "pixel" and classes.units[1:] == image.units
    np.testing.assert_allclose(classes.data_to_world([1, *point])[1:], image.data_to_world(point))
    # one plane: the last two axes
    plane = placement(image, 2)
    np.testing.assert_allclose(plane["scale"], [0.5, 0.25])
    assert plane["units"] == image.units[1:]


def test_rgb_prediction_keeps_spatial_units_and_shows_class_names(make_napari_viewer):
    viewer = make_napari_viewer()
    rgb = np.zeros((40, 50, 3), np.uint8)
    image = viewer.add_image(
        rgb, name="colour", rgb=True, scale=(0.2, 0.2), translate=(5, 6), units="mm"
    )
    probabilities = np.random.default_rng(0).dirichlet([1, 1, 1], (40, 50)).astype(np.float32)
    probabilities = np.moveaxis(probabilities, -1, 0)
    classes = {1: "ferrite", 2: "boundary", 3: "pearlite"}
    event = Prediction("colour", probabilities, final=True)
    show_prediction(viewer, event, None, classes)
    prediction = viewer.layers["colour prediction"]
    assert_placed_like(prediction, image)
    assert prediction.data.shape == (40, 50)
    stack = viewer.layers["colour probabilities"]  # (class, y, x)
    assert stack.units[1:] == image.units and str(stack.units[0]) == "pixel"
    np.testing.assert_allclose(stack.translate[1:], image.translate)
    # The slider over the classes is called so.
    assert stack.axis_labels[0] == "class" and viewer.dims.axis_labels[0] == "class"
    # own colours, from the core; the class names show on hover
    expected = prediction_colours(classes)
    for value, colour in expected.items():
        np.testing.assert_allclose(prediction.get_color(value), hex_to_rgba(colour.colour))
    names = dict(zip(prediction.features["index"], prediction.features["class"], strict=True))
    assert {k: names[k] for k in classes} == classes
    shown = prediction.metadata["napari_finetune"]["classes"]
    assert shown[3] == {
        "name": "pearlite",
        "colour": expected[3].colour,
        "colour name": "bluish green",
    }


# -- the whole loop in the dock ------------------------------------------------------


def _stack(shape=(160, 192), planes=5):
    samples = [nf.voronoi_grains(shape, 16, seed=seed) for seed in range(planes)]
    strokes = np.zeros((planes, *shape), np.uint8)
    strokes[PLANE] = paint_strokes(samples[PLANE], seed=0)
    return np.stack([s.image for s in samples]), strokes


def test_a_stack_goes_through_the_whole_loop(
    make_napari_viewer, qtbot, messages, unit_warnings, monkeypatch
):
    monkeypatch.setattr(previews, "PREVIEW_MIN_INTERVAL", 0.0)  # a live preview at once
    viewer = make_napari_viewer()
    stack, strokes = _stack()
    # nm in the plane and µm between planes: napari shows both in nm
    place = {"scale": (2.0, 0.5, 0.5), "translate": (1.0, 10.0, 20.0), "units": ("µm", "nm", "nm")}
    image = viewer.add_image(stack, name="stack", **place)
    painted = viewer.add_labels(strokes, name="stack painted", **place)
    viewer.dims.set_current_step(0, PLANE)
    w = FineTuneWidget(viewer)
    w.steps.value = 10
    w.active.n.value = 3
    w.active.size.value = 32  # boxes free of strokes fit in these small planes
    live, show = [], w._on_event

    def spy(event):  # which planes the prediction layer covers after each live preview
        show(event)
        if isinstance(event, Prediction) and not event.final:
            data = viewer.layers["stack prediction"].data
            live.append([z for z in range(len(data)) if data[z].any()])

    w._on_event = spy
    w.train.clicked.emit()
    finish(w, qtbot)
    assert messages["error"] == []
    assert live and all(planes == [PLANE] for planes in live)  # the plane in view
    for suffix in RESULTS:
        assert_placed_like(viewer.layers[f"stack {suffix}"], image)
    prediction = viewer.layers["stack prediction"].data
    assert prediction.shape == stack.shape and all(prediction[z].any() for z in range(5))
    unsure = viewer.layers["stack uncertainty"].data
    assert unsure.shape == stack.shape and unsure[PLANE].any()
    assert not np.delete(unsure, PLANE, axis=0).any()
    boxes = viewer.layers["stack suggestions"]
    assert boxes.ndim == 3 and len(boxes.data) == 3
    assert list(boxes.features["rank"]) == [1, 2, 3]
    best = w.session.ranking()[0]
    assert best.plane == PLANE
    first = boxes.data[0]
    assert first.shape == (4, 3) and (first[:, 0] == PLANE).all()
    y0, x0, y1, x1 = best.box
    assert tuple(first[:, 1:].min(0)) == (y0, x0) and tuple(first[:, 1:].max(0)) == (y1, x1)
    assert not strokes[PLANE, y0:y1, x0:x1].any()  # never on painted pixels

    viewer.dims.set_current_step(0, 0)  # the user looks elsewhere
    w.active.next.clicked.emit()
    assert viewer.dims.current_step[0] == PLANE
    camera = getattr(viewer, "scene", viewer).camera
    centre = image.data_to_world([PLANE, (y0 + y1) / 2, (x0 + x1) / 2])
    np.testing.assert_allclose(camera.center[-2:], centre[-2:], atol=0.5)
    assert viewer.layers.selection.active is painted and painted.mode == "paint"

    painted.data[PLANE, y0 : y0 + 6, x0 : x0 + 6] = 2
    w.active.retrain_seconds.value = 3
    w.active.retrain.clicked.emit()
    finish(w, qtbot)
    assert messages["error"] == []
    assert {h["run"] for h in w.model.history if "epoch" in h} == {1, 2}
    boxes = viewer.layers["stack suggestions"]
    assert boxes.ndim == 3 and all((c[:, 0] == PLANE).all() for c in boxes.data)
    assert_no_unit_clash(viewer, unit_warnings)


def test_results_on_the_nist_sample_keep_micrometres(steel, qtbot, messages, unit_warnings):
    image = steel.layers["NIST steel"]
    boundaries = steel.layers["NIST steel boundaries"].data > 0
    strokes = np.zeros(boundaries.shape, np.uint8)
    strokes[100:140, 100:400] = 1
    strokes[300:340, 300:700] = 1
    strokes[boundaries] = 0
    band = np.zeros_like(boundaries)
    band[:, 200:260] = True
    strokes[boundaries & band] = 2
    # as napari's "new labels" button makes it: the image's placement and units
    painted = steel.add_labels(strokes, name="NIST painted", scale=image.scale, units=image.units)
    w = FineTuneWidget(steel)
    assert w.pairs.labels_of("NIST steel") is painted
    w.steps.value = 10
    w.active.n.value = 3
    w.train.clicked.emit()
    finish(w, qtbot)
    assert messages["error"] == []
    for suffix in RESULTS:
        layer = steel.layers[f"NIST steel {suffix}"]
        assert_placed_like(layer, image)
        assert str(layer.units[0]) == "micrometer"
    # the prediction's own colours, unlike the painted layer's
    prediction = steel.layers["NIST steel prediction"]
    painted_colours = [painted.get_color(v) for v in (1, 2)]
    expected = prediction_colours(w.model.classes, painted_colours)
    for value, colour in expected.items():
        np.testing.assert_allclose(prediction.get_color(value), hex_to_rgba(colour.colour))
        assert not np.allclose(prediction.get_color(value), painted.get_color(value))
    assert set(w.model.classes.values()) <= set(prediction.features["class"])
    # white micrograph: no additive glow (invisible on white) but a dark translucent ramp
    unsure = steel.layers["NIST steel uncertainty"]
    assert unsure.blending == BRIGHT_IMAGE_UNCERTAINTY.blending == "translucent"
    assert unsure.colormap.name == BRIGHT_IMAGE_UNCERTAINTY.colormap
    assert unsure.opacity == pytest.approx(BRIGHT_IMAGE_UNCERTAINTY.opacity)
    assert_no_unit_clash(steel, unit_warnings)


def test_the_prediction_layer_records_how_many_views_it_averaged(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((20, 30), np.float32), name="grains")
    probabilities = np.full((2, 20, 30), 0.5, np.float32)
    show_prediction(viewer, Prediction("grains", probabilities, final=False, views=1), None, {})
    layer = viewer.layers["grains prediction"]
    assert layer.metadata["napari_finetune"]["views"] == 1  # a live preview: one view
    show_prediction(viewer, Prediction("grains", probabilities, final=True, views=8), None, {})
    assert viewer.layers["grains prediction"] is layer
    assert layer.metadata["napari_finetune"]["views"] == 8
    assert layer.metadata["napari_finetune"]["role"] == "prediction"
