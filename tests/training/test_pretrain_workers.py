"""Pretraining fed by worker processes (a GPU outruns one core's rendering)."""

from functools import partial

import numpy as np
import pytest
import torch

from napari_finetune.data.normalize import Normalization
from napari_finetune.training import pretrain as pre
from napari_finetune.training import pretrain_workers as workers


def _stream(seed=5):
    return workers.SeededBatchStream(partial(pre.synthetic_batches, 2, 32, Normalization()), seed)


def _first(batches, n):
    return [next(batches) for _ in range(n)]


def test_without_workers_the_stream_is_the_one_pretraining_always_had():
    threads = torch.get_num_threads()
    ours = _first(workers.loader_batches(_stream(), 0, torch.device("cpu")), 2)
    always = _first(pre.synthetic_batches(2, 32, Normalization(), 5), 2)
    for (x, y), (ax, ay) in zip(ours, always, strict=True):
        assert torch.equal(x, ax) and torch.equal(y, ay)
    assert torch.get_num_threads() == threads  # only worker processes go down to one


@pytest.mark.filterwarnings("ignore")
def test_workers_render_distinct_streams_that_repeat_with_the_seed():
    first = _first(workers.loader_batches(_stream(), 2, torch.device("cpu")), 4)
    again = _first(workers.loader_batches(_stream(), 2, torch.device("cpu")), 4)
    for (x, y), (ax, ay) in zip(first, again, strict=True):
        assert x.shape == (2, 1, 32, 32) and y.shape == (2, 32, 32)
        assert torch.equal(x, ax) and torch.equal(y, ay)
    # The loader alternates workers 0 and 1: each renders samples of its own.
    assert not torch.equal(first[0][0], first[1][0])
    other = _first(workers.loader_batches(_stream(seed=6), 2, torch.device("cpu")), 1)
    assert not torch.equal(first[0][0], other[0][0])


def test_workers_are_none_without_cuda_and_all_cores_but_two_beside_it(monkeypatch):
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 16)
    assert workers.default_data_workers(torch.device("cpu")) == 0
    assert workers.default_data_workers(torch.device("mps")) == 0
    assert workers.default_data_workers(torch.device("cuda")) == 14
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 64)
    assert workers.default_data_workers(torch.device("cuda")) == 16
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    assert workers.default_data_workers(torch.device("cuda")) == 0


@pytest.mark.filterwarnings("ignore")
# Slow: pretraining infrastructure with worker processes, not a run-time path
@pytest.mark.slow
def test_a_pretraining_fed_by_workers_trains():
    events = list(pre.pretrain(minutes=0.05, batch_size=2, patch_size=32, workers=2))
    model = events[-1]
    assert len(events) > 2 and not model.net.training
    assert model.name == "voronoi-unet"  # Voronoi grains alone, as the shipped one
    steps = [e for e in events[:-1] if isinstance(e, pre.PretrainProgress)]
    assert np.isfinite([s.loss for s in steps]).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [({"batch_size": 0}, "batch_size must be 1 or more"), ({"workers": -1}, "workers must be 0")],
)
def test_bad_pretraining_options_are_refused_in_words(options, message):
    with pytest.raises(ValueError, match=message):
        next(pre.pretrain(minutes=0.01, **options))
