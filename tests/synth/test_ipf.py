import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from napari_finetune.augment.presets import get_preset
from napari_finetune.synth.ipf import ipf_colour, ipf_map


@pytest.mark.parametrize(
    ("direction", "rgb"),
    [
        ([0, 0, 1], [1, 0, 0]),
        ([0, -1, 0], [1, 0, 0]),
        ([1, 0, 1], [0, 1, 0]),
        ([0, 1, -1], [0, 1, 0]),
        ([1, 1, 1], [0, 0, 1]),
        ([-1, 1, -1], [0, 0, 1]),
    ],
)
def test_key_corners_of_the_standard_triangle(direction, rgb):
    np.testing.assert_allclose(ipf_colour(np.array(direction, float)), rgb, atol=1e-6)


def test_key_is_in_range_with_one_full_channel():
    directions = np.random.default_rng(0).normal(size=(1000, 3))
    colours = ipf_colour(directions)
    assert colours.min() >= 0 and colours.max() <= 1
    np.testing.assert_allclose(colours.max(axis=1), 1.0)


def test_colour_is_one_orientation_per_grain_without_noise():
    s = ipf_map((96, 96), 10, noise_deg=0.0, unindexed_fraction=0.0, seed=1)
    assert s.image.shape == (96, 96, 3) and s.image.dtype == np.float32
    for grain in range(1, 11):
        colours = s.image[s.grains == grain]
        assert np.ptp(colours, axis=0).max() == 0
        normal = Rotation.from_quat(s.orientations[grain]).inv().apply([0, 0, 1])
        np.testing.assert_allclose(colours[0], ipf_colour(normal), atol=1e-6)
    assert s.image.min() >= 0 and s.image.max() <= 1


def test_noise_stays_in_the_key_and_unindexed_pixels_are_black():
    s = ipf_map((128, 128), 12, noise_deg=2.0, unindexed_fraction=0.05, seed=2)
    lost = s.unindexed > 0
    assert 0.03 < lost.mean() < 0.07
    assert (s.image[lost] == 0).all()
    indexed = s.image[~lost]
    np.testing.assert_allclose(indexed.max(axis=1), 1.0, atol=1e-6)
    # Unindexed pixels crowd onto boundaries, as where two patterns overlap.
    assert lost[s.boundaries > 0].mean() > 3 * lost[s.boundaries == 0].mean()


def test_sample_carries_the_ebsd_preset():
    s = ipf_map((64, 64), 4, seed=0)
    assert s.preset == "ebsd"
    assert not get_preset(s.preset).allows("HorizontalFlip")


def test_same_seed_identical_and_different_seed_different():
    a, b = ipf_map((64, 64), 6, seed=3), ipf_map((64, 64), 6, seed=3)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, ipf_map((64, 64), 6, seed=4).image)


def test_bad_unindexed_fraction_names_the_parameter():
    with pytest.raises(ValueError, match="unindexed_fraction"):
        ipf_map((64, 64), 4, unindexed_fraction=0.9)
