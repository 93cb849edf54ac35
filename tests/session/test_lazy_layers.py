"""Which layers *Predict* reads band by band, where their store goes, the run the dock drives."""

import threading

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.lazy_events import BandDone
from napari_finetune.session import lazy_layers
from napari_finetune.session.lazy_layers import (
    LAZY_PIXELS,
    is_lazy,
    plan_lazy_prediction,
)
from napari_finetune.session.lazy_rule import goes_plane_by_plane, is_deep_stack, stack_lead
from napari_finetune.session.lazy_run import LazyPredicted, StoreOpened, predict_lazily

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")
tifffile = pytest.importorskip("tifffile")

SHAPE = (600, 1100)  # two bands; 1100 columns: one coarser level for display


@pytest.fixture(scope="module")
def image():
    return nf.voronoi_grains(SHAPE, 40, seed=2).image


def never_read(shape):
    """A Dask array that fails if any pixel is computed."""

    def fail(block_info=None):
        raise AssertionError("a pixel was read")

    return da.map_blocks(fail, chunks=((shape[0],), (shape[1],)), dtype=np.float32)


def write_ome(path, data, levels=2):
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    datasets = []
    for level in range(levels):
        f = 2**level
        root.create_array(str(level), data=data[None, ::f, ::f], chunks=(1, 256, 256))
        transform = [{"type": "scale", "scale": [1, f, f]}]
        datasets.append({"path": str(level), "coordinateTransformations": transform})
    axes = [{"name": n, "type": t} for n, t in (("c", "channel"), ("y", "space"), ("x", "space"))]
    root.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}
    return root


def test_lazy_is_decided_from_the_type_and_the_size(tmp_path):
    small = np.zeros((512, 512), np.uint8)
    assert not is_lazy(small)
    assert is_lazy(small, multiscale=True)
    assert is_lazy(da.zeros((512, 512)))
    assert is_lazy(zarr.zeros((64, 64), store=str(tmp_path / "z.zarr")))
    tifffile.imwrite(tmp_path / "m.tif", small)
    assert is_lazy(tifffile.memmap(tmp_path / "m.tif", mode="r"))
    side = int(np.sqrt(LAZY_PIXELS))
    # Zero-stride views: the size of a large image in memory, without the memory.
    assert is_lazy(np.broadcast_to(np.uint8(0), (side, side)))
    assert is_lazy(np.broadcast_to(np.uint8(0), (side, side, 3)), rgb=True)
    assert not is_lazy(np.broadcast_to(np.uint8(0), (side, side - 1)))
    # An in-memory stack is predicted plane by plane, as before.
    assert not is_lazy(np.broadcast_to(np.uint8(0), (3, side, side)))


