"""*Predict* on lazy layers (Dask, Zarr, OME-Zarr, multiscale): band by band into a store."""

import threading

import numpy as np
import pytest
from napari.utils.colormaps.standardize_color import transform_color
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import _lazy_prediction
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._lazy_prediction import LazyPrediction
from napari_finetune._widgets._open_prediction import add_prediction_store
from napari_finetune._widgets._result_layers import prediction_style
from napari_finetune._widgets.measure_grains import MeasureGrainsWidget
from napari_finetune.inference.lazy_events import BandDone
from napari_finetune.models import SegmentationModel
from napari_finetune.session.lazy_layers import FOLDER_VARIABLE
from napari_finetune.session.lazy_run import StoreOpened, predict_lazily

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")

WAIT_MS = 120_000


@pytest.fixture(autouse=True)
def predictions(tmp_path, monkeypatch):
    """Stores with no better place go here, not into the user data folder."""
    folder = tmp_path / "predictions"
    monkeypatch.setenv(FOLDER_VARIABLE, str(folder))
    return folder


@pytest.fixture
def messages(monkeypatch):
    shown = capture_messages(monkeypatch, module)
    shown["info"] = []
    monkeypatch.setattr(_lazy_prediction, "show_info", shown["info"].append)
    return shown


@pytest.fixture
def viewer(make_napari_viewer):
    return make_napari_viewer()


class WorkerReads(da.Array):
    """A Dask array that records the shape of every read made outside the GUI thread."""

    def __getitem__(self, key):
        part = super().__getitem__(key)
        if threading.current_thread() is not threading.main_thread():
            self.reads.append(tuple(part.shape))
        return part


def logged(array):
    out = WorkerReads(array.dask, array.name, array.chunks, meta=array._meta)
    out.reads = []
    return out


def predict(dock, layer, qtbot):
    dock.files.predict_on.value = layer
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: not dock.files.lazy.running, timeout=WAIT_MS)


def test_an_8192_px_dask_image_is_read_band_by_band_and_stops(viewer, qtbot, monkeypatch):
    tile = (nf.voronoi_grains((512, 512), 60, seed=0).image * 200).astype(np.uint8)
    image = logged(da.tile(da.from_array(tile), (16, 16)))
    assert image.shape == (8192, 8192)
    # Hidden: napari itself never reads it, so every read is the prediction's.
    layer = viewer.add_image(image, name="big", contrast_limits=(0, 255), visible=False)
    dock = module.FineTuneWidget(viewer)
    # A thin network: this test is about what is read, not about the labels.
    dock.session.model = SegmentationModel.create(widths=(4, 8, 16, 32))
    seen = []

    def stop_after_the_first_band(self, event):
        original(self, event)
        if isinstance(event, BandDone) and not seen:
            seen.append(dock.files.predict_button.text)
            dock.files.predict_button.clicked.emit()  # reads "Stop prediction" now

    def wait_for_stop(model, plan, stop, **options):
        # The worker waits for the click after the first band, so that one band is done.
        for event in predict_lazily(model, plan, stop, **options):
            yield event
            if isinstance(event, BandDone):
                stop.wait(30)

    original = LazyPrediction._on_event
    monkeypatch.setattr(LazyPrediction, "_on_event", stop_after_the_first_band)
    monkeypatch.setattr(_lazy_prediction, "predict_lazily", wait_for_stop)
    predict(dock, layer, qtbot)
    assert seen == ["Stop prediction"]
    assert dock.files.predict_button.text == "Predict" and dock.files.predict_button.enabled
    assert dock.status.value.startswith("Prediction of 'big' stopped after 1 of 19 bands: ")

    result = viewer.layers["big prediction"]
    assert result.multiscale
    assert all(isinstance(level, zarr.Array) for level in result.data)
    assert [level.shape for level in result.data] == [
        (8192, 8192),
        (4096, 4096),
        (2048, 2048),
        (1024, 1024),
    ]
    store = zarr.open_group(result.metadata["napari_finetune"]["store"], mode="r")
    state = store.attrs["napari_finetune"]
    assert state["complete"] is False and state["rows_done"] == 448
    coarsest = result.data[-1][:]
    done = 448 // 8
    assert (coarsest[:done] > 0).all() and (coarsest[done:] == 0).all()
    # Never the whole image: a band of tile rows at most at once (strided samples for
    # the percentiles and the brightness, then the first band), a fifth of it in all.
    assert image.reads and max(rows for rows, _ in image.reads) <= 512
    assert sum(r * c for r, c in image.reads) < 8192 * 8192 / 5
    assert viewer.layers["big"].data is image


