import numpy as np
import pytest
import torch
from scipy import ndimage as ndi

import napari_finetune as nf
from napari_finetune.inference.uncertainty import (
    METHODS,
    dihedral_transforms,
    uncertainty_and_prediction,
)


@pytest.fixture(scope="module")
def sample():
    return nf.voronoi_grains((256, 256), 25, seed=11)


def test_mc_dropout_leaves_batchnorm_statistics_unchanged(model, sample):
    before = {k: v.clone() for k, v in model.net.state_dict().items()}
    nf.uncertainty(model, sample.image, method="mc_dropout", samples=4)
    after = model.net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not model.net.training
    assert not any(m.training for m in model.net.modules())


def test_mc_dropout_is_seeded_and_leaves_the_global_rng_alone(model, sample):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    mc = {"method": "mc_dropout", "samples": 4}
    a = nf.uncertainty(model, sample.image, seed=5, **mc)
    assert torch.equal(torch.rand(1), expected_next)
    b = nf.uncertainty(model, sample.image, seed=5, **mc)
    c = nf.uncertainty(model, sample.image, seed=6, **mc)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("method", METHODS)
def test_maps_are_in_unit_range_and_higher_on_corrupted_regions(model, sample, method):
    image = sample.image.copy()
    rng = np.random.default_rng(0)
    # Corrupt one quadrant with strong noise and stripes the model never saw.
    corrupted = (slice(0, 128), slice(0, 128))
    image[corrupted] = rng.random((128, 128)) * 2 + np.sin(np.arange(128) / 2)[None, :]
    unc = nf.uncertainty(model, image, method=method, samples=6)
    assert unc.shape == image.shape and unc.dtype == np.float32
    assert unc.min() >= 0 and unc.max() <= 1 + 1e-6
    clean = unc[128:, 128:].mean()
    assert unc[corrupted].mean() > clean * 1.5


def test_tta_uses_only_transforms_the_preset_allows():
    assert len(dihedral_transforms("equiaxed")) == 6  # identity, 2 flips, 3 rotations
    assert len(dihedral_transforms("directional")) == 2  # identity, horizontal flip
    assert len(dihedral_transforms("ebsd")) == 1
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    expected = [x, x.flip(-1), x.flip(-2), *(x.rot90(k, (-2, -1)) for k in (1, 2, 3))]
    for (forward, inverse), seen in zip(dihedral_transforms("equiaxed"), expected, strict=True):
        assert torch.equal(forward(x), seen)
        assert torch.equal(inverse(forward(x)), x)


def test_tta_takes_the_views_the_model_trained_with(model, sample, monkeypatch):
    import copy
    import importlib

    from napari_finetune.augment import AugmentationPipeline

    module = importlib.import_module("napari_finetune.inference.uncertainty")

    trained = copy.deepcopy(model)
    image = sample.image[:64, :64]
    seen = []
    original = module._tta_transforms
    monkeypatch.setattr(
        module, "_tta_transforms", lambda *args: seen.append(original(*args)) or seen[-1]
    )
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    for preset, views in (("ebsd", 1), ("directional", 2), ("equiaxed", 8)):
        trained.augmentation = AugmentationPipeline.from_preset(preset).to_yaml()
        nf.uncertainty(trained, image, method="tta")
        assert len(seen[-1]) == views
        # A top-bottom mirror only where the preset allows it.
        flips_rows = any(torch.equal(there(x), x.flip(-2)) for there, _ in seen[-1])
        assert flips_rows == (preset == "equiaxed")
    # A preset given overrides the model's record.
    nf.uncertainty(trained, image, method="tta", preset="directional")
    assert len(seen[-1]) == 2


def test_stack_and_bad_arguments(model, sample):
    stack = np.stack([sample.image[:64, :64]] * 2)
    assert nf.uncertainty(model, stack, method="entropy").shape == (2, 64, 64)
    with pytest.raises(ValueError, match="method='guess'"):
        nf.uncertainty(model, sample.image, method="guess")
    with pytest.raises(ValueError, match="samples=0"):
        nf.uncertainty(model, sample.image, samples=0)


