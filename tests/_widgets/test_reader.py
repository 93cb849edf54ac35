"""A prediction store opened in napari: the layers the dock showed, ready to measure."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune import _reader
from napari_finetune._widgets.measure_grains import MeasureGrainsWidget
from napari_finetune.inference.lazy import predict_bands, predict_lazy

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")

WAIT_MS = 60_000


def test_a_store_opened_in_napari_is_shown_and_measured(make_napari_viewer, qtbot, tmp_path):
    image = nf.voronoi_grains((400, 360), 30, seed=5).image
    path = tmp_path / "grains_prediction.zarr"
    predict_lazy(nf.load_model("voronoi-unet"), da.from_array(image), path, uncertainty=True)
    viewer = make_napari_viewer()
    viewer.open(str(path), plugin="napari-finetune")
    assert [layer.name for layer in viewer.layers] == [
        "grains uncertainty",
        "grains prediction",
    ]
    result = viewer.layers["grains prediction"]
    assert viewer.layers.selection.active is result
    np.testing.assert_array_equal(result.data[:], zarr.open_group(str(path))["labels"][:])
    assert not viewer.layers["grains uncertainty"].visible
    # Measure grains offers it first and measures it.
    measuring = MeasureGrainsWidget(viewer)
    assert measuring.source.value is result
    measuring.run()
    qtbot.waitUntil(lambda: measuring._worker is None, timeout=WAIT_MS)
    assert viewer.layers["grains grains"].data.shape == (400, 360)
    assert len(measuring.measurement.report.table) > 10


def test_a_stopped_run_is_opened_with_a_warning(make_napari_viewer, tmp_path, monkeypatch):
    image = nf.voronoi_grains((900, 200), 30, seed=6).image
    path = tmp_path / "part.zarr"
    events = predict_bands(nf.load_model("voronoi-unet"), da.from_array(image), path)
    next(events)
    events.close()
    warned = []
    monkeypatch.setattr("napari.utils.notifications.show_warning", warned.append)
    viewer = make_napari_viewer()
    (layer,) = viewer.open(str(path), plugin="napari-finetune")
    assert layer.name == "part prediction"
    done = zarr.open_group(str(path)).attrs["napari_finetune"]["rows_done"]
    assert 0 < done < 900
    assert warned == [
        f"Prediction store part.zarr: stopped after {done} of 900 rows: the rest is not predicted."
    ]
    assert _reader.get_reader(str(tmp_path)) is None  # the folder holding it is not one
