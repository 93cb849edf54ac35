"""Folder runs on a cluster whose workers come and go, lack packages or do not share the output."""

import pytest
import tifffile

from dask_cluster import local_cluster_fixture
from napari_finetune.batch import FileDone, FolderFinished, predict_files, predict_folder

distributed = pytest.importorskip("distributed")
cluster_client = local_cluster_fixture()


@pytest.fixture
def one_worker():
    """A cluster of one in-process worker, and its client (made per test: workers are replaced)."""
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield cluster, client


def test_a_replaced_worker_gets_the_model_and_the_run_finishes(
    tmp_path, model, grains_image, one_worker
):
    cluster, client = one_worker
    images = tmp_path / "images"
    images.mkdir()
    for seed in range(10):
        tifffile.imwrite(images / f"{seed:02d}.tif", grains_image(seed, shape=(48, 48)))
    events = predict_files(model, images, tmp_path / "out", client=client)
    next(events)  # FolderStarted
    assert isinstance(next(events), FileDone)
    # The worker that had the model is lost (a walltime, a restart) and a new one joins.
    (old,) = cluster.workers.values()
    cluster.sync(old.close)
    cluster.scale(2)
    client.wait_for_workers(1, timeout=30)
    rest = list(events)
    summary = rest[-1].summary
    assert isinstance(rest[-1], FolderFinished)
    assert summary.count("done") == 10 and summary.ok, summary.table()


def test_a_scheduler_without_workers_is_refused_in_one_line(folder, tmp_path, model, monkeypatch):
    from napari_finetune.batch import worker_checks

    monkeypatch.setattr(worker_checks, "WORKER_TIMEOUT", 0.5)
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty,
        distributed.Client(empty, set_as_default=False) as client,
        pytest.raises(ValueError, match=r"the scheduler at \S+ has no workers yet \(waited"),
    ):
        predict_files(model, folder, tmp_path / "out", client=client)
    assert not (tmp_path / "out").exists()


def test_an_output_folder_the_workers_do_not_share_is_refused(
    folder, tmp_path, model, cluster_client, monkeypatch
):
    # Workers that do not see the marker written here: a node-local folder such as /tmp/out.
    from napari_finetune.batch import worker_checks

    monkeypatch.setattr(worker_checks, "_leave_marker", lambda path: None)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"workers at .* cannot see the output folder .*out"):
        predict_files(model, folder, out, client=cluster_client)
    assert not out.exists()  # made for the check, and removed again
    # A shared folder: the marker is gone afterwards and the run is done.
    monkeypatch.undo()
    shared = tmp_path / "shared"
    assert predict_folder(model, folder, shared, client=cluster_client).ok
    assert sorted(p.name for p in shared.iterdir()) == [f"{name}_prediction.tif" for name in "abc"]


def test_a_package_missing_on_the_workers_is_named(cluster_client):
    from napari_finetune.batch import worker_checks

    with pytest.raises(ValueError, match=r"workers at .* lack no_such_package: install"):
        worker_checks.check_worker_packages(cluster_client, ("torch", "no_such_package"))


def test_onnxruntime_runs_on_the_cpu_of_gpu_workers(folder, tmp_path, model, one_worker):
    # One worker: two worker threads of one process would export to ONNX at once.
    pytest.importorskip("onnxruntime")
    import torch

    from napari_finetune.inference import runtime

    # Workers with a GPU: 'auto' is CUDA there, which ONNX Runtime refuses.
    real = runtime.resolve_device
    gpu = {"auto": torch.device("cuda")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runtime, "resolve_device", lambda device: gpu.get(device) or real(device))
        summary = predict_folder(
            model, folder, tmp_path / "out", backend="onnxruntime", client=one_worker[1]
        )
    assert summary.ok, summary.table()


def test_workers_without_the_backend_are_refused_naming_it(
    folder, tmp_path, model, cluster_client, monkeypatch
):
    pytest.importorskip("onnxruntime")
    import importlib.util

    real = importlib.util.find_spec
    # The workers' environment lacks onnxruntime (this process has it).
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else real(name, *a),
    )
    with pytest.raises(ValueError, match=r"workers at .* lack onnxruntime: install it"):
        predict_files(
            model, folder, tmp_path / "out", backend="onnxruntime", client=cluster_client
        )
    assert not (tmp_path / "out").exists()
