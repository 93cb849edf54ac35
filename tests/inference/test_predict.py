import itertools

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference import labels_from_probabilities
from napari_finetune.inference.metrics import boundary_f1
from napari_finetune.inference.predict import predict_plane
from napari_finetune.inference.tiling import blend_window, pad_to_multiple, tile_starts


@pytest.fixture(scope="module")
def model():
    return nf.load_model("voronoi-unet")


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
