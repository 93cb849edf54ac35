import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_finetune.synth.twins import annealing_twins

CLEAN = {"dose": None, "blur": 0.0}


def _direction(points):
    """Unit direction of the best-fit line through (y, x) points (PCA)."""
    centred = points - points.mean(axis=0)
    return np.linalg.svd(centred, full_matrices=False)[2][0]


def test_same_seed_identical_and_different_seed_different():
    a = annealing_twins((96, 96), 8, seed=3)
    b = annealing_twins((96, 96), 8, seed=3)
    c = annealing_twins((96, 96), 8, seed=4)
    for name in ("image", "grains", "boundaries", "twins", "twin_boundaries"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.grains, c.grains)
    assert not np.array_equal(a.twins, c.twins)


def test_every_twin_band_lies_inside_its_grain():
    s = annealing_twins((160, 160), 10, twin_fraction=1.0, seed=1)
    assert len(s.bands) >= 5
    for band in s.bands:
        parents = np.unique(s.grains[s.twins == band.twin_id])
        assert parents.tolist() == [band.grain]


def test_twin_bands_are_straight_and_parallel_sided():
    s = annealing_twins((200, 200), 8, twin_fraction=1.0, seed=2, **CLEAN)
    checked = 0
    for band in s.bands:
        inside = s.twins == band.twin_id
        near = ndi.binary_dilation(inside, iterations=2) & (s.grains == band.grain)
        edge = np.argwhere((s.twin_boundaries > 0) & near).astype(float)
        # Split the edge pixels by side of the band's own long axis (from its pixels).
        pixels = np.argwhere(inside).astype(float)
        axis = _direction(pixels)
        normal = np.array([-axis[1], axis[0]])
        side = (edge - pixels.mean(axis=0)) @ normal > 0
        if min(side.sum(), (~side).sum()) < 15:
            continue
        one, other = _direction(edge[side]), _direction(edge[~side])
        angle = np.degrees(np.arccos(min(1.0, abs(one @ other))))
        assert angle < 3.0
        assert np.degrees(np.arccos(min(1.0, abs(one @ axis)))) < 3.0
        checked += 1
    assert checked >= 3


def test_twin_boundaries_are_interior_in_classes():
    s = annealing_twins((128, 128), 10, twin_fraction=1.0, seed=5)
    assert s.twin_boundaries.sum() > 0
    assert not (s.twin_boundaries.astype(bool) & s.boundaries.astype(bool)).any()
    assert (s.classes[s.twin_boundaries > 0] == 1).all()
    assert set(np.unique(s.classes)) == {1, 2}


def test_twins_have_their_own_grey_level():
    s = annealing_twins(
        (128, 128), 10, twin_fraction=1.0, twin_boundary_contrast=0.0, seed=6, **CLEAN
    )
    interior = s.boundaries == 0
    for band in s.bands:
        twin = np.median(s.image[(s.twins == band.twin_id) & interior])
        matrix = np.median(s.image[(s.grains == band.grain) & (s.twins == 0) & interior])
        assert abs(twin - matrix) > 0.05


def test_no_twins_when_fraction_is_zero():
    s = annealing_twins((96, 96), 8, twin_fraction=0.0, seed=0)
    assert s.bands == () and s.twins.max() == 0 and s.twin_boundaries.max() == 0


def test_bad_twin_width_names_the_parameter():
    with pytest.raises(ValueError, match="twin_width"):
        annealing_twins((64, 64), 4, twin_width=(0.3, 0.1))
