"""Averaging over the flipped and rotated views the model's training allowed."""

import dataclasses
import warnings

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune.augment import AugmentationPipeline
from napari_finetune.inference import views
from napari_finetune.inference.views import (
    IDENTITY,
    averaged,
    model_views,
    symmetry_views,
)


def _trained_with(model, preset):
    return dataclasses.replace(
        model, augmentation=AugmentationPipeline.from_preset(preset).to_yaml()
    )


def test_views_are_the_group_the_allowed_transforms_make():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    seen = lambda views: {tuple(v.there(x).flatten().tolist()) for v in views}  # noqa: E731
    dihedral = symmetry_views(True, True, True)
    assert len(dihedral) == len(seen(dihedral)) == 8
    assert len(symmetry_views(False, False, True)) == 4
    assert len(symmetry_views(True, False, True)) == 8  # turns + one mirror make both
    both = symmetry_views(True, True, False)
    assert seen(both) == {
        tuple(t.flatten().tolist()) for t in (x, x.flip(-1), x.flip(-2), x.flip(-1).flip(-2))
    }
    assert seen(symmetry_views(False, True, False)) == seen([IDENTITY[0]]) | {
        tuple(x.flip(-2).flatten().tolist())
    }
    assert symmetry_views(False, False, False) == IDENTITY
    # every view's back undoes its there (on non-square planes too)
    wide = torch.randn(1, 2, 5, 7)
    for view in dihedral:
        torch.testing.assert_close(view.back(view.there(wide)), wide)


def test_the_model_record_decides_the_views_and_physics_forbids_some(model):
    assert model.augmentation is None and model_views(model) == IDENTITY  # shipped, as is
    assert len(model_views(_trained_with(model, "equiaxed"))) == 8
    # a thermal gradient is real: the mirror left-right only, never upside down or turned
    directional = model_views(_trained_with(model, "directional"))
    assert [(v.quarter_turns, v.mirrored) for v in directional] == [(0, False), (0, True)]
    assert model_views(_trained_with(model, "ebsd")) == IDENTITY


def test_averaged_logits_give_the_mean_of_the_views_probabilities():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 3, 3, padding=1)  # not mirror-symmetric: views disagree
    x = torch.randn(1, 1, 6, 9)
    views = symmetry_views(True, True, True)
    with torch.no_grad():
        got = torch.softmax(averaged(conv, views)(x), 1)
        want = sum(v.back(torch.softmax(conv(v.there(x)), 1)) for v in views) / 8
        plain = torch.softmax(conv(x), 1)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    assert (got - plain).abs().max() > 1e-3
    assert averaged(conv, IDENTITY) is conv


def _dihedral(a):
    """The 8 views of a (rows, cols) array, each with how to turn a (K, rows, cols) answer back."""
    out = []
    for turned in (False, True):
        b = a.T if turned else a
        for rows, cols in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            view = np.ascontiguousarray(b[::rows, ::cols])

            def back(p, rows=rows, cols=cols, turned=turned):
                p = p[:, ::rows, ::cols]
                return p.transpose(0, 2, 1) if turned else p

            out.append((view, back))
    return out


def test_predict_averages_the_views_of_the_whole_image(model):
    trained = _trained_with(model, "equiaxed")
    image = nf.voronoi_grains((96, 128), 12, seed=3).image  # one tile, no padding
    got = nf.predict(trained, image, average_views=True)
    each = [back(nf.predict(trained, view)) for view, back in _dihedral(image)]
    np.testing.assert_allclose(got, np.mean(each, 0), atol=1e-4)
    assert got.dtype == np.float32
    assert np.abs(got - each[0]).max() > 1e-2  # the views do not all agree
    # a model that trained with no flips is predicted once
    np.testing.assert_array_equal(
        nf.predict(model, image, average_views=True), nf.predict(model, image)
    )


def test_an_unreadable_record_predicts_one_view_with_a_warning(model, monkeypatch):
    monkeypatch.setattr(views, "_SAID_DAMAGED", set())  # nothing said before this test
    damaged = dataclasses.replace(model, augmentation="transforms: [{name: Warp}]\nversion: 99")
    with pytest.warns(UserWarning, match="record cannot be read"):
        assert model_views(damaged) == IDENTITY
    image = nf.voronoi_grains((64, 64), 5, seed=1).image
    with warnings.catch_warnings():  # said once: a prediction and its status line ask again
        warnings.simplefilter("error")
        np.testing.assert_array_equal(
            nf.predict(damaged, image, average_views=True), nf.predict(model, image)
        )
        assert model_views(damaged) == IDENTITY
    other = dataclasses.replace(model, augmentation="transforms: [{name: Swirl}]\nversion: 99")
    with pytest.warns(UserWarning, match="record cannot be read"):  # another record is said
        assert model_views(other) == IDENTITY
    renamed = dataclasses.replace(damaged, name="copied.ckpt")
    with pytest.warns(UserWarning, match="model copied.ckpt"):  # another model is said
        assert model_views(renamed) == IDENTITY


def test_a_transform_never_drawn_is_not_a_view(model):
    pipeline = AugmentationPipeline.from_preset("equiaxed").with_probability("RandomRotate90", 0)
    views = model_views(dataclasses.replace(model, augmentation=pipeline.to_yaml()))
    assert len(views) == 4 and all(v.quarter_turns in (0, 2) for v in views)


def test_a_record_a_later_version_refuses_for_an_intensity_transform_keeps_its_views():
    from napari_finetune.inference.views import model_views

    # An eels model trained (before ShotNoise was refused there) with flips, turns
    # and shot noise: still averaged over its 8 views, with no warning.
    record = AugmentationPipeline.from_preset("custom")
    for name in ("HorizontalFlip", "VerticalFlip", "RandomRotate90", "ShotNoise"):
        record = record.with_enabled(name)
    text = record.to_yaml().replace("preset: custom", "preset: eels")
    with pytest.raises(ValueError, match="ShotNoise is not allowed"):
        AugmentationPipeline.from_yaml(text)
    model = nf.load_model("voronoi-unet")
    model.augmentation = text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(model_views(model)) == 8
    # A geometric transform the preset refuses still costs the views (physics wins).
    model.augmentation = text.replace("preset: eels", "preset: ebsd")
    with pytest.warns(UserWarning, match="cannot be read"):
        assert len(model_views(model)) == 1
