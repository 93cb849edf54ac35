import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.augment import AugmentationPipeline
from napari_finetune.augment.catalog import TransformInfo
from napari_finetune.data.normalize import Normalization
from napari_finetune.data.painted import prepare_planes
from napari_finetune.data.patches import PatchSampler
from napari_finetune.data.split import split_validation
from napari_finetune.synth.strokes import paint_strokes


@pytest.fixture(scope="module")
def painted_sample():
    sample = nf.voronoi_grains((256, 256), 25, seed=0)
    return sample, paint_strokes(sample, seed=0)


def test_normalization_maps_percentiles_to_unit_range():
    image = np.linspace(100, 1100, 10_000, dtype=np.float64).reshape(100, 100)
    out = Normalization(0, 100)(image)
    assert out.dtype == np.float32
    assert out.min() == pytest.approx(0) and out.max() == pytest.approx(1)
    rgb = np.dstack([image, 2 * image, image + 5])
    per_channel = Normalization(0, 100)(rgb)
    np.testing.assert_allclose(per_channel[..., 0], per_channel[..., 1], atol=1e-6)
    with pytest.raises(ValueError, match="percentiles"):
        Normalization(50, 10)


@pytest.mark.parametrize(
    ("image", "labels", "message"),
    [
        (np.zeros((64, 64)), np.zeros((64, 64), np.uint8), "no painted pixels"),
        (np.zeros((64, 64)), np.ones((64, 64), np.uint8), "only class 1 is painted"),
        (np.zeros((64, 64)), np.zeros((64, 60), np.uint8), "same pixels"),
        (np.full((64, 64), np.nan), np.eye(64, dtype=np.uint8) * 2 + (np.arange(64) % 2), "NaN"),
        (np.zeros((1, 1)), np.ones((1, 1), np.uint8), "at least 16 px"),
        (np.zeros((64, 64)), np.zeros((64, 64), np.float32), "not integers"),
        (np.zeros((64, 64)), -np.ones((64, 64), np.int32), "negative"),
    ],
)
def test_bad_input_gives_a_clear_error(image, labels, message):
    with pytest.raises(ValueError, match=message):
        prepare_planes(image, labels)


def test_planes_from_grey_rgb_and_partly_painted_stacks():
    labels = np.zeros((64, 64), np.uint8)
    labels[5:10, 5:10], labels[20:25, 20:25] = 1, 2
    planes, k, channels = prepare_planes(np.random.default_rng(0).random((64, 64, 3)), labels)
    assert (k, channels, planes[0].image.shape) == (2, 3, (64, 64, 3))
    stack_labels = np.zeros((5, 64, 64), np.uint8)
    stack_labels[1], stack_labels[3, :4, :4] = labels, 1
    planes, k, channels = prepare_planes(
        np.random.default_rng(1).random((5, 64, 64)), stack_labels
    )
    assert [p.plane for p in planes] == [1, 3] and channels == 1
    with pytest.raises(ValueError, match="grey and RGB"):
        prepare_planes([np.zeros((64, 64)), np.zeros((64, 64, 3))], [labels, labels])
    # An unpainted colour image beside grey paintings trains nothing: no mix, still checked.
    unpainted = np.zeros_like(labels)
    planes, _, channels = prepare_planes(
        [np.zeros((64, 64)), np.zeros((64, 64, 3))], [labels, unpainted]
    )
    assert len(planes) == 1 and channels == 1
    with pytest.raises(ValueError, match="image 1 has dtype"):
        prepare_planes([np.zeros((64, 64)), np.zeros((64, 64, 3), complex)], [labels, unpainted])


def test_validation_holds_out_whole_images_when_there_are_several(painted_sample):
    sample, painted = painted_sample
    planes, _, _ = prepare_planes([sample.image] * 5, [painted] * 5)
    split = split_validation(planes, 0.2, seed=0)
    assert split.grouping == "images"
    held = [v.any() for v in split.validation]
    assert sum(held) == 1
    for train, validation in zip(split.train, split.validation, strict=True):
        assert not (train.any() and validation.any())  # a plane is one or the other


