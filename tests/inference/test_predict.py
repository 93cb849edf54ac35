import itertools
import tracemalloc

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference import labels_from_probabilities
from napari_finetune.inference.metrics import boundary_f1
from napari_finetune.inference.predict import LABEL_BAND_VALUES, predict_plane
from napari_finetune.inference.tiling import (
    apply_tiled,
    blend_window,
    check_tiling,
    pad_to_multiple,
    tile_starts,
    tiles,
)


@pytest.mark.parametrize("shape", [(16, 16), (100, 37), (300, 200)])
def test_probabilities_for_any_size(model, shape):
    image = np.random.default_rng(0).random(shape).astype(np.float32)
    probs = nf.predict(model, image)
    assert probs.shape == (2, *shape) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=0), 1, atol=1e-4)


def test_tiles_blend_without_seams(model):
    image = nf.voronoi_grains((400, 400), 30, seed=2).image
    whole = nf.predict(model, image, tile=512)
    tiled = nf.predict(model, image, tile=160, overlap=48)
    assert np.abs(whole - tiled).mean() < 0.03
    # and the maps agree on where boundaries are
    assert (labels_from_probabilities(whole) == labels_from_probabilities(tiled)).mean() > 0.97


@pytest.mark.parametrize("rows, cols", [(501, 499), (511, 512), (300, 333)])
def test_a_crop_of_any_side_predicts_what_the_whole_image_does(model, rows, cols):
    # Sides that are not multiples of 16 once stretched the deep features
    # across the tile: boundaries moved by up to 15 px (1-4.5 % of the
    # pixels changed class), and validation on crops around held-out
    # strokes scored a near-perfect model at F1 0.84.
    plane = model.normalization(nf.voronoi_grains((512, 512), 40, seed=3).image)[..., None]
    whole = predict_plane(model, plane)[:, :rows, :cols]
    crop = predict_plane(model, plane[:rows, :cols])
    inner = np.s_[: rows - 32, : cols - 32]  # the crop's own border lacks the context
    assert np.abs(crop - whole)[:, *inner].mean() < 1e-3
    same = np.argmax(crop, 0)[inner] == np.argmax(whole, 0)[inner]
    assert same.mean() > 0.9995


def test_pad_to_multiple_mirrors_out_at_the_bottom_and_right():
    piece = np.arange(5 * 7 * 2, dtype=np.float32).reshape(5, 7, 2)
    padded = pad_to_multiple(piece, 4)
    assert padded.shape == (8, 8, 2)
    np.testing.assert_array_equal(padded[:5, :7], piece)
    np.testing.assert_array_equal(padded[5, :7], piece[3])  # mirrored, edge not repeated
    np.testing.assert_array_equal(padded[:5, 7], piece[:, 5])
    # Already a multiple: the piece itself, no copy; a 2-px piece mirrored past its size.
    assert np.shares_memory(pad_to_multiple(piece[:4, :4], 4), piece)
    assert pad_to_multiple(piece[:2, :2], 16).shape == (16, 16, 2)


def test_stacks_are_predicted_plane_by_plane(model):
    stack = np.stack([nf.voronoi_grains((64, 80), 6, seed=s).image for s in range(3)])
    probs = nf.predict(model, stack)
    assert probs.shape == (2, 3, 64, 80)
    np.testing.assert_allclose(probs[:, 1], nf.predict(model, stack[1]), atol=1e-5)


