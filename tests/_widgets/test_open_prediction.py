"""A prediction store opened from the File menu or *Measure grains*: shown, ready to measure."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune._widgets import _open_prediction
from napari_finetune._widgets.measure_grains import MeasureGrainsWidget
from napari_finetune.inference.lazy import predict_bands, predict_lazy

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")

WAIT_MS = 60_000
COMMAND = "napari-finetune.open_prediction_store"


@pytest.fixture
def said(monkeypatch):
    shown = {"info": [], "warning": [], "error": []}
    for kind in shown:
        monkeypatch.setattr(_open_prediction, f"show_{kind}", shown[kind].append)
    return shown


def test_the_file_menu_opens_a_store_and_measure_grains_takes_it(
    make_napari_viewer, qtbot, tmp_path, monkeypatch, said
):
    image = nf.voronoi_grains((400, 360), 30, seed=5).image
    path = tmp_path / "grains_prediction.zarr"
    predict_lazy(nf.load_model("voronoi-unet"), da.from_array(image), path, uncertainty=True)
    viewer = make_napari_viewer()
    monkeypatch.setattr(_open_prediction, "ask_store_folder", lambda: str(path))
    from app_model.types import MenuItem
    from napari._app_model import get_app_model

    app = get_app_model()
    menu = [
        i.command.id
        for i in app.menus.get_menu("napari/file/io_utilities")
        if isinstance(i, MenuItem)
    ]
    assert COMMAND in menu
    app.commands.execute_command(COMMAND).result()  # napari gives the command its viewer
    assert [layer.name for layer in viewer.layers] == ["grains uncertainty", "grains prediction"]
    assert said["info"] == [f"Opened {path}: complete, 2 classes."]
    result = viewer.layers["grains prediction"]
    np.testing.assert_array_equal(result.data[:], zarr.open_group(str(path))["labels"][:])
    assert not viewer.layers["grains uncertainty"].visible
    measuring = MeasureGrainsWidget(viewer)
    assert measuring.source.value is result  # the newest prediction, offered first
    measuring.run()
    qtbot.waitUntil(lambda: measuring._worker is None, timeout=WAIT_MS)
    assert viewer.layers["grains grains"].data.shape == (400, 360)
    assert len(measuring.measurement.report.table) > 10
    # Opened again from the dock's own button: chosen to measure, the old one kept.
    measuring.open_store.clicked()
    assert measuring.source.value is viewer.layers[-1]
    assert viewer.layers[-1].name == "grains prediction [1]"


def test_a_stopped_run_warns_and_a_wrong_folder_is_refused(
    make_napari_viewer, tmp_path, monkeypatch, said
):
    image = nf.voronoi_grains((900, 200), 30, seed=6).image
    path = tmp_path / "part.zarr"
    events = predict_bands(nf.load_model("voronoi-unet"), da.from_array(image), path)
    next(events)
    events.close()
    viewer = make_napari_viewer()
    (layer,) = _open_prediction.add_prediction_store(viewer, str(path))
    assert layer.name == "part prediction"
    done = zarr.open_group(str(path)).attrs["napari_finetune"]["rows_done"]
    assert 0 < done < 900
    assert said["warning"] == [
        f"Opened {path}: stopped after {done} of 900 rows: the rest is not predicted."
    ]
    monkeypatch.setattr(_open_prediction, "ask_store_folder", lambda: str(tmp_path))
    assert _open_prediction.open_prediction_store_dialog(viewer) == []
    assert said["error"] == [
        f"Open prediction store: {tmp_path} is not a prediction store: choose a "
        "'<image>_prediction.zarr' folder, or 'labels/prediction' inside an OME-Zarr image."
    ]
    monkeypatch.setattr(_open_prediction, "ask_store_folder", lambda: "")  # cancelled
    assert _open_prediction.open_prediction_store_dialog(viewer) == []
    assert len(viewer.layers) == 1
