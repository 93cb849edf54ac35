"""Normalisation keeps the detail of float64 and wide-integer images, and small units."""

import numpy as np
import pytest

from napari_finetune.data.normalize import Normalization
from napari_finetune.data.painted import prepare_planes
from napari_finetune.data.sampled_normalize import FixedNormalization, sampled_normalization


def _height_map() -> np.ndarray:
    # A height map far from zero: float32 has steps of 0.125 at 2e6.
    return 2.0e6 + np.random.default_rng(0).random((256, 256))


def _wide_integers() -> np.ndarray:
    return (10**8 + np.arange(1000, dtype=np.int64)).reshape(25, 40)


@pytest.mark.parametrize("image", [_height_map(), _wide_integers()], ids=["float64", "int64"])
def test_float64_and_wide_integer_images_keep_their_levels(image):
    distinct = np.unique(image).size
    whole = Normalization(0, 100)(image)
    assert whole.dtype == np.float32
    assert np.unique(whole).size > 0.99 * distinct
    assert whole.min() == pytest.approx(0) and whole.max() == pytest.approx(1)
    # The lazy path: percentiles from the grid, then the fixed map, tile by tile.
    fixed = sampled_normalization(Normalization(0, 100), image)
    assert fixed.stride == 1
    tiled = fixed(image[..., None])[..., 0]
    assert np.unique(tiled).size > 0.99 * distinct
    np.testing.assert_allclose(tiled, whole, atol=1e-6)
    # A coarser grid still samples in float64: its percentiles are not float32 steps.
    coarse = sampled_normalization(Normalization(1, 99), image, max_pixels=image.size // 4)
    assert coarse.stride > 1
    assert np.unique(coarse(image[..., None])).size > 0.99 * distinct


def test_training_and_prediction_normalise_a_float64_image_alike():
    image = _height_map()
    labels = np.zeros(image.shape, np.uint8)
    labels[:10, :10], labels[-10:, -10:] = 1, 2
    normalization = Normalization()
    planes, _, _ = prepare_planes(image, labels, normalization)
    np.testing.assert_array_equal(planes[0].image[..., 0], normalization(image))
    assert np.unique(planes[0].image).size > 0.99 * image.size


def test_images_in_small_units_are_stretched_not_flattened():
    # Currents in amperes: 1e-12 A plus a span of about 3e-13.
    image = 1e-12 + 3e-13 * np.random.default_rng(1).random((64, 64))
    for data in (image, image.astype(np.float32)):
        out = Normalization(0, 100)(data)
        assert out.min() == pytest.approx(0) and out.max() == pytest.approx(1, abs=1e-5)
        fixed = FixedNormalization((float(data.min()),), (float(data.max()),))
        np.testing.assert_allclose(fixed(data[..., None])[..., 0], out, atol=1e-5)


@pytest.mark.parametrize("value", [0.0, 1e-300, 3.0, 2.0e6, -7.5e30])
def test_constant_images_map_to_zero(value):
    image = np.full((32, 32), value)
    np.testing.assert_array_equal(Normalization()(image), 0)
    fixed = FixedNormalization((value,), (value,))
    np.testing.assert_array_equal(fixed(image[..., None]), 0)
    # A difference of one rounding step of the values is no contrast either.
    image[0, 0] = np.nextafter(value, np.inf)
    assert np.abs(Normalization(0, 100)(image)).max() < 1e-6


def test_bounds_are_what_the_normalisation_applies_per_channel():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 4096, (40, 50, 3)).astype(np.uint16)
    image[..., 1] //= 4  # each channel its own range
    low, span = Normalization().bounds(image)
    assert low.shape == span.shape == (1, 1, 3)
    assert np.allclose(Normalization()(image), (image - low) / span, atol=1e-6)
    assert span[0, 0, 1] < span[0, 0, 0] / 3


def test_the_preview_maps_the_normalised_image_back_to_the_source():
    from napari_finetune.augment.training_intensity import TrainingIntensity

    image = np.random.default_rng(1).integers(100, 4000, (30, 30)).astype(np.uint16)
    seen = TrainingIntensity.of(image)
    assert seen.normalised.dtype == np.float32
    assert np.array_equal(seen.back(seen.normalised), image)
