"""*Predict* on a deep stack: plane by plane, the plane in view first, labels only, with Stop."""

import threading

import numpy as np
import pytest
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import _stack_prediction
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._dock_jobs import running_job
from napari_finetune._widgets._layers import output_metadata
from napari_finetune.inference.predict import labels_from_probabilities, predict
from napari_finetune.models import SegmentationModel
from napari_finetune.session import lazy_rule
from napari_finetune.session.deep_stack_prediction import predict_stack

da = pytest.importorskip("dask.array")

WAIT_MS = 120_000
SHAPE = (96, 112)
PLANES = 5


@pytest.fixture(autouse=True)
def deep_from_four_planes(monkeypatch):
    """Stacks of 4 or more of these planes are deep (the real rule: 64 Mpx in all)."""
    monkeypatch.setattr(lazy_rule, "LAZY_PIXELS", 4 * SHAPE[0] * SHAPE[1])


@pytest.fixture
def messages(monkeypatch):
    shown = capture_messages(monkeypatch, module)
    shown["info"] = []
    monkeypatch.setattr(_stack_prediction, "show_info", shown["info"].append)
    return shown


@pytest.fixture
def image():
    return np.stack([nf.voronoi_grains(SHAPE, 8, seed=s).image for s in range(PLANES)])


def dock_on(viewer, data, name="fib-sem"):
    layer = viewer.add_image(data, name=name, contrast_limits=(0, 1))
    dock = module.FineTuneWidget(viewer)
    dock.session.model = SegmentationModel.create(widths=(4, 8, 16, 32))
    dock.files.predict_on.value = layer
    return dock, layer


def test_predict_on_a_deep_stack_fills_its_labels_plane_by_plane_without_probabilities(
    make_napari_viewer, qtbot, messages, image
):
    viewer = make_napari_viewer()
    dock, _ = dock_on(viewer, da.from_array(image, chunks=(1, *SHAPE)))
    viewer.dims.set_current_step(0, 2)  # the plane in view goes first
    shown, show = [], dock.files.stack._show

    def noted(event, model):  # while the run goes on: what the dock says of it
        shown.append((event.plane, running_job(dock), dock.files.predict_button.text))
        show(event, model)

    dock.files.stack._show = noted
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: not dock.files.stack.running, timeout=WAIT_MS)
    assert messages["error"] == []
    assert [plane for plane, _, _ in shown] == [2, 0, 1, 3, 4]
    assert {(job, text) for _, job, text in shown} == {
        ("The plane-by-plane prediction", "Stop prediction")
    }
    result = viewer.layers["fib-sem prediction"]
    assert result.data.shape == image.shape and result.data.dtype == np.uint8
    for z in (0, 4):
        want = labels_from_probabilities(predict(dock.session.model, image[z]))
        np.testing.assert_array_equal(result.data[z], want)
    # The whole stack's probabilities are never held, nor shown.
    assert "fib-sem probabilities" not in viewer.layers
    assert dock.status.value == (
        "Predicted 'fib-sem' with the current model (scratch (loaded)). "
        "'fib-sem': all 5 planes predicted, one by one."
    )
    assert messages["info"] == [dock.status.value]
    assert dock.files.predict_button.text == "Predict" and dock.files.predict_button.enabled


def test_stop_ends_a_stack_prediction_after_its_plane_and_keeps_the_planes_done(
    make_napari_viewer, qtbot, messages, image, monkeypatch
):
    viewer = make_napari_viewer()
    dock, layer = dock_on(viewer, image)
    go_on = threading.Event()

    def held(*args, **kwargs):  # each plane waits for the test, so that Stop comes mid-run
        for event in predict_stack(*args, **kwargs):
            yield event
            go_on.wait(30)

    monkeypatch.setattr(_stack_prediction, "predict_stack", held)
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: "fib-sem prediction" in viewer.layers, timeout=WAIT_MS)
    dock.files.predict_button.clicked.emit()  # reads "Stop prediction": stops the run
    assert dock.status.value == "Stopping the prediction of 'fib-sem' after this plane…"
    assert not dock.files.predict_button.enabled
    go_on.set()  # the plane under way is finished and shown, then the run ends
    qtbot.waitUntil(lambda: not dock.files.stack.running, timeout=WAIT_MS)
    assert dock.status.value == (
        f"Stopped the prediction of 'fib-sem' after 2 of its {PLANES} planes: those are "
        "shown; Predict again to do every plane."
    )
    predicted = viewer.layers["fib-sem prediction"].data
    assert [bool(plane.any()) for plane in predicted] == [True, False, True, False, False]
    assert messages["error"] == [] and messages["info"] == []
    assert dock.files.predict_button.text == "Predict" and dock.files.predict_button.enabled
    np.testing.assert_array_equal(layer.data, image)  # the image is only read