def test_a_dask_layer_gets_a_styled_multiscale_prediction_from_its_store(
    viewer, qtbot, messages, predictions, monkeypatch
):
    image = nf.voronoi_grains((600, 1100), 40, seed=2).image
    layer = viewer.add_image(da.from_array(image, chunks=256), name="lazy", scale=(0.5, 0.5))
    dock = module.FineTuneWidget(viewer)
    before = [one.name for one in viewer.layers]
    shown = threading.Event()

    def show_first(self, event):
        original(self, event)
        shown.set()

    def later_bands_after_the_layer_is_shown(model, plan, stop, **options):
        # The layer exists before the last band is written: it must be refreshed.
        for event in predict_lazily(model, plan, stop, **options):
            yield event
            if isinstance(event, StoreOpened):
                shown.wait(30)

    original = LazyPrediction._on_event
    monkeypatch.setattr(LazyPrediction, "_on_event", show_first)
    monkeypatch.setattr(_lazy_prediction, "predict_lazily", later_bands_after_the_layer_is_shown)
    predict(dock, layer, qtbot)
    assert messages["error"] == []
    store = predictions / "lazy_prediction.zarr"
    assert dock.status.value.startswith("Predicted 'lazy' with world-unet (shipped)")
    assert dock.status.value.endswith(f"Labels in the new store {store}.")
    assert messages["info"] == [dock.status.value]

    result = viewer.layers["lazy prediction"]
    levels = result.data
    assert result.multiscale and all(isinstance(level, zarr.Array) for level in levels)
    assert [level.shape for level in levels] == [(600, 1100), (300, 550)]
    full = levels[0][:]
    assert set(np.unique(full)) == {1, 2}
    np.testing.assert_array_equal(levels[1][:], full[::2, ::2])
    # Styled as an in-memory prediction, placed on the image, and selected.
    styling, meta = prediction_style(nf.load_model("world-unet").classes, 2, None)
    meta["napari_finetune"]["store"] = str(store)
    meta["napari_finetune"]["views"] = 1  # the box is off: one view
    assert result.metadata == meta
    for value in (1, 2):
        expected = transform_color(styling["colormap"][value])[0]
        np.testing.assert_allclose(np.ravel(result.colormap.map(value)), expected, atol=1e-6)
    assert list(result.features["class"]) == list(styling["features"]["class"])
    assert result.opacity == 0.4 and tuple(result.scale) == (0.5, 0.5)
    assert viewer.layers.selection.active is result
    # Refreshed to the last band: what napari displays (its slice of the level in
    # view; no public name for it) is predicted down to the bottom row.
    assert (np.asarray(result._slice.image.raw)[-10:] > 0).all()
    unsure = viewer.layers["lazy uncertainty"]
    assert unsure.multiscale and not unsure.visible
    assert all(isinstance(level, zarr.Array) for level in unsure.data)
    assert [level.shape for level in unsure.data] == [(600, 1100), (300, 550)]
    assert 1e-3 <= unsure.contrast_limits[1] <= 1
    assert [one.name for one in viewer.layers][: len(before)] == before
    assert isinstance(layer.data, da.Array)
    # Measure grains measures the full resolution, not the level napari keeps in memory.
    measuring = MeasureGrainsWidget(viewer)
    measuring.measure_layer(result)
    qtbot.waitUntil(lambda: measuring._worker is None, timeout=WAIT_MS)
    assert viewer.layers["lazy grains"].data.shape == (600, 1100)
    # Reopened from its store (File > IO Utilities): the same layers, on the image.
    viewer.layers.remove("lazy grains")
    viewer.layers.remove("lazy uncertainty")
    viewer.layers.remove(result)
    unsure, again = add_prediction_store(viewer, str(store))
    assert (unsure.name, again.name) == ("lazy uncertainty", "lazy prediction")
    assert tuple(again.scale) == (0.5, 0.5) and tuple(unsure.scale) == (0.5, 0.5)
    assert [level.shape for level in again.data] == [(600, 1100), (300, 550)]
    assert list(again.features["class"]) == list(styling["features"]["class"])

    predict(dock, layer, qtbot)  # again: a new store, the result layer replaced
    assert dock.status.value.endswith(f"{predictions / 'lazy_prediction-2.zarr'}.")
    assert [one.name for one in viewer.layers].count("lazy prediction") == 1