def test_pretrained_model_finds_synthetic_boundaries(model):
    sample = nf.voronoi_grains((384, 384), 40, seed=7)
    predicted = labels_from_probabilities(nf.predict(model, sample.image)) == 2
    assert boundary_f1(predicted, sample.boundaries == 1).f1 > 0.8


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((1, 1)), "at least 16 px"),
        (np.full((32, 32), np.nan), "NaN"),
        (np.zeros((2, 2, 32, 32)), "not a 2D image or a 3D stack"),
        # Colour to a grey model was "image is 512 × 3 px: ... at least 16 px".
        (np.zeros((512, 512, 3)), "trained on grey images, but the image looks like colour"),
        (np.zeros((512, 512, 4)), "trained on grey images, but the image looks like colour"),
        (np.array([["a"] * 32] * 32), "not numeric"),
        # A colour stack was "not a 2D image or a 3D stack".
        (np.zeros((2, 32, 32, 3)), "trained on grey images, but the image looks like colour"),
        # Two channels were "image is 32 × 2 px".
        (np.zeros((32, 32, 2)), "2 channels on its last axis"),
        (np.zeros((2, 32, 32, 2)), "2 channels on its last axis"),
    ],
)
def test_bad_images_give_clear_errors(model, image, message):
    with pytest.raises(ValueError, match=message):
        nf.predict(model, image)


@pytest.mark.parametrize(
    ("tiling", "message"),
    [
        ({"tile": 8}, "tile=8 is too small"),
        ({"tile": 64, "overlap": 64}, "less than half the tile"),
        ({"tile": 64, "overlap": -1}, "at least 0"),
        ({"tile": 64.0}, "whole number"),
    ],
)
def test_bad_tiling_gives_clear_errors(model, tiling, message):
    image = np.zeros((64, 64), np.float32)
    with pytest.raises(ValueError, match=message):
        nf.predict(model, image, **tiling)
    with pytest.raises(ValueError, match=message):
        nf.uncertainty(model, image, **tiling)


def test_numpy_integers_are_whole_numbers_of_pixels(model):
    # tile=np.int64(64) (from an array or a spin box) was refused as "not a whole number".
    image = nf.voronoi_grains((100, 90), 8, seed=1).image
    tiling = {"tile": np.int64(64), "overlap": np.int32(16)}
    expected = nf.predict(model, image, tile=64, overlap=16)
    np.testing.assert_array_equal(nf.predict(model, image, **tiling), expected)
    assert nf.uncertainty(model, image, **tiling).shape == image.shape
    tile, overlap = check_tiling(np.uint16(64), np.int8(16), 32)
    assert (tile, overlap) == (64, 16) and type(tile) is type(overlap) is int
    with pytest.raises(ValueError, match="whole number"):
        check_tiling(np.int64(64), True, 32)


def test_tiling_geometry():
    assert tile_starts(100, 512, 64) == [0]
    starts = tile_starts(1000, 512, 64)
    assert starts[0] == 0 and starts[-1] == 1000 - 512
    assert all(b - a <= 512 - 64 for a, b in itertools.pairwise(starts))
    window = blend_window(64, 64, 16)
    assert window.min() > 0 and window[32, 32] == 1


def test_boundary_f1_tolerance():
    truth = np.zeros((50, 50), bool)
    truth[25, :] = True
    assert boundary_f1(truth, truth).f1 == 1
    assert boundary_f1(np.roll(truth, 2, axis=0), truth).f1 == 1
    assert boundary_f1(np.roll(truth, 5, axis=0), truth).f1 == 0
    half = truth.copy()
    half[25, 25:] = False
    score = boundary_f1(half, truth)
    assert score.precision == 1 and score.recall == pytest.approx(0.5, abs=0.05)


def test_boundary_f1_matches_only_within_a_plane():
    # One N-D distance transform matched row 10 of plane 0 with row 10 of plane 1: F1 1.0.
    truth = np.zeros((2, 30, 30), bool)
    predicted = np.zeros_like(truth)
    truth[0, 10] = True
    predicted[1, 10] = True
    assert boundary_f1(predicted, truth).f1 == 0
    # Pooled over planes: plane 0 found, plane 1's truth missed.
    truth[1, 20] = True
    predicted[0, 11] = True
    score = boundary_f1(predicted, truth)
    assert score.precision == pytest.approx(0.5) and score.recall == pytest.approx(0.5)
    assert boundary_f1(truth, truth).f1 == 1


@pytest.mark.parametrize("tolerance", [-1, float("nan"), float("inf"), True])
def test_boundary_f1_refuses_a_bad_tolerance(tolerance):
    truth = np.zeros((20, 20), bool)
    truth[5] = True
    with pytest.raises(ValueError, match="must be a finite distance of at least 0 px"):
        boundary_f1(truth, truth, tolerance)


