"""Strokes vs boxes: whether the classes of a painting meet, and 'auto' pseudo-labels."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.session import RoundOptions
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Preparing
from napari_finetune.training.class_contact import (
    NEW_HEAD_ADVICE,
    NEW_HEAD_NOTICE,
    STROKES_BELOW,
    STROKES_NOTICE,
    Contact,
    class_contact,
    resolve_semi_supervised,
    suggest_pseudo_labels,
)


@pytest.fixture(scope="module")
def sample():
    return nf.voronoi_grains((128, 128), 10, seed=3)


def box_painting(sample, corner=(40, 40), side=48):
    painted = np.zeros_like(sample.classes)
    rows, cols = slice(corner[0], corner[0] + side), slice(corner[1], corner[1] + side)
    painted[rows, cols] = sample.classes[rows, cols]
    return painted


def small(**kwargs):
    return {"batch_size": 4, "patch_size": 64, "seed": 0, "steps": 2} | kwargs


def test_strokes_never_meet_and_boxes_do(sample):
    strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)
    box = box_painting(sample)
    assert set(np.unique(box)) == {0, 1, 2}  # the box crosses a boundary
    assert class_contact([strokes]) < STROKES_BELOW < class_contact([box])
    assert suggest_pseudo_labels([strokes]).on and not suggest_pseudo_labels([box]).on
    # Two boxes show where classes meet; a sample's strokes beside one box mostly do not.
    assert not suggest_pseudo_labels([box, box_painting(sample, (10, 10))]).on
    demo = nf.voronoi_grains((512, 512), 60, seed=0)  # the demo's size, default strokes
    mixed = paint_strokes(demo, seed=0)
    mixed[200:248, 240:288] = demo.classes[200:248, 240:288]
    assert 0 < class_contact([mixed]) < STROKES_BELOW and suggest_pseudo_labels([mixed]).on


def test_strokes_on_a_new_head_are_suggested_off(sample):
    strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)
    box = box_painting(sample)
    assert Contact([strokes]).highest == 2 and Contact([np.zeros((4, 4))]).highest == 0
    # On the start model's own two-class head (or a head not known): on.
    assert suggest_pseudo_labels([strokes], start_classes=2).on
    assert suggest_pseudo_labels([strokes], start_classes=None).on
    # Another class count, or from scratch (0): a new head, off, and said so.
    for start_classes in (3, 0):
        advice = suggest_pseudo_labels([strokes], start_classes=start_classes)
        assert not advice.on and advice.explanation == NEW_HEAD_ADVICE
    third = strokes.copy()
    third[0, :20] = 3  # a third class painted on the two-class start
    assert not suggest_pseudo_labels(Contact([third]), start_classes=2).on
    # Boxes stay off for their own reason; nothing painted says when it will be judged.
    assert "shows where classes meet" in suggest_pseudo_labels([box], 0).explanation
    assert "once you paint" in suggest_pseudo_labels([np.zeros((8, 8))], 0).explanation


def test_contact_counts_edges_by_hand():
    painted = np.zeros((4, 6), np.uint8)
    painted[1, 1:3] = 1  # two pixels of class 1 ...
    painted[1, 3] = 2  # ... touching one of class 2
    # The 1-2 pair counts from both sides (2 contacts); open edges 3 + 2 + 3 = 8.
    assert class_contact([painted]) == pytest.approx(2 / 10)
    assert class_contact([np.ones((3, 3), np.uint8)]) is None  # nothing unpainted, no contact
    assert class_contact([np.zeros((3, 3), np.uint8)]) is None
    assert class_contact([np.array([[1, 2], [2, 1]])]) == 1.0


def test_rows_and_planes_do_not_wrap():
    # Class 1 ends a row and class 2 starts the next; plane 0 ends in 1, plane 1 starts in 2.
    rows = np.zeros((3, 4), np.uint8)
    rows[0, 3], rows[1, 0] = 1, 2
    assert class_contact([rows]) == 0.0
    stack = np.zeros((2, 3, 3), np.uint8)
    stack[0, 2, 0], stack[1, 0, 0] = 1, 2  # the same column, one plane apart
    assert class_contact([stack]) == 0.0
    stack[1, 0, 1] = 1  # meets the 2 beside it in plane 1: 2 contacts, open 2 + 1 + 1 + 1
    assert class_contact(stack) == pytest.approx(2 / 7)


@pytest.mark.parametrize("rows_at_once", [1, 7, 127])
def test_blocks_of_rows_count_as_the_whole(monkeypatch, sample, rows_at_once):
    box, strokes = box_painting(sample), paint_strokes(sample, 4, 4, seed=1)
    stack = np.stack([box, strokes, np.roll(box, 1, axis=0)])  # 127: a last block of 1 row
    whole = [class_contact([box]), class_contact([stack])]
    monkeypatch.setattr("napari_finetune.training.class_contact.ROWS_AT_ONCE", rows_at_once)
    assert [class_contact([box]), class_contact([stack])] == whole


def test_auto_resolves_from_the_painting_and_bad_values_are_refused(sample):
    strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)
    assert resolve_semi_supervised("auto", [strokes]) is True
    assert resolve_semi_supervised("auto", [box_painting(sample)]) is False
    assert resolve_semi_supervised(False, [strokes]) is False
    assert resolve_semi_supervised(1, [box_painting(sample)]) is True
    for bad in ("yes", 2, None):
        with pytest.raises(ValueError, match="must be True, False or 'auto'"):
            resolve_semi_supervised(bad, [strokes])
    with pytest.raises(ValueError, match="must be True, False or 'auto'"):
        RoundOptions(semi_supervised="sometimes")


def test_the_engine_turns_pseudo_labels_on_for_strokes_and_says_so(sample):
    strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)
    events = list(nf.finetune(sample.image, strokes, **small()))
    said = [e.stage for e in events if isinstance(e, Preparing)]
    options = events[-1].model.provenance[-1]["options"]
    # Recorded as a switch, so that a retrain repeats it whatever 'auto' would say then.
    assert options["semi_supervised"] is True and STROKES_NOTICE in said

    events = list(nf.finetune(sample.image, box_painting(sample), **small()))
    options = events[-1].model.provenance[-1]["options"]
    assert options["semi_supervised"] is False
    assert STROKES_NOTICE not in [e.stage for e in events if isinstance(e, Preparing)]
    # Asked for explicitly, no notice: the user knows.
    events = list(nf.finetune(sample.image, strokes, semi_supervised=True, **small()))
    assert STROKES_NOTICE not in [e.stage for e in events if isinstance(e, Preparing)]


def test_strokes_on_a_new_head_keep_pseudo_labels_off_and_say_why(sample):
    strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)
    phases = strokes.copy()
    phases[60:64, 60:64] = 3  # a third class: the two-class start model gets a new head
    assert class_contact([phases]) < STROKES_BELOW  # still strokes
    events = list(nf.finetune(sample.image, phases, **small()))
    said = [e.stage for e in events if isinstance(e, Preparing)]
    assert events[-1].model.provenance[-1]["options"]["semi_supervised"] is False
    assert NEW_HEAD_NOTICE in said and STROKES_NOTICE not in said
    # From scratch the head is new too; asked for explicitly, they are on all the same.
    events = list(nf.finetune(sample.image, strokes, strategy="scratch", **small()))
    assert events[-1].model.provenance[-1]["options"]["semi_supervised"] is False
    events = list(nf.finetune(sample.image, phases, semi_supervised=True, **small()))
    assert events[-1].model.provenance[-1]["options"]["semi_supervised"] is True
    assert NEW_HEAD_NOTICE not in [e.stage for e in events if isinstance(e, Preparing)]


def test_a_run_recorded_before_auto_repeats_without_pseudo_labels(sample, repeat_options):
    strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)
    model, _ = nf.fit(sample.image, strokes, semi_supervised=False, **small())
    for key in ("semi_supervised", "adaptation"):  # as a record from before the levers
        del model.provenance[-1]["options"][key]
    seen = repeat_options(model, [sample.image], [strokes])
    # Strokes: 'auto' would turn them on; the run it repeats had none.
    assert seen["semi_supervised"] is False and seen["adaptation"] == "none"


def test_unlabelled_images_a_box_painting_does_not_use_are_said(sample):
    events = list(
        nf.finetune(sample.image, box_painting(sample), unlabelled=[sample.image], **small())
    )
    said = " ".join(e.stage for e in events if isinstance(e, Preparing))
    assert "unlabelled images given are not used" in said
    assert events[-1].model.provenance[-1]["options"]["semi_supervised"] is False


@pytest.mark.parametrize("rows_at_once", [5, 1024])
def test_a_box_on_a_wide_mosaic_counts_as_on_its_own(monkeypatch, sample, rows_at_once):
    monkeypatch.setattr("napari_finetune.training.class_contact.ROWS_AT_ONCE", rows_at_once)
    box = box_painting(sample, (0, 0), 48)[:48, :48]  # painted to all four edges
    # Only the painted columns (and one beside them) are read: the sides of the box
    # inside the mosaic are open edges, those on the mosaic's own edge are not.
    wide = np.zeros((48, 3000), box.dtype)
    for left, sides in ((0, (0, 1)), (1500, (1, 1)), (3000 - 48, (1, 0))):
        wide[:] = 0
        wide[:, left : left + 48] = box
        alone = np.pad(box, ((0, 0), sides))
        assert class_contact([wide]) == class_contact([alone])
    # A taller mosaic, the box across a block's edge: its top and bottom open too.
    tall = np.zeros((2 * rows_at_once + 60, 3000), box.dtype)
    top = max(rows_at_once - 7, 3)
    tall[top : top + 48, 1500:1548] = box
    assert class_contact([tall]) == pytest.approx(class_contact([np.pad(box, 1)]))
    wide[:, :48] = box  # two boxes far apart on one row of blocks
    assert class_contact([wide]) == pytest.approx(
        class_contact([np.hstack([np.pad(box, ((0, 0), (0, 1))), np.pad(box, ((0, 0), (1, 0)))])])
    )
