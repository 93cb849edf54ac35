import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.augment.presets import PRESETS
from napari_finetune.synth.world import KINDS, grey, preset_for, world_sample

SHAPE = (96, 96)
RGB_KINDS = {"tint_etch", "ebsd_ipf"}


def test_kinds_include_the_voronoi_sem_grains_and_describe_each():
    assert "sem_grains" in KINDS
    assert set(KINDS) >= {"twins", "second_phases", "tint_etch", "ebsd_ipf", "em_membranes"}
    assert all(isinstance(text, str) and text for text in KINDS.values())


@pytest.mark.parametrize("kind", list(KINDS))
def test_common_view_of_every_kind(kind):
    s = world_sample(kind, 0, SHAPE)
    assert s.kind == kind
    assert s.image.dtype == np.float32
    assert s.image.shape == ((*SHAPE, 3) if kind in RGB_KINDS else SHAPE)
    assert s.is_rgb == (kind in RGB_KINDS)
    assert s.classes.dtype == np.uint8 and s.classes.shape == SHAPE
    assert set(np.unique(s.classes)) == {1, 2}
    assert (s.regions is not None) == (kind == "second_phases")
    assert s.preset == preset_for(kind) and s.preset in PRESETS
    assert s.grey().shape == SHAPE and s.grey().dtype == np.float32


def test_ebsd_is_trained_with_the_ebsd_preset():
    assert preset_for("ebsd_ipf") == "ebsd"
    assert preset_for("sem_grains") == "equiaxed"


@pytest.mark.parametrize("kind", list(KINDS))
def test_same_seed_identical_different_seed_different(kind):
    a, b, c = (world_sample(kind, seed, SHAPE) for seed in (3, 3, 4))
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.classes, b.classes)
    assert not np.array_equal(a.image, c.image)


def test_a_generator_gives_a_stream_of_different_samples():
    rng = np.random.default_rng(0)
    first, second = world_sample("twins", rng, SHAPE), world_sample("twins", rng, SHAPE)
    assert not np.array_equal(first.image, second.image)


def test_kinds_of_one_seed_are_different_microstructures():
    a = world_sample("sem_grains", 0, SHAPE)
    b = world_sample("twins", 0, SHAPE)
    assert not np.array_equal(a.classes, b.classes)


def test_unknown_kind_names_it_and_the_choices():
    with pytest.raises(ValueError, match="'martensite'") as error:
        world_sample("martensite", 0, SHAPE)
    assert all(kind in str(error.value) for kind in KINDS)
    with pytest.raises(ValueError, match="'martensite'"):
        preset_for("martensite")


def test_grey_is_luminance():
    rgb = np.zeros((2, 2, 3), np.float32)
    rgb[..., 1] = 1.0
    np.testing.assert_allclose(grey(rgb), 0.7152, atol=1e-3)
    flat = np.full((2, 2), 0.3, np.float32)
    assert grey(flat) is flat


@pytest.mark.parametrize(
    ("make", "bad", "said"),
    [
        ("annealing_twins", {"dose": 0}, "dose=0 is invalid"),
        ("second_phases", {"dose": -5}, "dose=-5 is invalid"),
        ("em_membranes", {"dose": 0}, "dose=0 is invalid"),
        ("annealing_twins", {"blur": -3}, "blur=-3 is invalid"),
        ("second_phases", {"contrast": 5}, "contrast=5 is invalid"),
        ("second_phases", {"boundary_contrast": -2}, "boundary_contrast=-2 is invalid"),
        ("second_phases", {"seed": -1}, "seed=-1 is invalid"),
        ("em_membranes", {"seed": 1.5}, "seed=1.5 is invalid"),
        ("tint_etch", {"seed": -1}, "seed=-1 is invalid"),
        ("ipf_map", {"seed": True}, "seed=True is invalid"),
        ("em_membranes", {"n_cells": 0}, "n_cells=0 is invalid"),
        ("em_membranes", {"membrane_width": 0}, "membrane_width=0 is invalid"),
    ],
)
def test_every_kind_names_a_parameter_out_of_range(make, bad, said):
    import napari_finetune.synth as synth

    with pytest.raises(ValueError, match=said):
        getattr(synth, make)((64, 64), **bad)


def test_grains_that_cannot_be_placed_are_a_value_error_naming_what_to_lower():
    with pytest.raises(ValueError, match="lower n_grains or size_spread"):
        nf.voronoi_grains((64, 64), 256, boundary_width=1, size_spread=0.6)