@pytest.mark.parametrize("time_axis", [False, True])
def test_a_multiscale_stack_goes_plane_by_plane_at_its_full_resolution(
    make_napari_viewer, qtbot, messages, image, time_axis, monkeypatch
):
    # An OME-Zarr z-stack opens as a multiscale layer: it went to the band path, which
    # refused stacks; only 3 planes here, not deep, and still plane by plane. napari-ome-zarr
    # keeps a (t, c, z, y, x) stack's time axis of 1: (1, planes, rows, cols).
    viewer = make_napari_viewer()
    lead = (None,) if time_axis else ()
    levels = [image[(*lead, slice(0, 3))], image[(*lead, slice(0, 3), slice(0, None, 2))]]
    levels[1] = levels[1][..., ::2]
    layer = viewer.add_image(levels, name="z-stack", multiscale=True, contrast_limits=(0, 1))
    viewer.dims.set_current_step(len(lead), 2)  # the plane in view goes first
    dock = module.FineTuneWidget(viewer)
    dock.session.model = model = SegmentationModel.create(widths=(4, 8, 16, 32))
    dock.files.predict_on.value = layer
    assert dock.files.stack.takes(layer) and not dock.files.lazy.takes(layer)
    asked = []

    def recorded(model, stack, name, plane, **options):
        asked.append((np.shape(stack), plane))
        yield from predict_stack(model, stack, name, plane, **options)

    monkeypatch.setattr(_stack_prediction, "predict_stack", recorded)
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: not dock.files.stack.running, timeout=WAIT_MS)
    result = viewer.layers["z-stack prediction"]
    assert asked == [((3, *SHAPE), 2)]  # the full resolution's planes, the one in view first
    assert result.data.shape == (*(1,) * len(lead), 3, *SHAPE) and not result.multiscale
    for z in range(3):
        expected = labels_from_probabilities(predict(model, image[z]))
        np.testing.assert_array_equal(result.data[(*(0,) * len(lead), z)], expected)
    assert messages["error"] == []
    assert dock.status.value.endswith("'z-stack': all 3 planes predicted, one by one.")


def test_a_deep_stack_of_planes_too_large_to_read_is_refused_naming_the_layer(
    make_napari_viewer, messages
):
    viewer = make_napari_viewer()
    side = 2 * SHAPE[1]  # one plane over the (patched) size rule
    dock, _ = dock_on(viewer, da.zeros((PLANES, side, side), dtype=np.uint8), "mosaic stack")
    dock.files.predict_button.clicked.emit()
    (error,) = messages["error"]
    assert error.startswith(
        f"Fine-tune: Layer 'mosaic stack': its planes are {side} × {side} px, too large"
    )
    assert "nf.predict_lazy(model, layer.data, 'stack_prediction.zarr')" in error
    assert "napari-finetune predict-large" in error
    assert not dock.files.stack.running and dock.files.predict_button.text == "Predict"
    assert "mosaic stack prediction" not in viewer.layers


def test_a_round_on_a_deep_stack_shows_its_painted_planes_and_the_one_in_view(
    make_napari_viewer, qtbot, messages, image
):
    viewer = make_napari_viewer()
    viewer.add_image(image, name="fib-sem", contrast_limits=(0, 1))
    painting = np.zeros(image.shape, np.uint8)
    for z in (0, 3):  # painted on two planes: interior strokes and a boundary
        painting[z, 10:30, 10:40], painting[z, 60:64, 20:90] = 1, 2
    painted = viewer.add_labels(painting, name="fib-sem painted")
    viewer.dims.set_current_step(0, 1)
    dock = module.FineTuneWidget(viewer)
    dock.steps.value = 3
    dock.train.clicked.emit()
    qtbot.waitUntil(lambda: dock._worker is None, timeout=WAIT_MS)
    assert messages["error"] == []
    predicted = viewer.layers["fib-sem prediction"].data
    assert predicted.shape == image.shape
    assert [bool(plane.any()) for plane in predicted] == [True, True, False, True, False]
    assert "fib-sem probabilities" not in viewer.layers  # no whole-stack probabilities
    # The map of the plane in view, alone, placed on that plane.
    unsure = viewer.layers["fib-sem uncertainty"]
    assert unsure.data.shape == (1, *SHAPE) and list(unsure.translate) == [1.0, 0.0, 0.0]
    assert dock.status.value.startswith("Round 1 done")
    assert dock.status.value.endswith(
        "'fib-sem': 3 of its 5 planes predicted (the painted ones and the one in view: the "
        "stack is too deep to predict whole after every round); Predict does every plane, "
        "one by one."
    )
    np.testing.assert_array_equal(painted.data, painting)  # the painting is only read


