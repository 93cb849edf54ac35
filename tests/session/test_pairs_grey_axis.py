"""A Pair of a grey image with its channel axis of 1 is a grey pair, lazily so."""

import dask.array as da
import numpy as np
import pytest
import zarr

import napari_finetune as nf
from napari_finetune.session import LabellingSession, Pair, Prediction, RoundOptions, Suggestions
from napari_finetune.session.options import SuggestionOptions
from napari_finetune.synth.strokes import paint_strokes


@pytest.fixture(scope="module")
def grey():
    sample = nf.voronoi_grains((128, 128), 10, seed=3)
    return sample.image, paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=5, seed=1)


def test_a_grey_image_with_its_axis_is_a_2d_pair_not_a_stack_of_rows(grey):
    image, labels = grey
    for painting in (labels, labels[..., None]):
        # The viewer's slider over (rows, cols, 1) gave a row index as the plane.
        pair = Pair(image[..., None], painting, "grey", plane=7 if painting.ndim == 3 else None)
        assert pair.image.shape == pair.labels.shape == (128, 128) and pair.plane is None
        assert pair.plane_image.shape == (128, 128)
        assert np.shares_memory(pair.image, image)  # a view, nothing copied
    with pytest.raises(ValueError, match="is 2D: it has no plane 3"):
        Pair(image[..., None], labels, "grey", plane=3)


def test_a_grey_stack_with_its_axis_keeps_its_planes(grey):
    image, labels = grey
    stack, painted = np.stack([image, image]), np.stack([labels, labels])
    pair = Pair(stack[..., None], painted[..., None], "stack", plane=1)
    assert pair.image.shape == pair.labels.shape == (2, 128, 128) and pair.plane == 1
    assert pair.plane_image.shape == (128, 128)


def test_a_lazy_grey_image_with_its_axis_stays_lazy(grey):
    image, labels = grey
    for lazy in (da.from_array(image[..., None], chunks=64), zarr.array(image[..., None])):
        pair = Pair(lazy, labels, "lazy")
        assert isinstance(pair.image, da.Array) and pair.image.shape == (128, 128)
        np.testing.assert_array_equal(pair.read().image, image)


def test_two_channels_are_left_for_training_to_refuse(grey):
    image, labels = grey
    two = np.stack([image, image], axis=-1)
    assert Pair(two, labels, "two").image is two


def test_a_round_on_a_grey_image_with_its_axis_trains_as_on_grey(grey):
    image, labels = grey
    options = RoundOptions(
        steps=3,
        augmentation=None,
        live_previews=False,
        suggestions=SuggestionOptions(n=2, size=32),
    )
    results = []
    for pair in (Pair(image, labels, "grey"), Pair(image[..., None], labels[..., None], "grey")):
        session = LabellingSession([pair])
        events = list(session.train_round(options))
        (final,) = [e for e in events if isinstance(e, Prediction) and e.final]
        (found,) = [e for e in events if isinstance(e, Suggestions)]
        assert final.plane is None and final.probabilities.shape == (2, 128, 128)
        assert found.uncertainty.shape == (128, 128)
        results.append((session.model, final.probabilities))
    (grey_model, grey_map), (axis_model, axis_map) = results
    np.testing.assert_array_equal(axis_map, grey_map)
    for key, weight in grey_model.net.state_dict().items():
        assert (axis_model.net.state_dict()[key] == weight).all(), key