def test_a_small_lazy_stack_is_read_and_a_huge_one_goes_plane_by_plane(tmp_path):
    # A small z-stack in Dask, Zarr or a memory map is read and predicted plane by plane.
    assert not is_lazy(da.zeros((3, 300, 300)))
    assert not is_lazy(zarr.zeros((2, 64, 64), store=str(tmp_path / "z.zarr")))
    assert not is_lazy(da.zeros((3, 300, 300, 3)), rgb=True)
    # Too large to read whole: plane by plane (session/deep_stacks.py), not band by band.
    side = int(np.sqrt(LAZY_PIXELS))
    assert not is_lazy(da.zeros((2, side, side // 2)))
    assert is_deep_stack((2, side, side // 2))
    # A multiscale stack (an OME-Zarr z-stack) of any depth goes plane by plane too; it
    # went to the band path, which refused it.
    assert not is_lazy(da.zeros((3, 300, 300)), multiscale=True)
    assert goes_plane_by_plane((3, 300, 300), multiscale=True)
    assert not goes_plane_by_plane((3, 300, 300)) and not goes_plane_by_plane((300, 300), True)
    assert goes_plane_by_plane((3, 300, 300, 3), multiscale=True, rgb=True)
    assert goes_plane_by_plane((1, 3, 300, 300), multiscale=True)  # napari-ome-zarr's (t=1)
    assert stack_lead((1, 3, 300, 300)) == 1 and stack_lead((3, 300, 300, 1)) == 0
    assert stack_lead((1, 1, 3, 300, 300, 3), rgb=True) == 2
    assert is_lazy(da.zeros((1, 300, 300)), multiscale=True)
    assert is_lazy(da.zeros((2, 3, 300, 300)), multiscale=True)  # band path: refused in words
    # Leading axes of length 1 are one image: lazy data goes band by band at any size.
    assert is_lazy(da.zeros((1, 300, 300)))
    assert is_lazy(np.broadcast_to(np.uint8(0), (1, side, side)))


def test_a_plane_as_large_as_the_lazy_rule_is_refused_with_what_to_do_instead():
    side = int(np.sqrt(LAZY_PIXELS))
    lazy_layers.check_plane_fits((3, side, side - 1), "measure")
    lazy_layers.check_plane_fits((side, side - 1, 3), "feature maps", rgb=True)
    with pytest.raises(ValueError, match=r"^its planes are 30000 × 30000 px, too large") as err:
        lazy_layers.check_plane_fits((30_000, 30_000), "measure")
    assert "napari-finetune predict --measure" in str(err.value)
    assert "predict_folder(..., measure=True)" in str(err.value)
    with pytest.raises(ValueError, match="add a crop of it as a new layer"):
        lazy_layers.check_plane_fits((2, side, side, 3), "feature maps", rgb=True)


def test_a_grey_image_with_a_channel_axis_of_1_is_one_image_by_the_size_rule(tmp_path):
    # (rows, cols, 1) was a stack of planes of cols × 1 px here, though predict reads it as
    # grey: a Dask one was read whole, a large one in memory predicted whole, its plane
    # was never too large and its plan counted bands down its columns.
    side = int(np.sqrt(LAZY_PIXELS))
    assert is_lazy(da.zeros((300, 300, 1)))
    assert is_lazy(np.broadcast_to(np.uint8(0), (side, side, 1)))
    assert is_lazy(np.broadcast_to(np.uint8(0), (1, side, side, 1)))
    assert not is_lazy(np.zeros((300, 300, 1), np.uint8))
    with pytest.raises(ValueError, match=r"^its planes are 30000 × 30000 px"):
        lazy_layers.check_plane_fits((30_000, 30_000, 1), "feature maps")
    array = zarr.zeros((2000, 900, 1), chunks=(500, 900, 1), store=str(tmp_path / "g.zarr"))
    plan = plan_lazy_prediction("grey", array)
    assert (plan.rows, plan.cols, plan.bands) == (2000, 900, 5)
    # Its axis dropped lazily (indexing a Zarr array reads it): a view, nothing read.
    assert plan.image.shape == (2000, 900) and hasattr(plan.image, "dask")


def test_a_dask_array_of_a_script_goes_to_the_prediction_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(lazy_layers.FOLDER_VARIABLE, str(tmp_path / "home"))
    plan = plan_lazy_prediction("my grains/1", never_read((2000, 900)))
    assert plan.output == tmp_path / "home" / "my_grains_1_prediction.zarr"
    assert plan.location == plan.output and not plan.beside_image
    assert (plan.rows, plan.cols, plan.bands) == (2000, 900, 5)
    plan.output.mkdir()  # taken: the next one gets a number
    again = plan_lazy_prediction("my grains/1", never_read((2000, 900)))
    assert again.output.name == "my_grains_1_prediction-2.zarr"
    assert "the new store" in lazy_layers.started(again) and str(again.output) in (
        lazy_layers.started(again)
    )


def test_a_file_gets_its_store_beside_it_unless_the_folder_is_read_only(tmp_path, monkeypatch):
    monkeypatch.setenv(lazy_layers.FOLDER_VARIABLE, str(tmp_path / "home"))
    tifffile.imwrite(tmp_path / "scan.ome.tif", np.zeros((300, 400), np.uint8))
    mapped = tifffile.memmap(tmp_path / "scan.ome.tif", mode="r")
    assert plan_lazy_prediction("scan", mapped).output == tmp_path / "scan_prediction.zarr"
    array = zarr.zeros((1, 300, 400), chunks=(1, 100, 100), store=str(tmp_path / "raw.zarr"))
    plan = plan_lazy_prediction("raw", array)
    assert plan.output == tmp_path / "raw_prediction.zarr"
    # The leading axis of length 1 is dropped, lazily (a Zarr array reads when indexed).
    assert plan.image.shape == (300, 400) and hasattr(plan.image, "dask")
    monkeypatch.setattr(lazy_layers, "_writable", lambda folder: False)
    home = tmp_path / "home"
    assert plan_lazy_prediction("scan", mapped).output == home / "scan_prediction.zarr"


def test_an_ome_zarr_store_gets_its_labels_beside_the_image(tmp_path):
    store = tmp_path / "cells.ome.zarr"
    root = write_ome(store, np.zeros((300, 400), np.float32))
    level0 = da.from_zarr(root["0"])
    plan = plan_lazy_prediction("cells", level0, source=store, folder=tmp_path / "home")
    assert plan.beside_image and plan.image == store and plan.label_name == "prediction"
    assert plan.location == store / "labels" / "prediction"
    assert "labels beside the image" in lazy_layers.where(plan)
    (store / "labels" / "prediction").mkdir(parents=True)
    assert plan_lazy_prediction("cells", level0, source=store).label_name == "prediction-2"
    # A layer of another size is not this store's image: a store of its own, beside it.
    other = plan_lazy_prediction("crop", level0[:, :100], source=store, folder=tmp_path)
    assert other.output == tmp_path / "cells_prediction.zarr"


def test_one_grey_channel_of_a_colour_store_is_not_that_stores_image(tmp_path):
    store = tmp_path / "colour.ome.zarr"
    root = zarr.open_group(str(store), mode="w", zarr_format=3)
    root.create_array("0", data=np.zeros((3, 300, 400), np.float32), chunks=(1, 256, 256))
    axes = [{"name": n, "type": t} for n, t in (("c", "channel"), ("y", "space"), ("x", "space"))]
    scale = [{"type": "scale", "scale": [1, 1, 1]}]
    datasets = [{"path": "0", "coordinateTransformations": scale}]
    root.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}
    red = da.from_zarr(root["0"])[0]  # as napari-ome-zarr opens each channel: a grey layer
    plan = plan_lazy_prediction("colour [0]", red, source=store, folder=tmp_path)
    assert not plan.beside_image and plan.output == tmp_path / "colour_prediction.zarr"


def test_the_run_writes_a_pyramid_and_equals_predict(tmp_path, model, image):
    plan = plan_lazy_prediction("grains", da.from_array(image, chunks=200), folder=tmp_path)
    events = list(predict_lazily(model, plan))
    assert [type(e) for e in events] == [StoreOpened, BandDone, BandDone, LazyPredicted]
    opened, done = events[0], events[-1]
    assert opened.model is model and opened.location == plan.output
    assert [a.shape for a in opened.labels] == [SHAPE, (300, 550)]
    assert all(isinstance(a, zarr.Array) for a in opened.labels)
    expected = nf.inference.labels_from_probabilities(nf.predict(model, image))
    np.testing.assert_array_equal(opened.labels[0][:], expected)
    np.testing.assert_array_equal(opened.labels[1][:], expected[::2, ::2])
    assert done.written.output == plan.output and 0 < opened.brightness < 1
    unsure = opened.uncertainty
    assert [a.shape for a in unsure] == [SHAPE, (300, 550)]
    np.testing.assert_array_equal(unsure[1][:], unsure[0][::2, ::2])
    assert np.isfinite(unsure[0][:]).all() and 1e-3 <= done.display_max <= 1


def test_stop_keeps_the_finished_band_at_every_level(tmp_path, model, image):
    plan = plan_lazy_prediction("grains", da.from_array(image), folder=tmp_path)
    stop = threading.Event()
    seen = []
    for event in predict_lazily(model, plan, stop):
        seen.append(event)
        if isinstance(event, BandDone):
            stop.set()
    assert [type(e) for e in seen] == [StoreOpened, BandDone]
    rows = seen[1].rows_done
    store = zarr.open_group(str(plan.output), mode="r")
    assert store.attrs["napari_finetune"]["complete"] is False
    coarse = seen[0].labels[1][:]
    assert (coarse[: (rows + 1) // 2] > 0).all() and (coarse[(rows + 1) // 2 :] == 0).all()


def test_refusals_name_the_layer(tmp_path, model):
    plan = plan_lazy_prediction("z stack", da.zeros((5, 300, 300)), folder=tmp_path)
    with pytest.raises(ValueError, match=r"^Layer 'z stack': .*stack of planes"):
        list(predict_lazily(model, plan))
    assert not plan.output.exists()


def test_closing_the_run_closes_the_core_generator_at_once(tmp_path, model, monkeypatch):
    from types import SimpleNamespace

    from napari_finetune.inference import lazy
    from napari_finetune.session import lazy_run

    made, cleaned = [], []

    def bands(*args, **kwargs):
        def events():
            try:
                yield BandDone(100, 200, 1.0, 1.0)
                yield BandDone(200, 200, 2.0, 0.0)
            finally:
                cleaned.append("predict_bands cleaned up")  # cancels cluster bands

        made.append(events())  # held here: refcounting alone would not close it
        return made[-1]

    pyramid = SimpleNamespace(arrays=[np.zeros((200, 200), np.uint8)], fill=lambda rows: None)
    monkeypatch.setattr(lazy, "predict_bands", bands)
    monkeypatch.setattr(lazy_run, "open_result_pyramids", lambda where, unsure: [pyramid])
    plan = plan_lazy_prediction("grains", np.zeros((200, 200), np.float32), folder=tmp_path)
    run = predict_lazily(model, plan, uncertainty=False)
    assert isinstance(next(run), StoreOpened)
    run.close()  # the consumer stops asking
    assert cleaned == ["predict_bands cleaned up"]
