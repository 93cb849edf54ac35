"""A stack larger than memory: plane after plane, each band by band, into a Zarr store."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.lazy import predict_bands, predict_lazy
from napari_finetune.inference.lazy_events import PlaneDone, PlaneRowsDone, PredictionWritten
from napari_finetune.inference.lazy_stack import plane_index
from napari_finetune.session.prediction_store import open_prediction_store, prediction_layers

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")
tifffile = pytest.importorskip("tifffile")

PLANE = (300, 340)


@pytest.fixture(scope="module")
def stack():
    # Planes of different brightness: each must be normalised by its own percentiles.
    planes = [nf.voronoi_grains(PLANE, 20, seed=s).image for s in range(3)]
    return np.stack([p * (0.5 + 0.25 * i) for i, p in enumerate(planes)]).astype(np.float32)


@pytest.fixture(scope="module")
def expected(model, stack):
    return [nf.predict(model, plane) for plane in stack]


def test_each_plane_equals_predict_of_that_plane(tmp_path, model, stack, expected):
    events = list(
        predict_bands(
            model,
            da.from_array(stack, chunks=(1, 150, 170)),
            tmp_path / "out.zarr",
            probabilities=True,
            uncertainty=True,
        )
    )
    assert [type(e) for e in events] == [PlaneDone] * 3 + [PredictionWritten]
    assert [e.planes_done for e in events[:3]] == [1, 2, 3]
    assert events[2].time_left == 0 and events[-1].planes == 3
    assert (events[-1].rows, events[-1].cols) == PLANE
    store = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    assert store["labels"].shape == (3, *PLANE) and store["labels"].chunks[0] == 1
    assert store["probabilities"].shape == (2, 3, *PLANE)
    for z, probabilities in enumerate(expected):
        np.testing.assert_allclose(store["probabilities"][:, z], probabilities, atol=1e-5)
        np.testing.assert_array_equal(
            store["labels"][z], nf.inference.labels_from_probabilities(probabilities)
        )
        unsure = nf.uncertainty(model, stack[z], method="entropy")
        np.testing.assert_allclose(store["uncertainty"][z], unsure, atol=1e-5)
    state = store.attrs["napari_finetune"]
    assert state["complete"] and state["planes"] == state["planes_done"] == 3
    assert state["normalization"]["percentiles_of"] == "each plane"
    assert open_prediction_store(tmp_path / "out.zarr").in_words() == "complete, 2 classes"


def test_planes_are_read_one_after_another(tmp_path, model, stack):
    read = []

    def plane(block, block_info=None):
        read.append(block_info[0]["chunk-location"][0])
        return block

    lazy = da.from_array(stack, chunks=(1, *PLANE)).map_blocks(plane, dtype=stack.dtype)
    events = predict_bands(model, lazy, tmp_path / "out.zarr")
    next(events)
    assert set(read) == {0}  # the first plane is done, nothing of the others read
    next(events)
    assert set(read) == {0, 1}
    events.close()


def test_a_stopped_stack_says_which_planes_are_final(tmp_path, model, stack, expected):
    events = predict_bands(model, da.from_array(stack), tmp_path / "out.zarr")
    assert next(events).planes_done == 1
    events.close()
    store = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    state = store.attrs["napari_finetune"]
    assert not state["complete"] and state["planes_done"] == 1
    labels = nf.inference.labels_from_probabilities(expected[0])
    np.testing.assert_array_equal(store["labels"][0], labels)
    assert not store["labels"][1:].any()  # 0: not predicted yet
    reopened = open_prediction_store(tmp_path / "out.zarr")
    assert reopened.in_words() == "stopped after 1 of 3 planes: the rest is not predicted"


def test_a_plane_of_several_bands_says_how_far_it_is_and_stops_there(tmp_path, model, stack):
    # Tiles of 128 rows: each 300-row plane is three bands, ending at rows 96, 172, 300.
    options = {"tile": 128, "overlap": 32}
    events = list(predict_bands(model, da.from_array(stack), tmp_path / "all.zarr", **options))
    kinds = [PlaneRowsDone, PlaneRowsDone, PlaneDone] * 3 + [PredictionWritten]
    assert [type(e) for e in events] == kinds
    within = [e for e in events if isinstance(e, PlaneRowsDone)]
    assert [(e.plane, e.rows_done) for e in within[:3]] == [(0, 96), (0, 172), (1, 96)]
    assert all(e.planes == 3 and e.rows == PLANE[0] and e.time_left > 0 for e in within)
    whole = zarr.open_group(str(tmp_path / "all.zarr"), mode="r")["labels"]
    # Stopped inside the second plane: the first is final, the second's first band too.
    events = predict_bands(model, da.from_array(stack), tmp_path / "cut.zarr", **options)
    for event in events:
        if isinstance(event, PlaneRowsDone) and event.plane == 1:
            break
    events.close()
    store = zarr.open_group(str(tmp_path / "cut.zarr"), mode="r")
    state = store.attrs["napari_finetune"]
    assert not state["complete"] and state["planes_done"] == 1 and state["rows_done"] == 96
    np.testing.assert_array_equal(store["labels"][0], whole[0])
    np.testing.assert_array_equal(store["labels"][1, :96], whole[1, :96])
    assert not store["labels"][1, 96:].any() and not store["labels"][2].any()
    said = open_prediction_store(tmp_path / "cut.zarr").in_words()
    assert (
        said
        == "stopped after 1 of 3 planes and 96 of 300 rows of plane 2: the rest is not predicted"
    )
    # A plane done leaves no rows under way: said as whole planes.
    assert (
        zarr.open_group(str(tmp_path / "all.zarr"), mode="r").attrs["napari_finetune"]["rows_done"]
        == 0
    )


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_a_tiff_stack_by_its_path(tmp_path, model, stack, expected, compression):
    # Uncompressed: memory-mapped; compressed: read tile by tile through tifffile's Zarr view.
    path = tmp_path / "stack.tif"
    tifffile.imwrite(
        path, stack, photometric="minisblack", compression=compression, tile=(128, 128)
    )
    written = predict_lazy(model, path, tmp_path / "out.zarr")
    assert written.planes == 3 and written.output == tmp_path / "out.zarr"
    labels = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")["labels"]
    for z in range(3):
        expect = nf.inference.labels_from_probabilities(expected[z])
        np.testing.assert_array_equal(labels[z], expect)


@pytest.mark.parametrize(("version", "names"), [("0.4", "czyx"), ("0.5", "tczyx")])
def test_ome_zarr_z_stack_gets_its_labels_beside_it(
    tmp_path, model, stack, expected, version, names
):
    store = tmp_path / "stack.ome.zarr"
    root = zarr.open_group(str(store), mode="w", zarr_format=2 if version == "0.4" else 3)
    kinds = {"t": "time", "c": "channel"}
    axes = [{"name": n, "type": kinds.get(n, "space"), "unit": "micrometer"} for n in names]
    for axis in axes[:-3]:
        del axis["unit"]
    lead = (None,) * (len(names) - 3)
    datasets = []
    for level in range(2):
        f = 2**level
        data = stack[(*lead, slice(None), slice(None, None, f), slice(None, None, f))]
        root.create_array(str(level), data=data, chunks=(*(1,) * len(lead), 1, 128, 128))
        scale = [{"type": "scale", "scale": [*(1,) * len(lead), 0.5, 0.01 * f, 0.01 * f]}]
        datasets.append({"path": str(level), "coordinateTransformations": scale})
    multiscale = {"axes": axes, "datasets": datasets}
    if version == "0.5":
        root.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}
    else:
        root.attrs["multiscales"] = [{"version": "0.4", **multiscale}]

    written = predict_lazy(model, store)
    label = zarr.open_group(str(store / "labels" / "prediction"), mode="r")
    assert written.output == store / "labels" / "prediction" and written.planes == 3
    assert label["0"].shape == (*(1,) * len(lead), 3, *PLANE)
    for z in range(3):
        expect = nf.inference.labels_from_probabilities(expected[z])
        np.testing.assert_array_equal(label["0"][(*(0,) * len(lead), z)], expect)
        np.testing.assert_array_equal(label["1"][(*(0,) * len(lead), z)], expect[::2, ::2])
    reopened = open_prediction_store(store / "labels" / "prediction")
    assert reopened.complete and reopened.labels[0].shape == label["0"].shape
    # Reopened on the image's planes: the z spacing is kept, not only the pixel size.
    assert reopened.placement["scale"] == [0.5, 0.01, 0.01]
    assert reopened.placement["units"] == ["micrometer"] * 3
    (data, meta, _) = prediction_layers(reopened)[-1]
    assert meta["scale"] == [*(1.0,) * len(lead), 0.5, 0.01, 0.01]
    image = zarr.open_array(str(store / "0"), mode="r")[:]
    np.testing.assert_array_equal(image[(*(0,) * len(lead),)], stack)  # only read


def test_a_stack_of_one_plane_is_predicted_into_its_one_plane(tmp_path, model, stack, expected):
    written = predict_lazy(model, da.from_array(stack[:1]), tmp_path / "one.zarr")
    assert written.planes == 1
    labels = zarr.open_group(str(tmp_path / "one.zarr"), mode="r")["labels"]
    assert labels.shape == (1, *PLANE)
    expect = nf.inference.labels_from_probabilities(expected[0])
    np.testing.assert_array_equal(labels[0], expect)


def test_plane_index_finds_the_z_axis():
    assert plane_index((40, 64, 64), 40, 7) == (7,)
    assert plane_index((1, 40, 64, 64), 40, 7) == (0, 7)
    assert plane_index((1, 1, 40, 64, 64), 40, 3) == (0, 0, 3)
    with pytest.raises(ValueError, match="no one axis of 40 planes"):
        plane_index((1, 64, 64), 40, 0)


def test_bad_stacks_are_refused_before_any_work(tmp_path, model, stack):
    with pytest.raises(ValueError, match=r"each plane of the stack is 3 × 340 px"):
        predict_lazy(model, da.from_array(stack[:, :3]), tmp_path / "a.zarr")
    rgb = np.repeat(stack[..., None], 3, axis=-1)  # a grey model and a colour stack
    with pytest.raises(ValueError, match=r"\(3, 300, 340, 3\)"):
        predict_lazy(model, da.from_array(rgb), tmp_path / "b.zarr")
    assert not any(tmp_path.iterdir())
