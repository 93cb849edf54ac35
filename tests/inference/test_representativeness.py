import importlib
import tracemalloc

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.representativeness import (
    deep_features,
    representativeness,
    window_density,
)


@pytest.fixture(scope="module")
def grains():
    return nf.voronoi_grains((320, 384), 40, seed=5).image


def test_a_rare_structure_is_less_typical_than_the_same_place_without_it(model, grains):
    before = representativeness(model, grains, size=64)
    image = grains.copy()
    image[200:264, 64:128] = image.max()  # one saturated blob, unlike anything else
    after = representativeness(model, image, size=64)
    assert after.shape == image.shape and after.dtype == np.float32
    assert after.min() > 0 and after.max() <= 1
    blob = np.s_[220:244, 84:108]
    assert after[blob].mean() < 0.7 * before[blob].mean()
    assert after[blob].mean() < np.median(after)


def test_it_is_seeded_works_on_odd_sizes_and_stacks(model, grains):
    odd = grains[:117, :203]
    first = representativeness(model, odd, size=48, seed=2)
    assert first.shape == odd.shape
    np.testing.assert_array_equal(first, representativeness(model, odd, size=48, seed=2))
    stack = np.stack([grains[:128, :160], grains[128:256, :160]])
    maps = representativeness(model, stack, size=32)
    assert maps.shape == stack.shape
    np.testing.assert_allclose(maps[1], representativeness(model, stack[1], size=32))
    with pytest.raises(ValueError, match="size=0"):
        representativeness(model, grains, size=0)


def test_window_density_is_highest_in_the_crowd():
    rng = np.random.default_rng(0)
    crowd = rng.normal(0, 1, (500, 8))
    loner = np.full((1, 8), 6.0)
    density = window_density(np.concatenate([crowd, loner]))
    assert density[-1] < 0.05 * np.median(density[:-1])


def test_suggestions_prefer_typical_uncertain_regions_and_check_the_map():
    unc = np.full((200, 300), 0.1)
    unc[10:50, 10:50] = 1.0  # the most uncertain, but an oddity
    unc[120:160, 200:240] = 0.7  # uncertain and typical
    typical = np.ones_like(unc)
    typical[0:70, 0:70] = 0.2
    plain = nf.suggest_regions(unc, None, n=1, size=40)
    weighted = nf.suggest_regions(unc, None, 1, 40, typical)
    assert plain == [(10, 10, 50, 50)]
    assert weighted == [(120, 200, 160, 240)]
    assert nf.suggest_regions(unc, None, 1, 40, typical, representativeness_weight=0) == plain
    with pytest.raises(ValueError, match="representativeness of shape"):
        nf.suggest_regions(unc, None, 1, 40, typical[:10])


def test_tiled_features_match_one_pass_away_from_the_image_edge(model):
    image = nf.voronoi_grains((600, 1100), 120, seed=8).image
    plane = model.normalization(image[..., None])
    tiled = deep_features(model, plane, tile=256)
    whole = deep_features(model, plane, tile=2048)
    assert tiled.shape == whole.shape == (38, 69, tiled.shape[-1])
    scale = np.abs(whole).mean()
    assert np.abs(tiled - whole).mean() < 0.05 * scale


def _one_matrix_density(features, seed):
    """The density as first written: one (vectors x references) matrix and its median."""
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    flat = (flat - flat.mean(0)) / (flat.std(0) + 1e-6)
    rng = np.random.default_rng(seed)
    reference = flat[rng.choice(len(flat), min(1024, len(flat)), replace=False)]
    ref_sq = (reference**2).sum(1)
    squared = np.concatenate(
        [
            np.maximum((block**2).sum(1)[:, None] + ref_sq[None] - 2 * block @ reference.T, 0)
            for block in np.array_split(flat, max(1, len(flat) // 4096))
        ]
    )
    scale = max(float(np.median(squared)), 1e-12)
    return np.exp(-squared / scale).mean(1).reshape(features.shape[:-1])


@pytest.mark.parametrize("shape", [(30, 41, 16), (100, 100, 12), (7, 5)])
def test_window_density_gives_the_numbers_one_matrix_gave(shape):
    # Benchmarks were measured with the one-matrix density: up to MEDIAN_VALUES
    # distances (a 2048^2 image) the block-wise density must give the same bits.
    features = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    np.testing.assert_array_equal(window_density(features, 4), _one_matrix_density(features, 4))


def test_window_density_memory_does_not_grow_with_the_image(monkeypatch):
    # The (windows x 1024) float64 matrix and its copies: 6.4 GB for an 8192^2 plane.
    module = importlib.import_module("napari_finetune.inference.representativeness")
    monkeypatch.setattr(module, "MEDIAN_VALUES", 2**20)
    rng = np.random.default_rng(2)
    features = rng.normal(size=(283, 283, 8)).astype(np.float32)
    features[:140] += 1.5  # two kinds of windows: the width matters
    tracemalloc.start()
    try:
        density = window_density(features)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    block = 8192 * 1024 * 8  # the largest block's distances
    assert peak < 2 * 8 * module.MEDIAN_VALUES + 3 * block
    assert peak < 0.3 * features.shape[0] * features.shape[1] * 1024 * 8  # one matrix alone
    assert density.shape == features.shape[:2]
    assert density.min() > 0 and density.max() <= 1
    # The width from sampled rows is close to the median of all distances.
    part = features[70:190, :120]
    sampled = window_density(part)
    monkeypatch.setattr(module, "MEDIAN_VALUES", 2**30)
    np.testing.assert_allclose(sampled, window_density(part), atol=0.01)
