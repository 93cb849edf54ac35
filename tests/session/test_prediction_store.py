"""Reopening a prediction store: which folders are one, their levels, layers and words."""

import shutil

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.batch import band_pyramid
from napari_finetune.inference.lazy import predict_bands, predict_lazy
from napari_finetune.session.prediction_store import (
    LAYER_KEY,
    _down_to_top,
    open_prediction_store,
    prediction_layers,
)
from napari_finetune.session.result_style import avoided as avoided_record
from napari_finetune.session.result_style import colour_difference, prediction_colours

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")

SHAPE = (500, 300)


@pytest.fixture(scope="module")
def image():
    return nf.voronoi_grains(SHAPE, 30, seed=3).image


@pytest.fixture(scope="module")
def written(tmp_path_factory, model, image):
    """A complete store from Python: labels and uncertainty, no display levels."""
    path = tmp_path_factory.mktemp("stores") / "mosaic_prediction-2.zarr"
    predict_lazy(model, da.from_array(image), path, uncertainty=True)
    return path


def files_of(folder):
    return sorted((p.relative_to(folder), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def test_a_complete_store_reopens_as_the_dock_showed_it(written, model):
    before = files_of(written)
    store = open_prediction_store(written)
    assert store.complete and store.image_name == "mosaic" and store.n_classes == 2
    assert store.in_words() == "complete, 2 classes"
    unsure, labels = prediction_layers(store)
    data, kwargs, kind = labels
    assert kind == "labels" and kwargs["name"] == "mosaic prediction"
    assert not kwargs["multiscale"] and isinstance(data, zarr.Array)  # fits in one level
    assert set(np.unique(data[:])) == {1, 2}
    meta = kwargs["metadata"]["napari_finetune"]
    assert meta["role"] == "prediction" and meta["store"] == str(written)
    names = [c["name"] for c in meta["classes"].values()]
    assert names == [model.classes[1], model.classes[2]]
    assert list(kwargs["features"]["class"])[1:] == names  # hover says the class
    assert kwargs["colormap"][0] == "transparent"
    assert not {"scale", "translate", "units"} & set(kwargs)  # nothing recorded: pixels
    data, kwargs, kind = unsure
    assert kind == "image" and kwargs["name"] == "mosaic uncertainty"
    assert not kwargs["visible"] and data.dtype == np.float32 and data.shape == SHAPE
    assert kwargs["metadata"]["napari_finetune"]["role"] == "uncertainty"
    assert files_of(written) == before  # only read


def test_without_display_levels_a_large_store_gets_strided_ones(written):
    store = open_prediction_store(written)
    levels = _down_to_top(store.labels, top=100)
    assert [level.shape for level in levels] == [SHAPE, (250, 150), (125, 75), (63, 38)]
    full = store.labels[0][:]
    np.testing.assert_array_equal(np.asarray(levels[2]), full[::4, ::4])
    assert isinstance(levels[0], zarr.Array) and isinstance(levels[1], da.Array)


def test_a_stopped_run_says_how_far_it_got(tmp_path, model, image):
    path = tmp_path / "part.zarr"
    events = predict_bands(model, da.from_array(np.vstack([image, image])), path)
    next(events)
    events.close()
    store = open_prediction_store(path)
    assert not store.complete and store.uncertainty is None
    assert store.in_words() == "stopped after 448 of 1,000 rows: the rest is not predicted"
    (labels,) = prediction_layers(store)
    assert labels[1]["name"] == "part prediction"
    assert labels[1]["metadata"]["napari_finetune"]["state"] == store.in_words()
    one_band = tmp_path / "one.zarr"
    events = predict_bands(model, da.from_array(image), one_band)
    next(events)  # its only band: stopped before the store was marked complete
    events.close()
    said = open_prediction_store(one_band).in_words()
    assert said == "stopped after its last band: every row is predicted"


def test_labels_beside_an_ome_zarr_image_reopen_with_their_levels_and_scale(
    tmp_path, model, image
):
    path = tmp_path / "grains.ome.zarr"
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    datasets = []
    for level in range(2):
        f = 2**level
        root.create_array(str(level), data=image[None, ::f, ::f], chunks=(1, 128, 128))
        transform = [{"type": "scale", "scale": [1, 0.05 * f, 0.05 * f]}]
        datasets.append({"path": str(level), "coordinateTransformations": transform})
    axes = [
        {"name": "c", "type": "channel"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    root.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}
    predict_lazy(model, path)
    store = open_prediction_store(path / "labels" / "prediction")
    assert store.image_name == "grains.ome"
    assert [level.shape for level in store.labels] == [(1, *SHAPE), (1, 250, 150)]
    (labels,) = prediction_layers(store)
    kwargs = labels[1]
    assert kwargs["multiscale"] and kwargs["name"] == "grains.ome prediction"
    assert kwargs["scale"] == [1.0, 0.05, 0.05]  # the channel axis: unit scale
    assert kwargs["units"] == ["pixel", "micrometer", "micrometer"]
    with pytest.raises(ValueError, match="without napari-finetune's prediction attributes"):
        open_prediction_store(path)  # the image itself is not a prediction


def test_a_store_in_a_folder_called_labels_keeps_its_own_name(tmp_path, written):
    copy = tmp_path / "labels" / "img_prediction.zarr"
    shutil.copytree(written, copy)
    assert open_prediction_store(copy).image_name == "img"


def test_predict_large_writes_display_levels_the_store_opens_on(tmp_path, monkeypatch, image):
    import tifffile

    from napari_finetune import cli

    monkeypatch.setattr(band_pyramid, "PYRAMID_TOP", 200)
    tifffile.imwrite(tmp_path / "big.tif", image)
    out = tmp_path / "big_prediction.zarr"
    argv = ["predict-large", str(tmp_path / "big.tif"), "--output", str(out), "--uncertainty"]
    assert cli.main(argv) == 0
    store = open_prediction_store(out)
    assert [type(level) for level in store.labels] == [zarr.Array] * 3  # no strided reads
    assert [level.shape for level in store.labels] == [SHAPE, (250, 150), (125, 75)]
    full = store.labels[0][:]
    np.testing.assert_array_equal(store.labels[2][:], full[::4, ::4])
    assert [level.shape for level in store.uncertainty] == [SHAPE, (250, 150), (125, 75)]


def test_the_layer_a_dock_store_was_of_names_and_places_it(tmp_path, written):
    copy = tmp_path / "SEM_01_prediction.zarr"
    shutil.copytree(written, copy)
    group = zarr.open_group(str(copy), mode="r+")
    where = {"name": "SEM 01", "scale": [0.02, 0.02], "translate": [5, 0], "units": ["µm"] * 2}
    state = group.attrs["napari_finetune"]
    group.attrs["napari_finetune"] = state | {LAYER_KEY: where}
    unsure, labels = prediction_layers(open_prediction_store(copy))
    for kwargs, suffix in ((unsure[1], "uncertainty"), (labels[1], "prediction")):
        assert kwargs["name"] == f"SEM 01 {suffix}"
        assert kwargs["scale"] == [0.02, 0.02] and kwargs["translate"] == [5.0, 0.0]
        assert kwargs["units"] == ["µm", "µm"]
    wrong = {"name": "", "scale": ["a", 1], "units": ["µm", "furlongs of gold"]}
    group.attrs["napari_finetune"] = state | {LAYER_KEY: wrong}
    (_, kwargs, _) = prediction_layers(open_prediction_store(copy))[1]
    assert kwargs["name"] == "SEM_01 prediction"
    assert not {"scale", "translate", "units"} & set(kwargs)


def test_colours_the_dock_avoided_are_avoided_again_and_damaged_ones_ignored(tmp_path, written):
    copy = tmp_path / "painted_prediction.zarr"
    shutil.copytree(written, copy)
    group = zarr.open_group(str(copy), mode="r+")
    state = group.attrs["napari_finetune"]

    def colours(layer_record):
        group.attrs["napari_finetune"] = state | {LAYER_KEY: layer_record}
        meta = prediction_layers(open_prediction_store(copy))[1][1]["metadata"]
        return [c["colour"] for c in meta["napari_finetune"]["classes"].values()]

    plain = colours({"name": "painted"})
    blue, vermilion = [0.0, 0.447, 0.698, 1.0], [0.835, 0.369, 0.0, 1.0]
    assert plain == ["#0072b2", "#d55e00"]  # the palette's first two
    avoided = colours({"name": "painted", **avoided_record([blue, vermilion, [0, 0, 0, 0]])})
    expected = prediction_colours({1: "a", 2: "b"}, [blue, vermilion])
    assert avoided == [c.colour for c in expected.values()]
    assert all(colour_difference(c, p) >= 30 for c in avoided for p in (blue, vermilion))
    # Only a 2-class prediction's share of the record counts (classes 1 and 2).
    assert colours({**avoided_record([[0.3] * 3, [0.6] * 3, blue, vermilion])})[0] == plain[0]
    damaged = {"avoid_colours": [["x", 1, 2], [2.0, 0, 0], [0.5], None, blue]}
    assert colours(damaged) == colours(avoided_record([blue]))
    assert colours({"avoid_colours": "blue"}) == plain


def test_other_folders_and_damaged_stores_are_refused_naming_them(tmp_path, written, image):
    plain = tmp_path / "plain.zarr"
    zarr.open_group(str(plain), mode="w").create_array("labels", data=image > 0.5)
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.tif").write_bytes(b"II*\x00")
    for path, said in (
        (plain, "without napari-finetune's prediction attributes"),
        (folder, "is not a prediction store: choose"),
        (folder / "a.tif", "is not a prediction store"),
        (tmp_path / "missing.zarr", "is not a prediction store"),
    ):
        with pytest.raises(ValueError, match=said):
            open_prediction_store(path)
    copy = tmp_path / "copy.zarr"
    shutil.copytree(written, copy)
    shutil.rmtree(copy / "labels")
    with pytest.raises(ValueError, match=r"prediction store .*copy\.zarr is damaged .*labels"):
        open_prediction_store(copy)
    odd = tmp_path / "odd.zarr"
    shutil.copytree(written, odd)
    group = zarr.open_group(str(odd), mode="r+")
    group.attrs["ome"] = "not a dict"  # attributes no napari-finetune store has
    group.attrs["multiscales"] = [{"datasets": "nothing"}]
    with pytest.raises(ValueError, match=r"odd\.zarr is damaged"):
        open_prediction_store(odd)


def test_a_store_says_how_many_views_its_predictions_averaged(tmp_path, model, image):
    from dataclasses import replace

    from napari_finetune.augment import AugmentationPipeline

    directional = AugmentationPipeline.from_preset("directional").to_yaml()  # left-right: 2
    trained = replace(model, augmentation=directional)
    path = tmp_path / "views.zarr"
    predict_lazy(trained, da.from_array(image[:64, :64]), path, average_views=True)
    store = open_prediction_store(path)
    assert store.views == 2 and store.in_words() == "complete, 2 classes, averaged over 2 views"
    (_, kwargs, _), *_ = prediction_layers(store)  # no uncertainty: the labels alone
    assert kwargs["metadata"]["napari_finetune"]["views"] == 2