def test_single_image_holds_out_whole_regions_without_overlap(painted_sample):
    sample, painted = painted_sample
    planes, _, _ = prepare_planes(sample.image, painted)
    split = split_validation(planes, 0.2, seed=0)
    assert split.grouping == "regions"
    train, validation = split.train[0], split.validation[0]
    assert not np.any((train > 0) & (validation > 0))
    assert split.n_train + split.n_validation == (painted > 0).sum()
    assert 0.05 < split.n_validation / (painted > 0).sum() < 0.5
    # no held-out pixel touches a training pixel: they are separate regions
    from scipy import ndimage as ndi

    near_train = ndi.binary_dilation(train > 0, iterations=8)
    assert not np.any(near_train & (validation > 0))


def test_patches_are_class_balanced_and_ignore_unpainted(painted_sample):
    sample, painted = painted_sample
    planes, _, _ = prepare_planes(sample.image, painted)
    sampler = PatchSampler(planes, [p.labels for p in planes], patch_size=32, seed=0)
    x, y = sampler.batch(64)
    assert x.shape == (64, 1, 32, 32) and y.shape == (64, 32, 32)
    assert set(np.unique(y.numpy())) <= {-1, 0, 1}
    assert (y == -1).float().mean() > 0.5  # strokes are sparse: most pixels unpainted
    # centres: each class drawn about half the time although boundaries are rarer
    centre = y[:, 8:24, 8:24].numpy()
    with_boundary = np.mean([(c == 1).any() for c in centre])
    assert 0.3 < with_boundary < 0.9


def test_patches_near_the_border_are_padded():
    image = np.random.default_rng(2).random((20, 20))
    labels = np.zeros((20, 20), np.uint8)
    labels[0, 0], labels[19, 19] = 1, 2
    planes, _, _ = prepare_planes(image, labels)
    sampler = PatchSampler(planes, [planes[0].labels], patch_size=64, seed=1)
    x, y = sampler.batch(4)
    assert x.shape == (4, 1, 64, 64)
    painted = (y >= 0).sum(dim=(1, 2))
    # the image is mirrored into the padding, the labels are not: never more
    # painted pixels than the two there are
    assert ((painted >= 1) & (painted <= 2)).all()
    assert x.std() > 0.1


def test_augmented_patches_build_the_transforms_once_and_match_a_fresh_build(
    painted_sample, monkeypatch
):
    sample, painted = painted_sample
    planes, _, _ = prepare_planes(sample.image, painted)
    labels = [p.labels for p in planes]
    pipeline = AugmentationPipeline.from_preset("equiaxed").with_enabled("ElasticTransform")
    built = []
    original = TransformInfo.build
    monkeypatch.setattr(
        TransformInfo, "build", lambda self, *a: built.append(self.name) or original(self, *a)
    )
    sampler = PatchSampler(planes, labels, patch_size=32, pipeline=pipeline, seed=4)
    x, y = sampler.batch(24)
    # built once for the run (it was once per patch: a third of a run's time)
    assert sorted(built) == sorted(t.name for t in pipeline.active)
    # the patches a seed draws are those each patch's own fresh build gave
    again = PatchSampler(planes, labels, patch_size=32, seed=4)
    for index in range(24):
        image, target = again.sample()  # unaugmented, the same centres and seeds...
        seed = int(again.rng.integers(2**31))  # ...as the augmented sampler drew
        out = pipeline.apply(image, (target + 1).astype(np.uint8), seed)
        np.testing.assert_array_equal(x[index].permute(1, 2, 0).numpy(), out.image)
        np.testing.assert_array_equal(y[index].numpy(), out.mask.astype(np.int64) - 1)