def test_an_ome_zarr_store_opened_in_napari_gets_labels_beside_the_image(
    viewer, qtbot, messages, tmp_path
):
    store = tmp_path / "grains.ome.zarr"
    image = nf.voronoi_grains((400, 520), 30, seed=4).image
    root = zarr.open_group(str(store), mode="w", zarr_format=3)
    datasets = []
    for level in range(2):
        f = 2**level
        root.create_array(str(level), data=image[None, ::f, ::f], chunks=(1, 128, 128))
        transform = [{"type": "scale", "scale": [1, f, f]}]
        datasets.append({"path": str(level), "coordinateTransformations": transform})
    axes = [{"name": "c", "type": "channel"}, {"name": "y"}, {"name": "x"}]
    root.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}
    (layer,) = viewer.open(str(store), plugin="napari")
    assert layer.multiscale
    dock = module.FineTuneWidget(viewer)
    predict(dock, layer, qtbot)
    assert messages["error"] == []
    label = store / "labels" / "prediction"
    assert dock.status.value.endswith(f"Labels in {label} (labels beside the image).")
    result = viewer.layers["grains.ome prediction"]
    assert [level.shape for level in result.data] == [(1, 400, 520), (1, 200, 260)]
    assert {str(level.store_path) for level in result.data} == {
        f"file://{label / '0'}",
        f"file://{label / '1'}",
    }
    assert set(np.unique(result.data[1][:])) == {1, 2}


class ReadWhere(da.Array):
    """A Dask array that records, for each whole read, whether it was in the GUI thread."""

    def __array__(self, *args, **kwargs):
        self.in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return super().__array__(*args, **kwargs)


def test_a_small_lazy_stack_is_predicted_a_huge_one_goes_by_planes_and_rgb_works_with_rgb(
    viewer, qtbot, messages
):
    planes = np.stack([nf.voronoi_grains((96, 96), 8, seed=s).image for s in range(3)])
    small = da.from_array(planes)
    small = ReadWhere(small.dask, small.name, small.chunks, meta=small._meta)
    small.in_gui_thread = []
    stack = viewer.add_image(small, name="z stack", contrast_limits=(0, 1))
    dock = module.FineTuneWidget(viewer)
    # A small Dask z-stack is read (in the worker) and predicted plane by plane.
    dock.files.predict_on.value = stack
    dock.files.predict_button.clicked.emit()
    assert not dock.files.lazy.running
    qtbot.waitUntil(lambda: "z stack prediction" in viewer.layers, timeout=WAIT_MS)
    assert messages["error"] == []
    assert viewer.layers["z stack prediction"].data.shape == (3, 96, 96)
    assert small.in_gui_thread == [False]
    qtbot.waitUntil(lambda: dock.files.predict_button.enabled, timeout=WAIT_MS)
    # Too large to read whole: plane by plane (test_stack_prediction.py), never band by band.
    huge = da.zeros((2, 8192, 4096), dtype=np.uint8)
    layer = viewer.add_image(huge, name="huge stack", contrast_limits=(0, 1), visible=False)
    assert dock.files.stack.takes(layer) and not dock.files.lazy.takes(layer)

    colour = nf.voronoi_grains((300, 320), 20, seed=5).image
    rgb = np.stack([colour, colour * 0.8, colour * 0.6], axis=-1)
    layer = viewer.add_image(da.from_array(rgb), name="colour", rgb=True)
    dock.session.model = SegmentationModel.create(in_channels=3)
    predict(dock, layer, qtbot)
    assert messages["error"] == []
    result = viewer.layers["colour prediction"]
    assert not result.multiscale and isinstance(result.data, zarr.Array)
    assert result.data.shape == (300, 320)
    assert "with the current model" in dock.status.value


