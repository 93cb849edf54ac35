"""Pretraining on the wider synthetic world (issue 20): the mixture and the successor's name."""

import numpy as np
import pytest

from napari_finetune.data.normalize import Normalization
from napari_finetune.training import pretrain as pre


def test_the_mixture_keeps_voronoi_grains_and_adds_the_grey_kinds(monkeypatch):
    drawn = []
    real = pre.random_sample

    def voronoi(rng, side=256):
        drawn.append("v")
        return real(rng, side)

    monkeypatch.setattr(pre, "random_sample", voronoi)
    import napari_finetune.synth as synth

    real_world = synth.world_sample

    def world(kind, rng, shape):
        drawn.append(kind)
        return real_world(kind, rng, shape)

    monkeypatch.setattr(synth, "world_sample", world)
    rng = np.random.default_rng(0)
    for _ in range(30):
        image, classes = pre.world_mixture_sample(rng, side=128)
        assert image.shape == classes.shape == (128, 128)
        assert set(np.unique(classes)) <= {1, 2} and (classes == 2).any()
    assert set(drawn) == {"v", *pre.WORLD_GREY_KINDS}  # no colour kinds in a grey model
    assert 0.2 < drawn.count("v") / len(drawn) < 0.6


def test_world_batches_are_labelled_patches_that_repeat_with_the_seed():
    batches = pre.synthetic_batches(4, 64, Normalization(), seed=3, world=True)
    x, y = next(batches)
    assert x.shape == (4, 1, 64, 64) and y.shape == (4, 64, 64)
    assert set(y.unique().tolist()) <= {0, 1}
    again_x, again_y = next(pre.synthetic_batches(4, 64, Normalization(), seed=3, world=True))
    assert (x == again_x).all() and (y == again_y).all()
    plain_x, _ = next(pre.synthetic_batches(4, 64, Normalization(), seed=3))
    assert not (x == plain_x).all()


@pytest.mark.filterwarnings("ignore")
def test_a_world_pretraining_names_its_model():
    events = list(pre.pretrain(minutes=0.02, batch_size=2, patch_size=64, world=True))
    model = events[-1]
    assert model.name == pre.WORLD_MODEL and len(events) > 1
    assert not model.net.training and model.n_classes == 2


def test_the_region_mixture_labels_precipitates_and_colonies_off_the_boundaries():
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(40):
        image, classes = pre.world_mixture_sample(rng, side=128, regions=True)
        assert image.shape == classes.shape == (128, 128)
        assert set(np.unique(classes)) <= set(pre.REGION_CLASSES)
        seen |= set(np.unique(classes).tolist())
    assert seen == set(pre.REGION_CLASSES)
    # The same draws without regions are boundary/interior only, boundaries unchanged.
    plain = pre.world_mixture_sample(np.random.default_rng(1), side=128)[1]
    again = pre.world_mixture_sample(np.random.default_rng(1), side=128, regions=True)[1]
    assert ((plain == 2) == (again == 2)).all()


@pytest.mark.filterwarnings("ignore")
def test_a_region_pretraining_makes_the_four_class_variant():
    events = list(
        pre.pretrain(minutes=0.02, batch_size=2, patch_size=64, world=True, regions=True)
    )
    model = events[-1]
    assert model.name == pre.WORLD_REGIONS_MODEL and model.n_classes == 4
    assert model.classes == pre.REGION_CLASSES
    with pytest.raises(ValueError, match="needs world=True"):
        next(pre.pretrain(minutes=0.02, regions=True))


def test_pretraining_turns_and_mirrors_only_kinds_whose_preset_allows_it():
    # The pretraining stream turns and mirrors every patch (training/pretrain.py);
    # a kind whose physics forbids it (EBSD maps, directional columns) must stay out.
    from napari_finetune.augment import get_preset
    from napari_finetune.synth.world import preset_for
    from napari_finetune.training.pretrain import WORLD_GREY_KINDS

    for kind in WORLD_GREY_KINDS:
        preset = get_preset(preset_for(kind))
        assert all(preset.allows(t) for t in ("RandomRotate90", "HorizontalFlip")), kind
