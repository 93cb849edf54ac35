"""Large images on a cluster whose worker is replaced mid-run, or that has no workers yet."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.lazy import BandDone, predict_bands, predict_lazy

zarr = pytest.importorskip("zarr")
distributed = pytest.importorskip("distributed")


def _one_worker_cluster():
    return distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    )


def test_a_replaced_worker_gets_the_model_and_the_bands_sent_again(tmp_path, model):
    image = nf.voronoi_grains((1000, 300), 20, seed=4).image  # three bands
    alone = tmp_path / "alone.zarr"
    predict_lazy(model, image, alone)
    with (
        _one_worker_cluster() as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        events = predict_bands(model, image, tmp_path / "cluster.zarr", client=client)
        assert isinstance(next(events), BandDone)
        # The worker holding the model and the bands sent to it is lost; another joins.
        (old,) = cluster.workers.values()
        cluster.sync(old.close)
        cluster.scale(2)
        client.wait_for_workers(1, timeout=30)
        assert [e.rows_done for e in events if isinstance(e, BandDone)][-1] == 1000
    done = zarr.open_group(str(tmp_path / "cluster.zarr"), mode="r")
    np.testing.assert_array_equal(done["labels"][:], zarr.open_group(str(alone))["labels"][:])


def test_a_scheduler_without_workers_is_refused_in_one_line(tmp_path, model, monkeypatch):
    from napari_finetune.batch import worker_checks

    monkeypatch.setattr(worker_checks, "WORKER_TIMEOUT", 0.5)
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty,
        distributed.Client(empty, set_as_default=False) as client,
        pytest.raises(ValueError, match=r"the scheduler at \S+ has no workers yet \(waited"),
    ):
        predict_lazy(model, np.zeros((300, 300), np.float32), tmp_path / "o.zarr", client=client)
    assert not (tmp_path / "o.zarr").exists()
