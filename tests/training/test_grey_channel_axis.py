"""Training reads a grey image with its channel axis of 1 as grey, like prediction does."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.data.normalize import Normalization
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training.advisor import ComparisonFinished, compare_strategies
from napari_finetune.training.advisor_plan import plan_comparison
from napari_finetune.training.objectives import unlabelled_planes

QUICK = {"steps": 3, "batch_size": 2, "patch_size": 64, "seed": 0, "augmentation": None}


@pytest.fixture(scope="module")
def grey():
    sample = nf.voronoi_grains((128, 128), 10, seed=3)
    return sample.image, paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=5, seed=1)


@pytest.fixture(scope="module")
def trained_on_grey(grey):
    return nf.fit(*grey, **QUICK)[0]


def same_weights(a, b):
    one, other = a.net.state_dict(), b.net.state_dict()
    return one.keys() == other.keys() and all((one[k] == other[k]).all() for k in one)


@pytest.mark.parametrize("labels_axis", [False, True], ids=["labels 2D", "labels with axis"])
def test_fit_on_a_grey_image_with_its_channel_axis_trains_as_on_grey(
    grey, trained_on_grey, labels_axis
):
    image, labels = grey
    painting = labels[..., None] if labels_axis else labels
    model, history = nf.fit(image[..., None], painting, **QUICK)
    assert model.in_channels == 1 and history
    assert same_weights(model, trained_on_grey)
    # Provenance names the grey image it learnt from, as a run on (rows, cols) does.
    assert model.provenance[-1]["images"] == trained_on_grey.provenance[-1]["images"]
    assert model.provenance[-1]["labels"] == trained_on_grey.provenance[-1]["labels"]
    np.testing.assert_array_equal(
        nf.predict(model, image[..., None]), nf.predict(trained_on_grey, image)
    )


def test_fit_on_a_grey_stack_with_its_channel_axis_trains_as_on_the_stack(grey):
    image, labels = grey
    stack, painted = np.stack([image, image[::-1]]), np.stack([labels, labels[::-1]])
    reference = nf.fit(stack, painted, **QUICK)[0]
    with_axis = nf.fit(stack[..., None], painted, **QUICK)[0]
    assert same_weights(with_axis, reference)


def test_two_channels_are_still_refused_in_the_same_words(grey):
    image, labels = grey
    with pytest.raises(ValueError) as refused:
        nf.fit(np.stack([image, image], axis=-1), labels, **QUICK)
    assert str(refused.value) == (
        "image 0 has shape (128, 128, 2) but its labels have shape (128, 128): they must "
        "cover the same pixels (RGB or RGBA images may add a last axis of 3 or 4)."
    )


def test_unlabelled_grey_images_with_their_channel_axis_are_one_plane_each(grey):
    image, _ = grey
    (plane,) = unlabelled_planes(image[..., None], 1, Normalization(), seed=0)
    np.testing.assert_array_equal(plane, Normalization()(image[..., None]))


# Slow: a comparison's runs; every training entry point pairs images in as_pairs,
# which the fit tests above go through.
@pytest.mark.slow
def test_the_advisor_compares_on_a_grey_image_with_its_channel_axis():
    sample = nf.voronoi_grains((256, 256), 25, seed=1)
    image, labels = sample.image, paint_strokes(sample, seed=2)
    reference = plan_comparison(image, labels, (1.0,), seed=0)
    plan = plan_comparison(image[..., None], labels[..., None], (1.0,), seed=0)
    (held,), (expected,) = plan.held_out, reference.held_out
    np.testing.assert_array_equal(held, expected)  # (rows, cols): the grey image's
    np.testing.assert_array_equal(plan.subsets[0].labels[0], reference.subsets[0].labels[0])
    events = compare_strategies(
        image[..., None], labels, strategies=("head",), fractions=(1.0,), seconds=1.0
    )
    finished = [e for e in events if isinstance(e, ComparisonFinished)]
    assert len(finished) == 1 and len(finished[0].comparison.runs) == 2