def test_suggestions_are_ranked_spread_out_and_avoid_paint():
    rng = np.random.default_rng(0)
    unc = rng.random((300, 400)) * 0.1
    unc[20:60, 30:70] = 1.0  # hot spot A (painted already)
    unc[200:240, 300:340] = 0.9  # hot spot B
    unc[100:140, 100:140] = 0.8  # hot spot C
    labels = np.zeros((300, 400), np.uint8)
    labels[40, 50] = 1
    boxes = nf.suggest_regions(unc, labels, n=6, size=64)
    assert len(boxes) == 6
    for y0, x0, y1, x1 in boxes:
        assert (y1 - y0, x1 - x0) == (64, 64)
        assert not labels[y0:y1, x0:x1].any()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap_y = min(a[2], b[2]) - max(a[0], b[0])
            overlap_x = min(a[3], b[3]) - max(a[1], b[1])
            assert overlap_y <= 0 or overlap_x <= 0
    means = [unc[y0:y1, x0:x1].mean() for y0, x0, y1, x1 in boxes]
    assert means == sorted(means, reverse=True)
    first = boxes[0]
    assert first[0] <= 200 and first[2] >= 240 and first[1] <= 300 and first[3] >= 340


def test_suggestions_run_out_when_everything_is_painted():
    unc = np.ones((100, 100))
    labels = np.zeros((100, 100), np.uint8)
    labels[::20, ::20] = 1
    assert nf.suggest_regions(unc, labels, n=3, size=64) == []
    assert len(nf.suggest_regions(unc, None, n=10, size=64)) == 1
    with pytest.raises(ValueError, match="do not match"):
        nf.suggest_regions(unc, labels[:50])


def test_uncertainty_finds_errors_on_held_out_images(model):
    # AUROC of the map for misclassified pixels, on a rendering the model finds hard.
    sample = nf.voronoi_grains((256, 256), 30, dose=8.0, target_domain=True, seed=4)
    probs = nf.predict(model, sample.image)
    wrong = (np.argmax(probs, 0) + 1) != sample.classes
    unc = nf.uncertainty(model, sample.image)
    order = np.argsort(unc.ravel())
    ranks = np.empty_like(order)
    ranks[order] = np.arange(order.size)
    positives = wrong.ravel()
    auroc = (ranks[positives].mean() - (positives.sum() - 1) / 2) / (~positives).sum()
    assert wrong.any() and auroc > 0.75
    assert ndi.label(wrong)[1] > 0


def test_mutual_information_is_the_disagreeing_part_of_mc_dropout(model, sample):
    image = sample.image[:128, :128]
    total = nf.uncertainty(model, image, method="mc_dropout", samples=6, seed=3)
    mutual = nf.uncertainty(model, image, method="mutual_information", samples=6, seed=3)
    assert np.all(mutual <= total + 1e-6)  # I = H[mean] - mean H <= H[mean]
    assert mutual.max() > 0  # dropout samples do disagree somewhere
    # one sample cannot disagree with itself
    assert np.allclose(nf.uncertainty(model, image, method="mutual_information", samples=1), 0)


@pytest.mark.parametrize("method", ["mc_dropout", "mutual_information"])
def test_a_stack_plane_gets_the_map_it_gets_alone(model, sample, method):
    # Seeded once before the planes, plane 1's dropout masks depended on plane 0
    # (maps differed by up to 0.28).
    first, second = sample.image[:64, :64], sample.image[64:128, 64:128]
    run = {"method": method, "samples": 4, "seed": 0}
    stacked = nf.uncertainty(model, np.stack([first, second]), **run)
    np.testing.assert_array_equal(stacked[1], nf.uncertainty(model, second, **run))
    np.testing.assert_array_equal(stacked[0], nf.uncertainty(model, first, **run))


@pytest.mark.parametrize("method", METHODS)
def test_a_one_class_model_is_refused_in_words(method):
    # Its entropy map was all NaN (log 1 = 0) and the margin crashed in topk(2).
    one_class = nf.SegmentationModel.create(n_classes=1)
    image = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    with pytest.raises(ValueError, match="one-class model is sure of it everywhere"):
        nf.uncertainty(one_class, image, method=method, samples=2)


@pytest.mark.parametrize("method", ["entropy", "margin"])
def test_one_pass_gives_the_map_and_the_prediction_as_if_made_apart(model, sample, method):
    image = sample.image[:96, :80]
    stack = np.stack([image, image[::-1]])
    for x in (image, stack):
        unsure, predicted = uncertainty_and_prediction(model, x, method, tile=64, overlap=16)
        assert np.array_equal(unsure, nf.uncertainty(model, x, method, tile=64, overlap=16))
        assert np.array_equal(predicted, nf.predict(model, x, tile=64, overlap=16))


@pytest.mark.parametrize("method", ["mc_dropout", "tta"])
def test_methods_that_average_predictions_give_none_to_reuse(model, sample, method):
    unsure, predicted = uncertainty_and_prediction(model, sample.image[:64, :64], method)
    assert predicted is None
    assert np.array_equal(unsure, nf.uncertainty(model, sample.image[:64, :64], method))
