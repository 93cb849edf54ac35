"""Prediction of images larger than memory: band by band, from lazy arrays into Zarr stores."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.data.sampled_normalize import sample_stride, sampled_normalization
from napari_finetune.inference.lazy import BandDone, predict_bands, predict_lazy
from napari_finetune.inference.lazy_events import PredictionWritten

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")
tifffile = pytest.importorskip("tifffile")

SHAPE = (1100, 1300)


@pytest.fixture(scope="module")
def image():
    return nf.voronoi_grains(SHAPE, 80, seed=1).image


@pytest.fixture(scope="module")
def expected(model, image):
    return nf.predict(model, image)


def _zarr_array(path, image, chunks=(256, 256)):
    array = zarr.open_array(
        str(path), mode="w", shape=image.shape, dtype=image.dtype, chunks=chunks
    )
    array[:] = image
    return array


def _memmap(path, image):
    tifffile.imwrite(path, image)
    return tifffile.memmap(path, mode="r")


@pytest.mark.parametrize("kind", ["zarr", "dask", "memmap"])
def test_equals_predict_in_memory(kind, tmp_path, model, image, expected):
    source = {
        "zarr": lambda: _zarr_array(tmp_path / "in.zarr", image),
        "dask": lambda: da.from_array(image, chunks=(300, 400)),
        "memmap": lambda: _memmap(tmp_path / "in.tif", image),
    }[kind]()
    written = predict_lazy(model, source, tmp_path / "out.zarr", probabilities=True)
    store = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    np.testing.assert_allclose(store["probabilities"][:], expected, atol=1e-5)
    labels = store["labels"]
    assert labels.dtype == np.uint8 and labels.shape == SHAPE and labels.chunks == (512, 512)
    np.testing.assert_array_equal(labels[:], nf.inference.labels_from_probabilities(expected))
    assert store["probabilities"].dtype == np.float32
    assert store["probabilities"].shape == (2, *SHAPE)
    state = store.attrs["napari_finetune"]
    assert state["complete"] and state["rows_done"] == SHAPE[0]
    assert state["normalization"]["stride"] == 1  # sampled whole: exact
    assert written.rows == SHAPE[0] and written.megapixels_per_second > 0


def test_labels_only_by_default_with_chosen_chunks(tmp_path, model, image):
    predict_lazy(model, da.from_array(image[:300, :400]), tmp_path / "o.zarr", chunk=128)
    store = zarr.open_group(str(tmp_path / "o.zarr"), mode="r")
    assert "probabilities" not in store and store["labels"].chunks == (128, 128)


def test_sampled_normalization_is_close_to_exact(tmp_path, model, image):
    exact = sampled_normalization(model.normalization, image)
    assert exact.stride == 1
    np.testing.assert_allclose(
        exact(image[..., None]), model.normalization(image[..., None]), atol=1e-6
    )
    # Continuous intensities (the synthetic image has 0.02 grey steps) and a
    # sample of 1.4 % of the pixels (a 9 px grid).
    noisy = image + np.random.default_rng(0).normal(0, 0.02, SHAPE).astype(np.float32)
    exact = sampled_normalization(model.normalization, noisy)
    sampled = sampled_normalization(model.normalization, noisy, max_pixels=20_000)
    assert sampled.stride == sample_stride(*SHAPE, 20_000) == 9
    span = exact.high[0] - exact.low[0]
    assert abs(sampled.low[0] - exact.low[0]) < 0.002 * span  # measured 0.0001
    assert abs(sampled.high[0] - exact.high[0]) < 0.02 * span  # measured 0.008
    part = noisy[:600, :700]  # the same 9 px grid: 4,700 pixels
    predict_lazy(model, part, tmp_path / "o.zarr", probabilities=True, sample_pixels=4_700)
    probabilities = zarr.open_group(str(tmp_path / "o.zarr"))["probabilities"][:]
    expected = nf.predict(model, part)
    assert np.abs(probabilities - expected).mean() < 1e-3  # measured 1.4e-4
    same = np.argmax(probabilities, 0) == np.argmax(expected, 0)
    assert same.mean() > 0.999  # measured 0.99993


def test_sample_stride_keeps_within_budget():
    for rows, cols, budget in [(32768, 32768, 2048**2), (1100, 1300, 1000), (17, 5000, 7)]:
        s = sample_stride(rows, cols, budget)
        assert -(-rows // s) * -(-cols // s) <= budget


def test_stopped_run_leaves_finished_bands(tmp_path, model, image, expected):
    events = predict_bands(model, da.from_array(image), tmp_path / "o.zarr")
    first = next(events)
    events.close()
    assert isinstance(first, BandDone) and first.rows_done == 448 and first.rows == SHAPE[0]
    store = zarr.open_group(str(tmp_path / "o.zarr"), mode="r")
    state = store.attrs["napari_finetune"]
    assert state["complete"] is False and state["rows_done"] == 448
    labels = store["labels"][:]
    done = nf.inference.labels_from_probabilities(expected[:, :448])
    np.testing.assert_array_equal(labels[:448], done)
    assert (labels[448:] == 0).all()  # 0: not predicted


def test_events_then_result(tmp_path, model, image):
    events = list(predict_bands(model, da.from_array(image[:600, :700]), tmp_path / "o.zarr"))
    assert [type(e) for e in events] == [BandDone, BandDone, PredictionWritten]
    assert events[-2].rows_done == 600 and events[-2].time_left == 0


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_ome_zarr_labels_beside_the_image(version, tmp_path, model, image):
    store = tmp_path / "image.ome.zarr"
    data = image[:400, :520]
    root = zarr.open_group(str(store), mode="w", zarr_format=2 if version == "0.4" else 3)
    axes = [
        {"name": "c", "type": "channel"},
        {"name": "y", "type": "space"},
        {"name": "x", "type": "space"},
    ]
    datasets = []
    for level in range(2):
        f = 2**level
        root.create_array(str(level), data=data[None, ::f, ::f], chunks=(1, 128, 128))
        datasets.append(
            {
                "path": str(level),
                "coordinateTransformations": [{"type": "scale", "scale": [1, f, f]}],
            }
        )
    multiscale = {"axes": axes, "datasets": datasets}
    if version == "0.5":
        root.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}
    else:
        root.attrs["multiscales"] = [{"version": "0.4", **multiscale}]

    written = predict_lazy(model, store)
    expected = nf.inference.labels_from_probabilities(nf.predict(model, data))
    label = zarr.open_group(str(store / "labels" / "prediction"), mode="r")
    assert written.output == store / "labels" / "prediction"
    np.testing.assert_array_equal(label["0"][0], expected)
    np.testing.assert_array_equal(label["1"][0], expected[::2, ::2])
    attrs = zarr.open_group(str(store / "labels"), mode="r").attrs.asdict()
    meta = label.attrs.asdict()
    if version == "0.5":
        assert attrs["ome"]["labels"] == ["prediction"]
        meta = meta["ome"]
    else:
        assert attrs["labels"] == ["prediction"]
    assert meta["image-label"]["source"] == {"image": "../../"}
    assert [d["path"] for d in meta["multiscales"][0]["datasets"]] == ["0", "1"]
    assert label["0"].dtype == np.uint8 and label["0"].shape == (1, 400, 520)
    with pytest.raises(ValueError, match="prediction exists"):
        predict_lazy(model, store)
    # Read back as the folder run reads OME-Zarr: the image is unchanged.
    from napari_finetune.batch.ome_zarr import read_ome_zarr

    np.testing.assert_array_equal(read_ome_zarr(store), data)


def test_bad_input(tmp_path, model, image):
    small = da.from_array(image[:200, :200])
    with pytest.raises(ValueError, match=r"shape \(100,\) is not a 2D image"):
        predict_lazy(model, da.zeros(100), tmp_path / "a.zarr")
    with pytest.raises(ValueError, match="is a list, not an array"):
        predict_lazy(model, [[0.0] * 64] * 64, tmp_path / "b.zarr")
    (tmp_path / "exists.zarr").mkdir()
    with pytest.raises(ValueError, match=r"exists.zarr exists: predictions never overwrite"):
        predict_lazy(model, small, tmp_path / "exists.zarr")
    source = _zarr_array(tmp_path / "in.zarr", image[:200, :200])
    with pytest.raises(ValueError, match="is inside the input"):
        predict_lazy(model, source, tmp_path / "in.zarr" / "out")
    with pytest.raises(ValueError, match="output= is needed"):
        predict_lazy(model, small)
    with pytest.raises(ValueError, match=r"missing\.tif does not exist"):
        predict_lazy(model, tmp_path / "missing.tif", tmp_path / "c.zarr")
    with pytest.raises(ValueError, match="neither a TIFF nor a Zarr store"):
        predict_lazy(model, tmp_path / "image.png", tmp_path / "c.zarr")
    # A stack goes plane by plane (test_lazy_stack.py); a 4-D array, not a colour stack: refused.
    with pytest.raises(ValueError, match=r"not a 2D image .* or a stack of either"):
        predict_lazy(model, da.zeros((2, 5, 64, 64)), tmp_path / "d.zarr")
    assert not (tmp_path / "d.zarr").exists()
    with pytest.raises(ValueError, match="output is a int"):
        predict_lazy(model, small, 3)
    nan = image[:200, :200].copy()
    nan[150, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        predict_lazy(model, da.from_array(nan), tmp_path / "e.zarr")
    assert not (tmp_path / "a.zarr").exists() and not (tmp_path / "b.zarr").exists()
    assert not (tmp_path / "e.zarr").exists()  # NaN on the sampling grid: refused before


def test_an_output_that_exists_is_refused_before_the_image_is_sampled(
    tmp_path, model, image, monkeypatch
):
    import napari_finetune.inference.lazy as lazy

    def sampled(*args, **kwargs):
        raise AssertionError("the image was sampled before the output was checked")

    monkeypatch.setattr(lazy, "sampled_normalization", sampled)
    (tmp_path / "exists.zarr").mkdir()
    with pytest.raises(ValueError, match="exists: predictions never overwrite"):
        predict_lazy(model, da.from_array(image[:200, :200]), tmp_path / "exists.zarr")


def test_averaged_views_equal_predict_in_memory(tmp_path, model, image):
    from dataclasses import replace

    from napari_finetune.augment import AugmentationPipeline

    trained = replace(model, augmentation=AugmentationPipeline.from_preset("equiaxed").to_yaml())
    part = image[:600, :700]  # two bands, several tiles each
    predict_lazy(
        trained, da.from_array(part), tmp_path / "o.zarr", probabilities=True, average_views=True
    )
    store = zarr.open_group(str(tmp_path / "o.zarr"), mode="r")
    averaged = nf.predict(trained, part, average_views=True)
    np.testing.assert_allclose(store["probabilities"][:], averaged, atol=1e-5)
    assert np.abs(averaged - nf.predict(trained, part)).max() > 1e-2
    assert store.attrs["napari_finetune"]["views"] == 8


def test_nan_on_the_sampling_grid_is_refused_before_any_band(model):
    image = np.random.default_rng(0).random((600, 400)).astype(np.float32)
    image[300:] = np.nan  # a stitched mosaic's empty background, below the first bands
    with pytest.raises(ValueError, match=r"NaN or infinite values \([\d,]+ of [\d,]+ pixels"):
        sampled_normalization(model.normalization, image, max_pixels=20_000)


def test_messages_give_the_images_shape_not_the_corner_read_to_check_it(tmp_path, model):
    with pytest.raises(ValueError, match=r"image is 12 × 5000 px"):
        predict_lazy(model, da.zeros((12, 5000), np.float32), tmp_path / "a.zarr")
    with pytest.raises(ValueError, match=r"shape \(300, 200, 4\)"):
        predict_lazy(model, da.zeros((300, 200, 4), np.float32), tmp_path / "b.zarr")


def test_a_grey_image_with_a_channel_axis_of_1_is_grey_and_read_band_by_band(
    tmp_path, model, image
):
    # (rows, cols, 1) was refused as "a stack of planes", though predict reads it as grey.
    import dask
    from dask.core import flatten

    part = image[:300, :300]
    computed = []  # pixels of each computation of the Dask image: never all of them at once

    def counted(graph, keys, **kwargs):
        results = dask.get(graph, keys, **kwargs)
        computed.append(sum(np.size(block) for block in flatten(results)))
        return results

    def run(source, name):
        predict_lazy(model, source, tmp_path / name, probabilities=True, tile=128, overlap=32)
        return zarr.open_group(str(tmp_path / name), mode="r")

    grey = run(da.from_array(part, chunks=(64, 300)), "grey.zarr")
    with dask.config.set(scheduler=counted):
        axis = run(da.from_array(part[..., None], chunks=(64, 300, 1)), "axis.zarr")
    assert computed and max(computed) <= 128 * 300  # one band of rows at most
    for name in ("labels", "probabilities"):
        np.testing.assert_array_equal(axis[name][:], grey[name][:])
    assert axis["labels"].shape == part.shape
    # Stored in a Zarr array too (indexing one reads it whole: a Dask view over it instead).
    stored = run(_zarr_array(tmp_path / "in.zarr", part[..., None], (64, 300, 1)), "z.zarr")
    np.testing.assert_array_equal(stored["probabilities"][:], grey["probabilities"][:])
    # Two channels are no grey image: refused as before.
    with pytest.raises(ValueError, match=r"shape \(300, 300, 2\) has 2 channels"):
        predict_lazy(model, da.from_array(np.stack([part, part], -1)), tmp_path / "two.zarr")


def test_a_colour_zarr_array_is_read_band_by_band_not_whole(tmp_path, monkeypatch):
    # Zarr reads what an index selects at once: dropping alpha with [..., :3] on the
    # array itself read the whole mosaic for every band.
    from napari_finetune.models import SegmentationModel

    colour = SegmentationModel.create(in_channels=3, widths=(4, 8))
    rgba = np.random.default_rng(0).integers(0, 255, (300, 200, 4)).astype(np.uint8)
    source = _zarr_array(tmp_path / "rgba.zarr", rgba, (64, 200, 4))
    read = []
    original = type(source).__getitem__

    def counted(self, selection):
        out = original(self, selection)
        read.append(np.size(out))
        return out

    monkeypatch.setattr(type(source), "__getitem__", counted)
    predict_lazy(colour, source, tmp_path / "out.zarr", tile=64, overlap=16)
    monkeypatch.undo()
    assert read and max(read) < rgba.size // 2  # never the whole image at once
    predict_lazy(colour, rgba, tmp_path / "whole.zarr", tile=64, overlap=16)
    whole = zarr.open_group(str(tmp_path / "whole.zarr"), mode="r")
    stored = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    assert stored["labels"].shape == (300, 200)
    np.testing.assert_array_equal(stored["labels"][:], whole["labels"][:])
