import numpy as np
import pytest

from napari_finetune.synth.grain_map import grain_map, random_streams


def test_grain_map_has_every_id_and_a_boundary_mask():
    grains, boundaries = grain_map((64, 80), 7, 2, np.random.default_rng(0))
    assert grains.dtype == np.int32 and boundaries.dtype == np.uint8
    assert np.unique(grains).tolist() == list(range(1, 8))
    assert set(np.unique(boundaries)) == {0, 1}


def test_streams_are_independent_and_reproducible():
    a, b = random_streams(1, ("x", "y")), random_streams(1, ("x", "y"))
    assert a["x"].uniform() == b["x"].uniform()
    assert (
        random_streams(1, ("x", "y"))["x"].uniform()
        != random_streams(1, ("x", "y"))["y"].uniform()
    )


def test_bad_grain_count_is_a_value_error():
    with pytest.raises(ValueError, match="n_grains"):
        grain_map((32, 32), 1000, 2, np.random.default_rng(0))
