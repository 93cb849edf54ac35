import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_finetune.synth.membranes import MITOCHONDRION, VESICLE, em_membranes

CLEAN = {"dose": None, "blur": 0.0, "texture": 0.0}


def test_organelles_are_not_membrane():
    s = em_membranes((128, 128), 8, seed=1)
    organelle = s.organelles > 0
    assert set(np.unique(s.organelles)) == {0, MITOCHONDRION, VESICLE}
    assert not (organelle & (s.membranes > 0)).any()
    assert (s.classes[organelle] == 1).all()
    assert set(np.unique(s.classes)) == {1, 2}


def test_each_organelle_lies_inside_one_cell():
    s = em_membranes((128, 128), 8, seed=2)
    blobs, n = ndi.label(s.organelles > 0)
    assert n >= 8
    for index in range(1, n + 1):
        assert np.unique(s.cells[blobs == index]).size == 1


def test_organelle_rims_are_dark_like_membranes():
    s = em_membranes((128, 128), 8, seed=3, **CLEAN)
    organelle = s.organelles > 0
    rim = organelle & ~ndi.binary_erosion(organelle)
    cytoplasm = (s.organelles == 0) & (s.membranes == 0)
    assert s.image[rim].mean() < s.image[cytoplasm].mean() - 0.3
    assert s.image[s.membranes > 0].mean() < s.image[cytoplasm].mean() - 0.3


def test_membranes_enclose_cells():
    s = em_membranes((128, 128), 8, seed=4)
    assert np.unique(s.cells).tolist() == list(range(1, 9))
    assert 0.03 < s.membranes.mean() < 0.25


def test_same_seed_identical_and_different_seed_different():
    a, b = em_membranes((64, 64), 4, seed=5), em_membranes((64, 64), 4, seed=5)
    for name in ("image", "cells", "membranes", "organelles"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.cells, em_membranes((64, 64), 4, seed=6).cells)


def test_bad_warp_names_the_parameter():
    with pytest.raises(ValueError, match="warp"):
        em_membranes((64, 64), 4, warp=1.0)
