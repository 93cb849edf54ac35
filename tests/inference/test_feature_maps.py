"""Feature maps of a stage: tiles add up to one pass, stages are named, the model is untouched."""

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune.inference.feature_compare import before_after, start_model_of
from napari_finetune.inference.feature_maps import channel_contrast, feature_maps
from napari_finetune.inference.network_stages import stage_names, stages
from napari_finetune.models import SegmentationModel
from napari_finetune.models.checkpoint_tensors import tensor_digest


@pytest.fixture(scope="module")
def image():
    return nf.voronoi_grains((150, 230), 30, seed=3).image


def mirrored_pass(model, image, margin=192):
    """The oracle: the plain network, once, on the image mirrored far outwards."""
    plane = model.normalization(image)[None, None]
    padded = np.pad(
        plane, ((0, 0), (0, 0), (margin, margin + 10), (margin, margin + 26)), "symmetric"
    )
    with torch.inference_mode():
        skips = model.copy().net.eval().encode(torch.from_numpy(padded))
        out, rest = skips[-1], skips[:-1]
        for stage in model.copy().net.eval().decoder_stages:
            out = stage(out, rest.pop())
    return skips, out


@pytest.mark.parametrize("stage", ["encoder 2", "decoder 3"])
def test_tiled_maps_equal_one_pass_on_an_image_larger_than_the_tile(model, image, stage):
    tiled = feature_maps(model, image, stage, tile=96)  # 2 x 3 tiles
    whole = feature_maps(model, image, stage, tile=4096)
    np.testing.assert_allclose(tiled.maps, whole.maps, atol=1e-5)
    # ...and one pass is the network itself on the mirrored image (BatchNorm folded: 1e-4)
    skips, decoded = mirrored_pass(model, image)
    f = whole.factor
    reference = skips[2] if stage == "encoder 2" else decoded
    cut = reference[0, :, 192 // f :, 192 // f :][:, : whole.maps.shape[1], : whole.maps.shape[2]]
    np.testing.assert_allclose(whole.maps, cut.numpy(), atol=1e-4)


def test_maps_have_the_stage_resolution_channels_and_offset(model, image):
    maps = feature_maps(model, image, 2)  # by index: encoder 2
    assert maps.maps.dtype == np.float32 and maps.maps.shape == (32, 38, 58)
    assert (maps.factor, maps.offset) == (4, 1.5) and maps.stage.name == "encoder 2"
    assert feature_maps(model, image, "decoder 3").maps.shape == (8, 150, 230)


def test_stages_are_named_with_factor_and_channels(model):
    names = stage_names(model)
    assert names[:5] == [f"encoder {i}" for i in range(5)]
    assert names[5:] == [f"decoder {i}" for i in range(4)]
    deepest, last = stages(model)[4], stages(model)[-1]
    assert (deepest.factor, deepest.channels) == (16, 128)
    assert (last.factor, last.channels) == (1, 8)
    assert deepest.describe() == "encoder 4: 1/16 resolution, 128 channels"


def test_a_stage_out_of_range_is_refused_naming_the_valid_ones(model, image):
    with pytest.raises(ValueError, match=r"stage 9 is out of range.*0 to 8.*8 = decoder 3"):
        feature_maps(model, image, 9)
    with pytest.raises(ValueError, match=r"'encoder 7' is not a stage.*0 = encoder 0"):
        feature_maps(model, image, "encoder 7")
    with pytest.raises(ValueError, match="out of range"):
        feature_maps(model, image, -1)
    with pytest.raises(ValueError, match="must be a stage index or name"):
        feature_maps(model, image, True)


def test_the_model_is_left_as_it_was(image):
    model = nf.load_model("voronoi-unet")
    model.net.train()
    digest = tensor_digest(model.net.state_dict())
    feature_maps(model, image, "decoder 0")
    assert model.net.training and tensor_digest(model.net.state_dict()) == digest


def test_a_stack_needs_the_plane_and_rgb_models_work(model, image):
    stack = np.stack([image[:64, :64], image[64:128, :64]])
    with pytest.raises(ValueError, match="stack of 2 planes: give plane=0 to 1"):
        feature_maps(model, stack, "encoder 1")
    np.testing.assert_allclose(
        feature_maps(model, stack, "encoder 1", plane=1).maps,
        feature_maps(model, stack[1], "encoder 1").maps,
    )
    rgb_model = SegmentationModel.create(in_channels=3)
    rgb = np.repeat(image[..., None], 3, axis=-1)
    assert feature_maps(rgb_model, rgb, "encoder 3").maps.shape == (64, 19, 29)


def test_channel_contrast_stretches_each_channel_and_shares_it_between_maps():
    rng = np.random.default_rng(0)
    maps = np.stack([rng.normal(0, 1, (40, 40)), 1000 * rng.normal(0, 1, (40, 40))])
    maps = np.concatenate([maps, np.zeros((1, 40, 40))]).astype(np.float32)  # a dead channel
    (alone,) = channel_contrast(maps)
    assert alone.min() == 0 and alone[:2].max() == 1 and not alone[2].any()
    assert np.median(alone[0]) == pytest.approx(np.median(alone[1]), abs=0.1)
    before, after = channel_contrast(maps, 2 * maps)
    assert after[0].std() > 1.5 * before[0].std()  # twice as strong: it shows


def test_before_after_finds_the_shipped_start_and_compares_one_stage(model, image):
    assert start_model_of(model)[0] is None  # the shipped model has no training record
    tuned = model.copy()
    start = {
        "kind": "shipped",
        "name": "voronoi-unet",
        "sha256": tensor_digest(model.net.state_dict()),
    }
    tuned.provenance = [{"run": 1, "start": start}]
    with torch.no_grad():
        tuned.net.encoder_stages[0][0].weight.mul_(-1)
    found, words = start_model_of(tuned)
    assert found is not None and "voronoi-unet" in words
    first, second = before_after(found, tuned, image[:64, :96], "encoder 0")
    np.testing.assert_allclose(first.maps, feature_maps(model, image[:64, :96], 0).maps)
    assert not np.allclose(first.maps, second.maps)
    tuned.provenance = [{"run": 1, "start": {**start, "sha256": "0" * 64}}]
    assert start_model_of(tuned)[0] is None and "not available" in start_model_of(tuned)[1]
    tuned.provenance = [{"run": 1, "start": {"kind": "scratch", "name": "scratch"}}]
    assert "from scratch" in start_model_of(tuned)[1]
    other = SegmentationModel.create(widths=(8, 16, 32))
    with pytest.raises(ValueError, match="'encoder 4' is not a stage of this model"):
        before_after(model, other, image, "encoder 4")
    thinner = SegmentationModel.create(widths=(4, 8, 16, 32, 64))
    with pytest.raises(ValueError, match=r"differ at encoder 1 \(16 and 8 channels\)"):
        before_after(model, thinner, image, "encoder 1")


def test_before_after_of_a_colour_model_tuned_from_a_grey_start(model, image):
    # Fine-tuning on RGB adapts the grey start's input to three channels: the
    # start reloaded is grey, and is compared as training adapted it.
    tuned = model.copy()
    tuned.net.adapt_input_channels(3)
    with torch.no_grad():
        tuned.net.encoder_stages[0][0].weight.mul_(-1)
    rgb = np.repeat(image[:64, :96, None], 3, axis=-1)
    first, second = before_after(model, tuned, rgb, "encoder 0")
    # Spread evenly over three equal channels, the grey filters answer as on grey.
    np.testing.assert_allclose(
        first.maps, feature_maps(model, image[:64, :96], 0).maps, rtol=1e-4, atol=1e-4
    )
    assert not np.allclose(first.maps, second.maps)
    assert model.in_channels == 1  # the start itself is left as it was


def test_maps_over_the_budget_are_refused_before_any_is_computed(model):
    big = np.zeros((6000, 6000), np.uint8)  # full resolution: 8 channels × 36 M cells
    with pytest.raises(ValueError, match=r"encoder 0 of a 6000 × 6000 px plane is 8 channels"):
        feature_maps(model, big, "encoder 0")
    with pytest.raises(
        ValueError, match=r"choose a deeper stage \(encoder 2 fits\), or add a crop"
    ):
        feature_maps(model, big, "decoder 3")
