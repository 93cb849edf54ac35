import numpy as np
import pytest
from skimage.color import rgb2hsv

from napari_finetune.synth.tint_etch import tint_etch

CLEAN = {"noise": 0.0, "blur": 0.0}


def test_rgb_float_image_in_range():
    s = tint_etch((80, 96), 10, seed=0)
    assert s.image.shape == (80, 96, 3) and s.image.dtype == np.float32
    assert s.image.min() >= 0 and s.image.max() <= 1
    assert set(np.unique(s.classes)) == {1, 2}


def test_each_grain_has_one_hue_and_neighbours_differ():
    s = tint_etch((128, 128), 16, groove_strength=0.0, seed=1, **CLEAN)
    hue = rgb2hsv(s.image)[..., 0]
    interior = s.boundaries == 0
    grain_hue = np.zeros(17)
    for grain in range(1, 17):
        values = hue[(s.grains == grain) & interior]
        # Illumination scales all channels alike, so hue is constant in a grain.
        assert np.ptp(values) < 1e-3
        grain_hue[grain] = values[0]
    vertical = s.grains[1:] != s.grains[:-1]
    pairs = np.unique(np.stack([s.grains[1:][vertical], s.grains[:-1][vertical]], 1), axis=0)
    gap = np.abs(grain_hue[pairs[:, 0]] - grain_hue[pairs[:, 1]])
    gap = np.minimum(gap, 1 - gap)
    assert np.median(gap) > 0.05
    assert np.unique(np.round(grain_hue[1:], 3)).size >= 12


@pytest.mark.parametrize(("strength", "expected"), [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)])
def test_groove_strength_darkens_boundaries_by_that_fraction(strength, expected):
    free = tint_etch((96, 96), 10, groove_strength=0.0, seed=2, **CLEAN)
    etched = tint_etch((96, 96), 10, groove_strength=strength, seed=2, **CLEAN)
    on = free.boundaries > 0
    np.testing.assert_allclose(etched.image[on], expected * free.image[on], atol=1e-6)
    np.testing.assert_array_equal(etched.image[~on], free.image[~on])


def test_same_seed_identical_and_different_seed_different():
    a, b = tint_etch((64, 64), 6, seed=3), tint_etch((64, 64), 6, seed=3)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, tint_etch((64, 64), 6, seed=4).image)


def test_bad_groove_strength_names_the_parameter():
    with pytest.raises(ValueError, match="groove_strength"):
        tint_etch((64, 64), 4, groove_strength=2.0)
