"""Folder runs on a Dask cluster: one task per image, the outputs and events of one process."""

import sys

import numpy as np
import pytest
import tifffile
import torch

import napari_finetune as nf
from dask_cluster import assert_same_output, local_cluster_fixture, wait_until_idle
from napari_finetune.batch import (
    FileDone,
    FileFailed,
    FolderFinished,
    FolderStarted,
    predict_files,
    predict_folder,
)

pytest.importorskip("distributed")
cluster_client = local_cluster_fixture()
process_cluster_client = local_cluster_fixture(processes=True)


def _outputs(folder):
    return {p.name: tifffile.imread(p) for p in sorted(folder.iterdir()) if p.suffix == ".tif"}


def _same_files(a, b):
    files_a, files_b = _outputs(a), _outputs(b)
    assert files_a.keys() == files_b.keys() and files_a
    for name, data in files_a.items():
        assert data.dtype == files_b[name].dtype
        assert_same_output(data, files_b[name], name)


def test_outputs_and_summary_equal_the_single_process_run(
    folder, tmp_path, model, grains_image, cluster_client
):
    tifffile.imwrite(folder / "d.tif", grains_image(9, shape=(48, 80)))  # another size
    alone = predict_folder(model, folder, tmp_path / "alone", probabilities=True)
    events = list(
        predict_files(
            model, folder, tmp_path / "cluster", probabilities=True, client=cluster_client
        )
    )
    _same_files(tmp_path / "alone", tmp_path / "cluster")
    assert isinstance(events[0], FolderStarted) and events[0].to_do == 4
    done = [e for e in events if isinstance(e, FileDone)]
    assert sorted(e.index for e in done) == [1, 2, 3, 4] and done[-1].time_left == 0
    assert {e.path.name: e.shape for e in done}["d.tif"] == (48, 80)
    summary = events[-1].summary
    assert isinstance(events[-1], FolderFinished) and summary.ok

    # Rows in the order the images were found, as in one process.
    def rows(summary):
        return [(r.path, r.status, [p.name for p in r.outputs], r.shape) for r in summary.rows]

    assert rows(summary) == rows(alone)
    # A second run on the cluster skips them all.
    again = predict_folder(model, folder, tmp_path / "cluster", client=cluster_client)
    assert [r.status for r in again.rows] == ["skipped"] * 4


def test_a_corrupt_file_fails_its_row_and_the_rest_are_done(
    folder, tmp_path, model, write_corrupt, cluster_client
):
    write_corrupt(folder / "b.tif")
    out = tmp_path / "out"
    events = list(predict_files(model, folder, out, client=cluster_client))
    failed = [e for e in events if isinstance(e, FileFailed)]
    assert [e.path.name for e in failed] == ["b.tif"]
    assert failed[0].message.startswith("b.tif holds no image data")
    assert sorted(p.name for p in out.iterdir()) == ["a_prediction.tif", "c_prediction.tif"]
    summary = events[-1].summary
    assert [r.status for r in summary.rows] == ["done", "failed", "done"]
    assert summary.line().startswith("2 done, 1 failed in")


def test_stop_cancels_the_rest_and_leaves_complete_files(
    tmp_path, model, grains_image, cluster_client
):
    images = tmp_path / "images"
    images.mkdir()
    for seed in range(12):
        tifffile.imwrite(images / f"{seed:02d}.tif", grains_image(seed, shape=(256, 256)))
    out = tmp_path / "out"
    events = predict_files(model, images, out, probabilities=True, client=cluster_client)
    assert isinstance(next(events), FolderStarted)
    assert isinstance(next(events), FileDone)
    events.close()  # Stop
    wait_until_idle(cluster_client)  # tasks that had started finish their image
    written = sorted(out.iterdir())
    assert not [p for p in written if ".partial" in p.name]  # no temporary file left
    done = {p.name.split("_")[0] for p in written}
    assert 1 <= len(done) < 12  # the tasks not started were cancelled
    for name in done:  # whatever was written is complete: both outputs, whole
        expected = nf.predict(model, tifffile.imread(images / f"{name}.tif"))
        assert_same_output(tifffile.imread(out / f"{name}_probabilities.tif"), expected, name)
        labels = tifffile.imread(out / f"{name}_prediction.tif")
        assert np.array_equal(labels, nf.inference.labels_from_probabilities(expected))
    resumed = predict_folder(model, images, out, client=cluster_client, probabilities=True)
    assert resumed.count("skipped") == len(done) and resumed.count("done") == 12 - len(done)


def test_grains_are_measured_on_the_workers_as_in_one_process(
    folder, tmp_path, model, cluster_client
):
    alone = predict_folder(model, folder, tmp_path / "alone", measure=True)
    cluster = tmp_path / "cluster"
    summary = predict_folder(model, folder, cluster, measure=True, client=cluster_client)
    assert summary.measurements == cluster / "measurements.csv"
    for name in ("a_grains.csv", "b_grains_summary.csv", "measurements.csv"):
        assert (cluster / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()
    assert alone.ok and summary.ok


def test_worker_processes_write_the_same_bytes(
    folder, tmp_path, model, process_cluster_client, monkeypatch
):
    # Dask starts worker processes with one torch thread; oneDNN's sums depend
    # on the thread count (4e-7 apart), so the single-process run uses one too.
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        predict_folder(model, folder, tmp_path / "alone", probabilities=True)
    finally:
        torch.set_num_threads(threads)
    monkeypatch.chdir(folder.parent)  # relative paths: workers get absolute ones
    summary = predict_folder(
        model, folder.name, tmp_path / "cluster", probabilities=True, client=process_cluster_client
    )
    assert summary.ok
    _same_files(tmp_path / "alone", tmp_path / "cluster")


def test_refused_clients_before_any_work(folder, tmp_path, model, cluster_client):
    distributed = pytest.importorskip("distributed")
    with pytest.raises(ValueError, match=r"client= is a str: give a distributed\.Client"):
        predict_files(model, folder, tmp_path / "a", client="tcp://localhost:8786")
    closed = distributed.Client(cluster_client.scheduler.address, set_as_default=False)
    closed.close()
    with pytest.raises(ValueError, match="the Dask client is closed: give an open client"):
        predict_files(model, folder, tmp_path / "b", client=closed)
    # Workers that cannot see the images (here: one deleted after planning).
    from napari_finetune.batch import plan_predictions, predict_plan

    plan = plan_predictions(folder, tmp_path / "c")
    (folder / "a.tif").unlink()
    with pytest.raises(ValueError, match=r"workers at .* cannot see .*a\.tif: a cluster needs"):
        predict_plan(model, plan, client=cluster_client)
    assert not any((tmp_path / name).exists() for name in "abc")


def test_without_distributed_the_message_names_the_extra(folder, tmp_path, model, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(ImportError, match=r'pip install "napari-finetune\[cluster\]"'):
        predict_files(model, folder, tmp_path / "out", client=object())
    assert not (tmp_path / "out").exists()


def test_the_cluster_summary_says_how_many_views_each_prediction_averaged(
    folder, tmp_path, model, cluster_client
):
    from dataclasses import replace

    from napari_finetune.augment import AugmentationPipeline

    equiaxed = AugmentationPipeline.from_preset("equiaxed").to_yaml()  # flips and turns: 8
    trained = replace(model, augmentation=equiaxed)
    summary = predict_folder(
        trained, folder, tmp_path / "out", client=cluster_client, average_views=True
    )
    assert summary.ok and summary.views == 8
    assert "each new prediction averaged over 8 flipped and rotated views" in summary.line()
