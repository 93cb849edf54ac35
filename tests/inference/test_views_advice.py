"""Averaged views suggested for strokes, not for boxes, and decided once per round."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.views_advice import (
    BOXES_VIEWS,
    NOTHING_PAINTED,
    STROKES_VIEWS,
    resolve_average_views,
    suggest_average_views,
)
from napari_finetune.session import LabellingSession, Pair, Prediction, RoundOptions, labelling
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import class_contact as class_contact_module
from napari_finetune.training.class_contact import Contact, class_contact, suggest_pseudo_labels


@pytest.fixture(scope="module")
def sample():
    return nf.voronoi_grains((128, 128), 10, seed=3)


@pytest.fixture(scope="module")
def strokes(sample):
    return paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)


@pytest.fixture(scope="module")
def box(sample):
    painted = np.zeros_like(sample.classes)
    painted[40:88, 40:88] = sample.classes[40:88, 40:88]
    assert set(np.unique(painted)) == {0, 1, 2}  # the box crosses a boundary
    return painted


def test_strokes_are_averaged_boxes_are_not_and_each_says_why(strokes, box):
    on, off, none = (suggest_average_views(p) for p in ([strokes], [box], []))
    assert (on.on, on.explanation) == (True, STROKES_VIEWS)
    assert (off.on, off.explanation) == (False, BOXES_VIEWS)
    assert (none.on, none.explanation) == (False, NOTHING_PAINTED)


def test_one_contact_serves_both_advices_and_is_read_only_when_asked(monkeypatch, strokes):
    calls = []

    measure = class_contact_module._contact_and_highest

    def counted(labels):
        calls.append(labels)
        return measure(labels)

    monkeypatch.setattr(class_contact_module, "_contact_and_highest", counted)
    contact = Contact([strokes])
    assert calls == []  # nothing read until an advice asks
    assert suggest_pseudo_labels(contact, 2).on and suggest_average_views(contact).on
    assert contact.highest == 2 and contact.value == class_contact([strokes])
    assert len(calls) == 2  # one pass for the advices and the head; one by class_contact


def test_auto_follows_the_painting_and_a_choice_is_kept(strokes, box):
    assert resolve_average_views("auto", [strokes]) is True
    assert resolve_average_views("auto", [box]) is False
    assert resolve_average_views(False, [strokes]) is False
    assert resolve_average_views(np.True_, [box]) is True
    with pytest.raises(ValueError, match=r"average_views='on' must be True, False or 'auto'"):
        resolve_average_views("on", [strokes])
    assert RoundOptions().average_views == "auto"
    with pytest.raises(ValueError, match="average_views=2"):
        RoundOptions(average_views=2)


def test_a_round_that_predicts_nothing_never_reads_the_painting_for_views(
    monkeypatch, sample, strokes
):
    def refuse(*args):
        raise AssertionError("views resolved for a round without predictions")

    monkeypatch.setattr(labelling, "resolve_average_views", refuse)
    session = LabellingSession([Pair(sample.image, strokes, "grains")])
    options = RoundOptions(
        steps=2, seed=0, live_previews=False, suggestions=None, final_predictions=False
    )
    events = list(session.train_round(options))
    assert not [e for e in events if isinstance(e, Prediction)]


@pytest.mark.parametrize(
    ("painting", "asked", "views"),
    [
        ("strokes", "auto", 8),
        ("strokes", False, 1),
        ("box", "auto", 1),
        ("box", True, 8),
    ],
)
def test_a_rounds_final_predictions_average_as_decided(
    sample, strokes, box, painting, asked, views
):
    labels = {"strokes": strokes, "box": box}[painting]
    session = LabellingSession([Pair(sample.image, labels, "grains")])
    options = RoundOptions(
        steps=2, seed=0, live_previews=False, suggestions=None, average_views=asked
    )
    finals = [e for e in session.train_round(options) if isinstance(e, Prediction) and e.final]
    assert [p.views for p in finals] == [views]  # the equiaxed preset allows 8 views