def test_the_unused_unchecked_class_f1_is_gone():
    # It broadcast mismatched shapes silently and nothing used it.
    from napari_finetune.inference import metrics

    assert not hasattr(metrics, "ClassF1")


def test_a_grey_image_with_a_channel_axis_of_1_is_grey_everywhere(model):
    # (rows, cols, 1) was refused as "image is 64 × 1 px" by every user of as_planes.
    image = nf.voronoi_grains((64, 80), 6, seed=1).image
    np.testing.assert_array_equal(nf.predict(model, image[..., None]), nf.predict(model, image))
    stack = np.stack([image, image[::-1]])
    np.testing.assert_array_equal(nf.predict(model, stack[..., None]), nf.predict(model, stack))
    np.testing.assert_array_equal(
        nf.uncertainty(model, image[..., None]), nf.uncertainty(model, image)
    )
    assert nf.representativeness(model, image[..., None]).shape == image.shape
    np.testing.assert_array_equal(
        nf.feature_maps(model, image[..., None], 0).maps, nf.feature_maps(model, image, 0).maps
    )


def _peak_bytes(run):
    """Peak of the memory NumPy allocates while ``run()`` runs, and its result."""
    tracemalloc.start()
    try:
        result = run()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_blending_divides_in_place_and_gives_the_same_numbers():
    # ``total / weight`` held a second (channels, rows, cols) array: 2.25x the result.
    image = np.random.default_rng(0).random((1024, 1024, 1), dtype=np.float32)

    def per_tile(piece):
        return np.repeat(piece.transpose(2, 0, 1), 4, 0) * np.arange(1, 5)[:, None, None]

    peak, blended = _peak_bytes(lambda: apply_tiled(image, per_tile, 4, 256, 32))
    assert peak < 1.75 * blended.nbytes
    total = np.zeros((4, 1024, 1024), np.float32)
    weight = np.zeros((1024, 1024), np.float32)
    for ys, xs in tiles((1024, 1024), 256, 32):
        window = blend_window(ys.stop - ys.start, xs.stop - xs.start, 32)
        total[:, ys, xs] += per_tile(image[ys, xs]) * window
        weight[ys, xs] += window
    np.testing.assert_array_equal(blended, total / weight)


def test_a_stack_is_predicted_into_one_array_with_each_plane_as_alone(model):
    # A list of planes then np.stack held the probabilities twice.
    stack = np.stack([nf.voronoi_grains((128, 128), 8, seed=s).image for s in range(16)])
    peak, probs = _peak_bytes(lambda: nf.predict(model, stack))
    assert peak < 1.6 * probs.nbytes
    for i in (0, 7, 15):
        np.testing.assert_array_equal(probs[:, i], nf.predict(model, stack[i]))


@pytest.mark.parametrize(("classes", "side"), [(2, 1500), (3, 1500), (300, 60)])
def test_labels_are_picked_band_by_band_as_one_argmax_picks_them(classes, side):
    # One argmax made a class-last copy and an int64 map, ``+ 1`` another: 16 bytes a pixel.
    rng = np.random.default_rng(classes)
    probabilities = rng.random((classes, side, side + 7), dtype=np.float32)
    probabilities[:, ::5] = 0.25  # ties: the first class wins, as in argmax
    peak, labels = _peak_bytes(lambda: labels_from_probabilities(probabilities))
    expected = np.argmax(probabilities, axis=0) + 1
    np.testing.assert_array_equal(labels, expected)
    assert labels.dtype == (np.uint8 if classes < 256 else np.int32)
    assert peak < labels.nbytes + 12 * LABEL_BAND_VALUES + 2**16
    stack = probabilities[:, :40].reshape(classes, 2, 20, side + 7)
    in_planes = labels_from_probabilities(stack)
    np.testing.assert_array_equal(in_planes, expected[:40].reshape(2, 20, side + 7))
