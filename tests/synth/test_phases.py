import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_finetune.synth.phase_classes import LAMELLAR, MATRIX, PRECIPITATE, REGION_NAMES
from napari_finetune.synth.phases import second_phases

CLEAN = {"dose": None, "blur": 0.0}


def test_region_codes_are_documented_and_present():
    s = second_phases((160, 160), 10, colony_fraction=0.4, seed=1)
    assert REGION_NAMES == {1: "matrix", 2: "precipitate", 3: "lamellar colony"}
    assert set(np.unique(s.regions)) == {MATRIX, PRECIPITATE, LAMELLAR}
    assert s.regions.dtype == np.uint8 and s.image.dtype == np.float32


@pytest.mark.parametrize("sign", [1, -1])
def test_precipitates_are_where_the_image_is_brighter_or_darker(sign):
    s = second_phases(
        (128, 128), 8, colony_fraction=0.0, precipitate_contrast=0.3 * sign, seed=2, **CLEAN
    )
    precipitate = s.image[s.regions == PRECIPITATE]
    matrix = s.image[(s.regions == MATRIX) & (s.boundaries == 0)]
    assert precipitate.size > 100
    if sign > 0:
        assert precipitate.min() > matrix.max()
    else:
        assert precipitate.max() < matrix.min()


def test_intragranular_precipitates_sit_inside_one_grain():
    s = second_phases((128, 128), 8, colony_fraction=0.0, boundary_spacing=None, seed=3)
    particles, n = ndi.label(s.regions == PRECIPITATE)
    assert n > 10
    for index in range(1, n + 1):
        assert np.unique(s.grains[particles == index]).size == 1
    assert not (s.boundaries[s.regions == PRECIPITATE]).any()


def test_boundary_precipitates_cover_boundaries():
    s = second_phases(
        (128, 128), 8, precipitate_fraction=0.0, boundary_spacing=20.0, colony_fraction=0.0, seed=4
    )
    on_boundary = (s.regions == PRECIPITATE) & (s.boundaries > 0)
    assert on_boundary.sum() > 20


def test_colonies_fill_whole_grains_with_plates_inside():
    s = second_phases((128, 128), 8, colony_fraction=0.5, seed=5)
    colony_grains = np.unique(s.grains[s.regions == LAMELLAR])
    assert colony_grains.size >= 1
    for grain in colony_grains:
        assert (s.regions[s.grains == grain] == LAMELLAR).all()
    assert (s.regions[s.lamellae > 0] == LAMELLAR).all()
    plate_share = s.lamellae[s.regions == LAMELLAR].mean()
    assert 0.2 < plate_share < 0.5


def test_same_seed_identical_and_different_seed_different():
    a = second_phases((96, 96), 6, seed=7)
    b = second_phases((96, 96), 6, seed=7)
    c = second_phases((96, 96), 6, seed=8)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.regions, b.regions)
    assert not np.array_equal(a.regions, c.regions)


def test_bad_fraction_names_the_parameter():
    with pytest.raises(ValueError, match="colony_fraction"):
        second_phases((64, 64), 4, colony_fraction=1.5)