def test_a_new_run_clears_the_planes_another_model_predicted_and_replaces_a_store(
    make_napari_viewer, qtbot, messages, image, monkeypatch
):
    viewer = make_napari_viewer()
    dock, _ = dock_on(viewer, image[..., None])  # a grey channel axis of 1 too
    zarr = pytest.importorskip("zarr")
    store = zarr.zeros((PLANES, *SHAPE, 1), dtype=np.uint8, chunks=(1, *SHAPE, 1))
    store[:] = 9  # another model's classes
    # The plugin's own layers of an earlier result: a reopened store, whole-stack probabilities.
    ours = output_metadata("prediction")
    viewer.add_labels(store, name="fib-sem prediction", metadata=ours)
    stale = np.zeros((2, PLANES, *SHAPE, 1), np.float32)
    old = viewer.add_image(
        stale, name="fib-sem probabilities", metadata=output_metadata("probabilities")
    )
    go_on = threading.Event()

    def first_plane_then_wait(*args, **kwargs):
        for event in predict_stack(*args, **kwargs):
            yield event
            go_on.wait(30)

    monkeypatch.setattr(_stack_prediction, "predict_stack", first_plane_then_wait)
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: dock.files.stack._done == 1, timeout=WAIT_MS)
    dock.files.predict_button.clicked.emit()  # Stop
    go_on.set()
    qtbot.waitUntil(lambda: not dock.files.stack.running, timeout=WAIT_MS)
    monkeypatch.setattr(_stack_prediction, "predict_stack", predict_stack)
    assert messages["error"] == []
    result = viewer.layers["fib-sem prediction"]
    assert isinstance(result.data, np.ndarray) and result.data.shape == (PLANES, *SHAPE, 1)
    # The plane in view (the middle one) and then plane 0; the store's planes are gone.
    assert [bool(p.any()) for p in result.data] == [True, False, True, False, False]
    assert old not in viewer.layers  # the stale probabilities went with the stale planes
    # A second run starts afresh: the planes of the first are gone until predicted again.
    result.data[4] = 7
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: not dock.files.stack.running, timeout=WAIT_MS)
    assert all(viewer.layers["fib-sem prediction"].data.max(axis=(1, 2, 3)) <= 2)
    assert messages["error"] == []


@pytest.mark.filterwarnings("ignore:Non-orthogonal slicing:UserWarning")  # napari's, 3D tilt
def test_a_deep_stacks_map_sits_on_its_plane_through_the_layers_scale_rotation_and_offset(
    make_napari_viewer, image
):
    from napari_finetune._widgets._uncertainty_layer import show_uncertainty
    from napari_finetune.session import Suggestions

    viewer = make_napari_viewer()
    viewer.dims.ndisplay = 3  # a stack turned about x is shown in 3D
    c, s = np.cos(0.3), np.sin(0.3)
    turned = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]  # its planes tilt toward y
    target = viewer.add_image(
        image, name="fib-sem", scale=(2.0, 0.5, 0.5), translate=(10.0, 0.0, 0.0), rotate=turned
    )
    unsure = np.random.default_rng(0).random(SHAPE).astype(np.float32)
    show_uncertainty(viewer, Suggestions("fib-sem", unsure, [], plane=3))
    layer = viewer.layers["fib-sem uncertainty"]
    assert layer.data.shape == (1, *SHAPE)
    for pixel in ((5, 5), (90, 100)):  # each pixel of the map lands on its pixel of plane 3
        want = target.data_to_world((3, *pixel))
        assert layer.data_to_world((0, *pixel)) == pytest.approx(want)
    # The next round's map of another plane moves the layer there.
    show_uncertainty(viewer, Suggestions("fib-sem", unsure, [], plane=1))
    assert viewer.layers["fib-sem uncertainty"] is layer
    assert layer.data_to_world((0, 5, 5)) == pytest.approx(target.data_to_world((1, 5, 5)))
