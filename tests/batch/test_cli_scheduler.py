"""``napari-finetune predict --scheduler``: a folder run on a Dask cluster, from the shell."""

import socket
import sys
import time

import pytest
import tifffile

from dask_cluster import assert_same_output, local_cluster_fixture
from napari_finetune import cli

pytest.importorskip("distributed")
cluster_client = local_cluster_fixture()


def _port_nobody_listens_on():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_run_on_the_cluster_writes_what_one_process_writes(
    folder, tmp_path, cluster_client, capsys
):
    address = cluster_client.scheduler.address
    argv = ["predict", str(folder), "--probabilities", "--output"]
    assert cli.main([*argv, str(tmp_path / "cluster"), "--scheduler", address]) == 0
    said = capsys.readouterr().out
    assert "predicting 3 of 3 images" in said and "3 done in" in said
    assert cli.main([*argv, str(tmp_path / "alone")]) == 0
    for name in ("a_prediction.tif", "b_probabilities.tif", "c_prediction.tif"):
        cluster, alone = (tifffile.imread(tmp_path / o / name) for o in ("cluster", "alone"))
        assert_same_output(cluster, alone, name)
    assert cluster_client.status == "running"  # the run closed its own connection only


def test_a_scheduler_that_does_not_answer_is_said_in_seconds(
    folder, tmp_path, capsys, monkeypatch
):
    from napari_finetune.batch import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)  # the shipped 5 s, shortened
    address = f"tcp://127.0.0.1:{_port_nobody_listens_on()}"
    began = time.monotonic()
    status = cli.main(
        ["predict", str(folder), "--output", str(tmp_path / "out"), "--scheduler", address]
    )
    assert time.monotonic() - began < 6
    assert status == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith(f"napari-finetune: no Dask scheduler answers at {address} within 1 s")
    assert len(said.splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing written


def test_without_distributed_the_message_names_the_extra(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    argv = ["predict", str(folder), "--output", str(tmp_path / "out")]
    assert cli.main([*argv, "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    said = capsys.readouterr().err
    assert "needs the 'distributed' package: pip install \"napari-finetune[cluster]\"" in said
    assert not (tmp_path / "out").exists()


def test_a_worker_address_is_not_taken_for_the_scheduler(folder, tmp_path, cluster_client, capsys):
    worker = next(iter(cluster_client.nthreads()))
    argv = ["predict", str(folder), "--output", str(tmp_path / "out"), "--scheduler", worker]
    assert cli.main(argv) == 2
    assert f"{worker} is a Dask Worker, not the scheduler" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
