import hashlib
import math
import tracemalloc

import numpy as np
import pytest
from scipy.spatial import cKDTree

import napari_finetune as nf
from napari_finetune.synth import seeds
from napari_finetune.synth.parameters import HARD_CORE_FRACTION


def reference_thinning(points, core, rng):
    """The thinning as first written (one search radius, the largest core): the
    sites it keeps are what pretrained models and benchmarks were made from."""
    marks = rng.uniform(size=len(points))
    pairs = cKDTree(points).query_pairs(r=float(core.max()), output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        dist = np.linalg.norm(points[i] - points[j], axis=1)
        close = dist < np.minimum(core[i], core[j])
        i, j = i[close], j[close]
        loser = np.where(marks[i] > marks[j], i, j)
        removed = np.zeros(len(points), bool)
        removed[loser] = True
        return np.flatnonzero(~removed)
    return np.arange(len(points))


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
@pytest.mark.parametrize("spread", [0.0, 0.3, 1.0])
def test_thinning_keeps_exactly_the_sites_the_reference_keeps(seed, spread):
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 200, size=(1500, 2))
    core = np.maximum(4.0 * np.exp(spread * rng.standard_normal(1500)), seeds.MIN_SPACING_PX)
    # grid points give exact ties: distances equal to a core must stay kept
    grid = np.stack(np.meshgrid(np.arange(0.0, 40, 4), np.arange(0.0, 40, 4)), -1).reshape(-1, 2)
    for pts, cores in ((points, core), (grid, np.full(len(grid), 4.0))):
        new = seeds._matern_thinning(pts, cores, np.random.default_rng(seed))
        old = reference_thinning(pts, cores, np.random.default_rng(seed))
        np.testing.assert_array_equal(new, old)


def test_thinning_cost_follows_each_points_own_core():
    # A strong size spread makes a few cores huge; searching every point with the
    # largest one took 40 MB here (816 MB at 512², 2000 grains; 24 s at 1024²).
    shape, count = (256, 256), 500
    hard_core = HARD_CORE_FRACTION * math.sqrt(shape[0] * shape[1] / count)
    tracemalloc.start()
    try:
        seeds.place_sites(shape, count, 1.0, hard_core, 90.0, 1.0, np.random.default_rng(0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6


# sha256 of image, grains and boundaries, computed with the committed code before
# the thinning was rewritten: the same seed must give the same sample forever.
SAMPLES = [
    (
        {"shape": (256, 256), "n_grains": 60, "seed": 0},
        "f2f5d4e62561f783a4cab6b7c52d37eeafefe59f9a5438497b421a05d19a58c6",
    ),
    (
        {"shape": (300, 200), "n_grains": 120, "size_spread": 1.0, "seed": 3},
        "cff85003038e3d5b9b497dcf5e65eb3b3673ad1a4d19ee0daae2e6b4c823b795",
    ),
    (
        {
            "shape": (256, 384),
            "n_grains": 80,
            "size_spread": 0.7,
            "morphology": "elongated",
            "elongation": 3.0,
            "direction": 30.0,
            "seed": 7,
        },
        "f3e03ece22a1d6c3037cfcf12b643c25a23a9066a70c0afa0ae7e6be56ce483c",
    ),
    (
        {"shape": (200, 200), "mean_diameter": 20.0, "size_spread": 0.0, "seed": 5},
        "8fff4a25ea125131b6ebb130adaa5768431ef8e9186716e7d63278318221eb74",
    ),
]


@pytest.mark.parametrize(("kwargs", "digest"), SAMPLES)
def test_samples_are_bit_identical_to_the_committed_generator(kwargs, digest):
    sample = nf.voronoi_grains(**kwargs)
    h = hashlib.sha256()
    for array in (sample.image, sample.grains, sample.boundaries):
        h.update(np.ascontiguousarray(array).tobytes())
    assert h.hexdigest() == digest
