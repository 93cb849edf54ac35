import numpy as np
import pytest
from scipy import ndimage as ndi

import napari_finetune as nf
from napari_finetune.synth.strokes import describe_strokes, paint_strokes


@pytest.fixture(scope="module")
def sample():
    return nf.voronoi_grains((512, 512), 60, seed=0)


def test_strokes_are_sparse_and_touch_both_classes(sample):
    painted = paint_strokes(sample, seed=0)
    assert painted.dtype == np.uint8
    assert set(np.unique(painted)) == {0, 1, 2}
    assert 0.002 < (painted > 0).mean() < 0.05


def test_strokes_agree_with_the_exact_labels(sample):
    painted = paint_strokes(sample, seed=0)
    assert np.all(sample.boundaries[painted == 2] == 1)
    assert np.all(sample.boundaries[painted == 1] == 0)


def test_strokes_are_few_connected_brush_strokes_not_scattered_pixels(sample):
    painted = paint_strokes(sample, n_boundary_strokes=6, n_interior_strokes=8, seed=0)
    for cls, count in ((1, 8), (2, 6)):
        components, n = ndi.label(painted == cls, structure=np.ones((3, 3)))
        sizes = np.bincount(components.ravel())[1:]
        assert 1 <= n <= count + 2
        assert sizes.min() >= 15  # a stroke, not a speck
        # elongated like a stroke: each component's bounding box is far from square-filled
        for box in ndi.find_objects(components):
            h, w = box[0].stop - box[0].start, box[1].stop - box[1].start
            assert max(h, w) >= 10


def test_each_interior_stroke_stays_inside_one_grain(sample):
    painted = paint_strokes(sample, seed=4)
    components, n = ndi.label(painted == 1, structure=np.ones((3, 3)))
    for k in range(1, n + 1):
        assert len(np.unique(sample.grains[components == k])) == 1


def test_strokes_are_deterministic_per_seed(sample):
    np.testing.assert_array_equal(paint_strokes(sample, seed=3), paint_strokes(sample, seed=3))
    assert (paint_strokes(sample, seed=3) != paint_strokes(sample, seed=4)).any()


@pytest.mark.parametrize("n_grains", [1, 2])
def test_too_few_grains_give_an_empty_painting_that_says_why(n_grains):
    sample = nf.voronoi_grains((64, 64), n_grains, seed=0)
    painted = paint_strokes(sample, seed=0)
    assert painted.shape == (64, 64) and painted.dtype == np.uint8
    said = describe_strokes(painted)
    assert "could be placed" in said and "generate more grains" in said


def test_a_full_painting_is_described_with_its_pixel_counts(sample):
    painted = paint_strokes(sample, seed=0)
    said = describe_strokes(painted)
    assert f"{int((painted == 1).sum()):,} px grain interior" in said
    assert "could be placed" not in said
