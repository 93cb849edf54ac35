"""Large images on a Dask cluster: bands as tasks, the same bits as the single-process run."""

import numpy as np
import pytest

import napari_finetune as nf
from dask_cluster import local_cluster_fixture
from napari_finetune.inference.lazy import BandDone, predict_bands, predict_lazy

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")
tifffile = pytest.importorskip("tifffile")
pytest.importorskip("distributed")
cluster_client = local_cluster_fixture()

SHAPE = (1000, 600)  # three bands of rows: 0, 448, 488
ARRAYS = ("labels", "probabilities", "uncertainty")


@pytest.fixture(scope="module")
def image():
    return nf.voronoi_grains(SHAPE, 40, seed=3).image


@pytest.fixture(scope="module")
def alone(model, image, tmp_path_factory):
    """The single-process run's store."""
    path = tmp_path_factory.mktemp("alone") / "out.zarr"
    predict_lazy(model, da.from_array(image), path, probabilities=True, uncertainty=True)
    return zarr.open_group(str(path), mode="r")


def _ome_zarr(path, data):
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    root.create_array("0", data=data[None], chunks=(1, 256, 256))
    axes = [{"name": n, "type": t} for n, t in (("c", "channel"), ("y", "space"), ("x", "space"))]
    scale = [{"type": "scale", "scale": [1, 1, 1]}]
    datasets = [{"path": "0", "coordinateTransformations": scale}]
    root.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets}]}
    return path


def _zarr_array(path, data):
    array = zarr.open_array(str(path), mode="w", shape=data.shape, dtype=data.dtype, chunks=256)
    array[:] = data
    return array


@pytest.mark.parametrize("kind", ["tiff path", "zarr array", "dask"])
def test_a_stacks_planes_on_the_cluster_equal_the_single_process_run(
    kind, tmp_path, model, image, cluster_client
):
    # Each plane's bands are tasks, as one image's are (a stack was refused on a cluster).
    stack = np.stack([image[:500], image[500:]])
    alone = tmp_path / "alone.zarr"
    predict_lazy(model, da.from_array(stack), alone, probabilities=True, uncertainty=True)
    tifffile.imwrite(tmp_path / "in.tif", stack, photometric="minisblack")
    source = {
        "tiff path": lambda: tmp_path / "in.tif",  # memory-mapped again on the workers
        "zarr array": lambda: _zarr_array(tmp_path / "in.zarr", stack),  # opened there by path
        "dask": lambda: da.from_array(stack, chunks=(1, 250, 300)),  # computed on the cluster
    }[kind]()
    events = list(
        predict_bands(
            model,
            source,
            tmp_path / "out.zarr",
            probabilities=True,
            uncertainty=True,
            client=cluster_client,
        )
    )
    assert [e.planes_done for e in events[:-1]] == [1, 2] and events[-1].planes == 2
    store = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    expected = zarr.open_group(str(alone), mode="r")
    for name in ARRAYS:
        assert np.array_equal(store[name][:], expected[name][:]), name


@pytest.mark.parametrize("kind", ["zarr path", "ome-zarr path", "zarr array", "dask", "memmap"])
def test_equals_the_single_process_run(kind, tmp_path, model, image, alone, cluster_client):
    if kind == "memmap":
        tifffile.imwrite(tmp_path / "in.tif", image)
    source = {
        "zarr path": lambda: _zarr_array(tmp_path / "in.zarr", image) and tmp_path / "in.zarr",
        "ome-zarr path": lambda: _ome_zarr(tmp_path / "in.ome.zarr", image),
        "zarr array": lambda: _zarr_array(tmp_path / "in.zarr", image),
        "dask": lambda: da.from_array(image, chunks=(300, 200)),
        "memmap": lambda: tifffile.memmap(tmp_path / "in.tif", mode="r"),
    }[kind]()
    output = None if kind == "ome-zarr path" else tmp_path / "out.zarr"
    events = list(
        predict_bands(
            model, source, output, probabilities=True, uncertainty=True, client=cluster_client
        )
    )
    assert [e.rows_done for e in events[:-1]] == [448, 488, 1000]
    store = zarr.open_group(str(events[-1].output), mode="r")
    if kind == "ome-zarr path":  # beside the image: labels/prediction/{0, probabilities, ...}
        assert events[-1].output == tmp_path / "in.ome.zarr" / "labels" / "prediction"
        np.testing.assert_array_equal(store["0"][0], alone["labels"][:])
    for name in ARRAYS if kind != "ome-zarr path" else ARRAYS[1:]:
        assert np.array_equal(store[name][:], alone[name][:], equal_nan=False), name
    assert store.attrs["napari_finetune"]["complete"]


def test_stop_on_the_cluster_leaves_the_finished_bands(
    tmp_path, model, image, alone, cluster_client
):
    events = predict_bands(
        model, da.from_array(image), tmp_path / "o.zarr", uncertainty=True, client=cluster_client
    )
    first = next(events)
    events.close()
    assert isinstance(first, BandDone) and first.rows_done == 448
    store = zarr.open_group(str(tmp_path / "o.zarr"), mode="r")
    state = store.attrs["napari_finetune"]
    assert state["complete"] is False and state["rows_done"] == 448
    np.testing.assert_array_equal(store["labels"][:448], alone["labels"][:448])
    assert (store["labels"][448:] == 0).all() and np.isnan(store["uncertainty"][448:]).all()


def test_inputs_workers_cannot_read_and_closed_clients_are_refused_first(
    tmp_path, model, image, cluster_client
):
    distributed = pytest.importorskip("distributed")
    in_memory = zarr.create_array(zarr.storage.MemoryStore(), data=image)
    with pytest.raises(ValueError, match="is a Array, which Dask workers cannot read"):
        predict_lazy(model, in_memory, tmp_path / "a.zarr", client=cluster_client)
    closed = distributed.Client(cluster_client.scheduler.address, set_as_default=False)
    closed.close()
    with pytest.raises(ValueError, match="the Dask client is closed"):
        predict_lazy(model, da.from_array(image), tmp_path / "b.zarr", client=closed)
    assert not (tmp_path / "a.zarr").exists() and not (tmp_path / "b.zarr").exists()


def test_an_input_the_workers_cannot_see_is_refused_before_any_work(tmp_path, cluster_client):
    from napari_finetune.batch.cluster import check_workers_see

    with pytest.raises(ValueError, match=r"cannot see .*nowhere.zarr: a cluster needs the input"):
        check_workers_see(cluster_client, tmp_path / "nowhere.zarr", "the input image")
    check_workers_see(cluster_client, tmp_path, "the input image")  # seen: no error


def test_workers_average_the_views_as_the_single_process_run(
    tmp_path, model, image, cluster_client
):
    from dataclasses import replace

    from napari_finetune.augment import AugmentationPipeline

    # mirrored left-right only: a directional model's 2 views
    pipeline = AugmentationPipeline.from_preset("directional").to_yaml()
    trained = replace(model, augmentation=pipeline)
    part = da.from_array(image[:600])
    for client, name in ((None, "alone.zarr"), (cluster_client, "cluster.zarr")):
        predict_lazy(
            trained, part, tmp_path / name, probabilities=True, client=client, average_views=True
        )
    alone, cluster = (
        zarr.open_group(str(tmp_path / n), mode="r") for n in ("alone.zarr", "cluster.zarr")
    )
    np.testing.assert_array_equal(cluster["probabilities"][:], alone["probabilities"][:])
    assert cluster.attrs["napari_finetune"]["views"] == 2
    one_view = nf.predict(trained, image[:600])
    assert np.abs(alone["probabilities"][:] - one_view).max() > 1e-2