def test_a_reopened_store_keeps_the_colours_chosen_unlike_the_painting(
    viewer, qtbot, messages, predictions
):
    image = nf.voronoi_grains((300, 400), 20, seed=4).image
    layer = viewer.add_image(da.from_array(image, chunks=128), name="lazy")
    strokes = np.zeros(image.shape, np.uint8)
    strokes[10:40, 10:60], strokes[100:110, 100:200] = 1, 2
    # Painted in the first two colours a prediction would otherwise take.
    painted = viewer.add_labels(strokes, name="lazy painted")
    painted.colormap = {1: "#0072b2", 2: "#d55e00", None: "transparent"}
    before = painted.data.copy()
    dock = module.FineTuneWidget(viewer)
    dock.pairs.rows()[0].image_layer.value = layer
    dock.pairs.rows()[0].labels_layer.value = painted
    assert dock.pairs.labels_of("lazy") is painted
    predict(dock, layer, qtbot)
    assert messages["error"] == []
    shown = viewer.layers["lazy prediction"]
    live = [np.ravel(shown.colormap.map(v)) for v in (1, 2)]
    for value, colour in zip((1, 2), live, strict=True):
        assert not np.allclose(colour, np.ravel(painted.colormap.map(value)), atol=0.05)
    viewer.layers.remove("lazy uncertainty")
    viewer.layers.remove(shown)
    _, again = add_prediction_store(viewer, str(predictions / "lazy_prediction.zarr"))
    for value, colour in zip((1, 2), live, strict=True):
        np.testing.assert_allclose(np.ravel(again.colormap.map(value)), colour, atol=1e-6)
    np.testing.assert_array_equal(painted.data, before)


def test_a_grey_dask_layer_with_a_channel_axis_of_1_goes_band_by_band_as_grey(
    viewer, qtbot, messages
):
    # (rows, cols, 1) was a stack here: read whole when small, refused when large
    # ("a stack of planes"), though predict reads it as grey. Now as its grey image.
    image = nf.voronoi_grains((200, 260), 12, seed=3).image
    flat = viewer.add_image(da.from_array(image, chunks=100), name="flat")
    axis = viewer.add_image(da.from_array(image[..., None], chunks=(100, 100, 1)), name="axis")
    dock = module.FineTuneWidget(viewer)
    dock.session.model = SegmentationModel.create(widths=(4, 8, 16, 32))  # thin: fast
    predict(dock, flat, qtbot)
    predict(dock, axis, qtbot)
    assert messages["error"] == []
    assert dock.status.value.startswith("Predicted 'axis' with the current model")
    for kind in ("prediction", "uncertainty"):
        got, grey = viewer.layers[f"axis {kind}"].data, viewer.layers[f"flat {kind}"].data
        assert isinstance(got, zarr.Array) and got.shape == image.shape  # from its store
        if kind == "prediction":
            np.testing.assert_array_equal(got[:], grey[:])
        else:
            # Float sums may be ordered differently by torch's threads on a busy
            # machine (2e-7 seen): the same image reads alike, not bit for bit.
            np.testing.assert_allclose(got[:], grey[:], rtol=0, atol=1e-5)
