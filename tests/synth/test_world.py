import numpy as np
import pytest

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