def test_too_few_groups_means_no_validation_rather_than_half_the_labels():
    image = np.random.default_rng(3).random((200, 200))
    labels = np.zeros((200, 200), np.uint8)
    labels[10:40, 10:40] = 1
    labels[150:180, 150:180] = 2
    planes, _, _ = prepare_planes(image, labels)
    split = split_validation(planes, 0.2, seed=0)
    assert split.grouping == "none" and split.n_validation == 0
    two_images, _, _ = prepare_planes([image, image], [labels, labels])
    assert split_validation(two_images, 0.2).grouping != "images"


def test_the_most_painted_image_is_never_held_out():
    # One image carries most of the paint (as after active-learning rounds that
    # kept pointing at it): holding it out would leave training the scraps.
    rng = np.random.default_rng(4)
    images = [rng.random((96, 96)) for _ in range(3)]
    heavy = np.zeros((96, 96), np.uint8)
    heavy[:, :48], heavy[:, 48:] = 1, 2
    light = np.zeros((96, 96), np.uint8)
    light[10:20, 10:20], light[60:70, 60:70] = 1, 2
    planes, _, _ = prepare_planes(images, [heavy, light, light.copy()])
    for seed in range(10):
        split = split_validation(planes, 0.2, seed=seed)
        assert split.grouping == "images"
        assert not split.validation[0].any()
        assert split.n_validation / (split.n_train + split.n_validation) <= 0.3


def test_held_out_regions_contain_every_class_when_some_choice_does():
    # Four interior-only squares and two with a boundary: a validation set of one
    # class would score a meaningless F1 of 1.0 (seen in the widget), and training
    # must keep a boundary too.
    image = np.random.default_rng(5).random((300, 300))
    labels = np.zeros((300, 300), np.uint8)
    for k in range(6):
        y, x = 20 + 100 * (k // 3), 20 + 100 * (k % 3)
        labels[y : y + 20, x : x + 20] = 1
    labels[130:150, 130:135] = 2  # inside the fifth square
    labels[120:140, 220:225] = 2  # and the sixth
    planes, _, _ = prepare_planes(image, labels)
    for seed in range(10):
        split = split_validation(planes, 0.2, seed=seed)
        assert split.grouping == "regions"
        assert set(np.unique(split.validation[0])) == {0, 1, 2}
        assert set(np.unique(split.train[0])) == {0, 1, 2}


def test_a_rare_class_keeps_most_of_its_pixels_for_training():
    # A rare phase painted in two boxes, 600 px in one and 25 px in the other
    # (as on the NASA superalloy set): validation must take the small one, or
    # training learns the phase from 25 px.
    image = np.random.default_rng(6).random((400, 400))
    labels = np.zeros((400, 400), np.uint8)
    for k in range(8):
        y, x = 20 + 100 * (k // 4), 20 + 90 * (k % 4)
        labels[y : y + 48, x : x + 48] = 1 + (np.arange(48) >= 24)[None, :]
    labels[20:44, 20:45] = 3  # 600 px of the rare class in the first box
    labels[120:125, 200:205] = 3  # 25 px in the seventh
    planes, _, _ = prepare_planes(image, labels)
    for seed in range(10):
        split = split_validation(planes, 0.2, seed=seed)
        assert split.grouping == "regions"
        kept = (split.train[0] == 3).sum()
        assert kept >= 0.5 * (labels == 3).sum(), (seed, kept)
        assert set(np.unique(split.validation[0])) == {0, 1, 2, 3}


def test_unreadable_image_files_are_named_with_what_is_wrong(tmp_path):
    import tifffile

    from napari_finetune.data.io import read_image

    good = tmp_path / "good.tif"
    tifffile.imwrite(good, np.arange(64 * 64, dtype=np.uint16).reshape(64, 64))
    np.testing.assert_array_equal(read_image(good), tifffile.imread(good))
    whole = good.read_bytes()
    header_only = tmp_path / "header.tif"
    header_only.write_bytes(whole[:8])  # decodes to an empty array, not an error
    with pytest.raises(ValueError, match=r"header\.tif holds no image data"):
        read_image(header_only)
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"truncated\.tif cannot be read"):
        read_image(truncated)
    with pytest.raises(ValueError, match="is a folder"):
        read_image(tmp_path)
