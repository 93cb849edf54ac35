import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.augment import AugmentationPipeline, label_iou, mosaic, preview_views
from napari_finetune.augment.preview import preview_mosaic


@pytest.fixture(scope="module")
def sample():
    return nf.voronoi_grains((256, 256), 30, seed=0)


def test_preview_gives_n_synchronized_views_with_captions(sample):
    pipeline = AugmentationPipeline.from_preset("equiaxed")
    views = preview_views(sample.image, sample.classes, pipeline, n=6, seed=0)
    assert len(views) == 6
    assert len({v.caption for v in views}) > 1
    for view in views:
        assert view.wrong_mask is None and view.iou is None
        assert view.sample.image.shape == sample.image.shape


def test_unsynchronized_demo_falls_apart_with_rotations(sample):
    pipeline = AugmentationPipeline.from_preset("equiaxed").with_probability("Rotate", 1.0)
    views = preview_views(sample.image, sample.grains, pipeline, n=6, seed=0, unsynchronized=True)
    ious = [v.iou for v in views]
    assert all(iou < 0.9 for iou in ious)
    assert np.mean(ious) < 0.5
    assert "unsynced IoU" in views[0].caption


def test_unsynchronized_demo_is_harmless_without_geometry(sample):
    pipeline = AugmentationPipeline("custom").with_enabled("GaussNoise")
    views = preview_views(sample.image, sample.grains, pipeline, n=3, unsynchronized=True)
    assert all(v.iou == 1.0 for v in views)


def test_label_iou():
    a = np.array([[0, 1, 1], [2, 2, 0]])
    assert label_iou(a, a) == 1.0
    assert label_iou(a, np.zeros_like(a)) == 0.0
    b = np.array([[0, 1, 0], [2, 2, 0]])
    assert label_iou(a, b) == pytest.approx((0.5 + 1.0) / 2)
    assert label_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0


def test_mosaic_places_tiles_in_a_grid():
    tiles = [np.full((4, 5), k, np.uint8) for k in range(1, 8)]
    grid, corners = mosaic(tiles, columns=3, gap=2)
    assert grid.shape == (3 * 4 + 2 * 2, 3 * 5 + 2 * 2)
    for k, (y, x) in enumerate(corners, start=1):
        assert np.all(grid[y : y + 4, x : x + 5] == k)
    assert grid[4:6].max() == 0  # the gap


def test_bad_view_count_is_refused(sample):
    with pytest.raises(ValueError, match="n=0"):
        preview_views(sample.image, sample.classes, AugmentationPipeline(), n=0)


def test_mosaic_takes_rotated_tiles_of_a_non_square_image():
    # A 90° view of a 600 × 800 image is 800 × 600: "could not broadcast" before.
    wide = np.ones((6, 8), np.uint8)
    tall = np.full((8, 6), 2, np.uint8)
    grid, corners = mosaic([wide, tall, wide], columns=3, gap=1)
    assert grid.shape == (8, 3 * 8 + 2)
    for tile, (y, x) in zip([wide, tall, wide], corners, strict=True):
        np.testing.assert_array_equal(grid[y : y + tile.shape[0], x : x + tile.shape[1]], tile)
    assert grid[6:, 0:8].max() == 0  # below the wide tile: gap colour


def test_previews_of_a_non_square_image_with_quarter_turns():
    # The NIST sample (600 × 800) failed whenever a view drew a 90° turn.
    sample = nf.voronoi_grains((60, 80), 6, seed=0)
    pipeline = AugmentationPipeline.from_preset("equiaxed")
    result = preview_mosaic(sample.image, sample.classes, pipeline, n=12, seed=0)
    assert result.image.shape == result.mask.shape and len(result.corners) == 13


def test_a_12_bit_image_in_uint16_is_previewed_as_training_sees_it(sample):
    # 0-4095 stored as uint16: scaled by the dtype's range it would sit in [0, 0.0625]
    twelve_bit = (np.clip(sample.image, 0, 1) * 4095).astype(np.uint16)
    span = float(twelve_bit.max()) - float(twelve_bit.min())
    same = preview_views(twelve_bit, sample.classes, AugmentationPipeline("custom"), n=2)
    for view in same:  # no transform: the image comes back as it was, in its dtype
        assert view.sample.image.dtype == np.uint16
        np.testing.assert_allclose(view.sample.image, twelve_bit, atol=1)
    pipeline = AugmentationPipeline("custom").with_enabled("RandomBrightnessContrast")
    pipeline = pipeline.with_probability("RandomBrightnessContrast", 1.0)
    for view in preview_views(twelve_bit, sample.classes, pipeline, n=6, seed=0):
        shown = view.sample.image.astype(float)
        # ±20 % of the image's own range, as in training; by the dtype's range (65535)
        # a -20 % brightness blacked it out, +20 % took it far past 4095.
        assert abs(shown.mean() - twelve_bit.mean()) < 0.3 * span
        assert shown.std() > 0.5 * twelve_bit.std() and shown.max() <= 2 * 4095
