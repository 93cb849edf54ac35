from types import SimpleNamespace

import pytest

import napari_finetune as nf
from napari_finetune.synth import generation_cost
from napari_finetune.synth.generation_cost import (
    check_fits_in_memory,
    estimated_bytes,
    estimated_seconds,
)
from napari_finetune.synth.parameters import GrainParameters


def test_a_size_beyond_the_free_memory_is_refused_in_a_sentence():
    params = GrainParameters(shape=(16384, 16384))
    with pytest.raises(ValueError, match=r"shape=\(16384, 16384\).*16\.0 GiB.*2\.0 GiB"):
        check_fits_in_memory(params, available=2 * 2**30)
    check_fits_in_memory(GrainParameters(shape=(512, 512)), available=2 * 2**30)


def test_voronoi_grains_refuses_before_allocating(monkeypatch):
    # Before, 16384² was "promised to fit" and the OOM killer took napari down.
    free = SimpleNamespace(available=estimated_bytes(GrainParameters(shape=(256, 256))) - 1)
    monkeypatch.setattr(generation_cost.psutil, "virtual_memory", lambda: free)
    with pytest.raises(ValueError, match="memory"):
        nf.voronoi_grains(shape=(256, 256))
    nf.voronoi_grains(shape=(128, 128), n_grains=10)


def test_estimated_time_grows_with_grains_and_their_size_spread():
    small = GrainParameters(shape=(1024, 1024), n_grains=60)
    many = GrainParameters(shape=(1024, 1024), n_grains=8000, size_spread=0.0)
    spread = GrainParameters(shape=(1024, 1024), n_grains=8000, size_spread=1.0)
    assert estimated_seconds(small) < estimated_seconds(many) < estimated_seconds(spread)
    # measured 1.15 s after the thinning fix: far beyond what a GUI thread may take
    assert estimated_seconds(spread) > 1.0
