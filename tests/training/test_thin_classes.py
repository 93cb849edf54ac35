"""A class painted far less than the others is named, in a run's messages and the dock."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.training import Preparing
from napari_finetune.training.thin_classes import thin_class_notice, thin_classes

PHASES = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}


def _superalloy_like() -> np.ndarray:
    """14 000 px of matrix and of secondary γ′, 324 px (2.3 %) of tertiary γ′."""
    labels = np.zeros((200, 200), np.uint8)
    labels[:100, :140], labels[100:, :140] = 1, 2
    labels[:18, 150:168] = 3
    return labels


def test_a_class_under_a_twentieth_of_the_largest_and_1000_px_is_thin_fewest_first():
    assert thin_classes({1: 14000, 2: 14017, 3: 324}) == [3]  # 2.3 %
    assert thin_classes({1: 14000, 2: 14017, 3: 1055}) == []  # 7.5 %
    assert thin_classes({1: 10000, 2: 200, 3: 499}) == [2, 3]
    assert thin_classes({1: 10000, 2: 500}) == []  # exactly 5 %
    assert thin_classes({1: 14000, 2: 14017, 3: 0}) == [3]  # named, not painted
    assert thin_classes({1: 500}) == []  # one class: nothing to compare with


def test_a_phase_rare_in_fully_labelled_images_is_not_called_thin():
    # Tertiary γ′ is 3-6 % of the superalloy's fully labelled images: nothing more to paint.
    assert thin_classes({1: 600_000, 2: 650_000, 3: 20_000}) == []
    labels = np.ones((400, 400), np.uint8)
    labels[:, 200:] = 2
    labels[:60, :60] = 3  # 3 600 px, 4.5 % of a phase
    assert thin_class_notice(labels, PHASES, named=PHASES) == ""


def test_the_notice_names_the_thin_class_its_pixels_and_the_most_painted_class():
    said = thin_class_notice([_superalloy_like()], PHASES)
    assert said == (
        "'tertiary γ′' is rare in your painting: 324 px, 2.3 % of the 14,000 px of 'matrix'. "
        "The network learns little from so few; if your images hold more of it, paint more "
        "of it."
    )
    several = _superalloy_like()
    several[150, 190], several[160, 190], several[170, 190] = 4, 5, 6  # 1 px each
    said = thin_class_notice(several, PHASES)
    assert said.startswith("Rare in your painting beside the 14,000 px of 'matrix': 'class 4'")
    assert "(1 px, under 0.1 %), 'class 5'" in said and ", 'class 6' (1 px, under 0.1 %)" in said
    assert "and 1 more; if your images hold more of them" in said  # at most three named
    assert thin_class_notice(np.where(_superalloy_like() == 3, 0, _superalloy_like())) == ""


def test_a_share_just_under_five_percent_never_reads_five():
    labels = np.zeros((100, 400), np.uint8)
    labels[:, :200], labels[:, 200:390] = 1, 2
    labels[:99, 390:] = 3  # 990 px beside 20 000: 4.95 %
    assert "990 px, 4.9 % of the 20,000 px" in thin_class_notice(labels)


def test_a_named_class_not_painted_is_named_only_above_every_painted_value():
    two = np.where(_superalloy_like() == 3, 0, _superalloy_like())
    assert thin_class_notice(two, PHASES) == ""  # names alone: a start model's may be known
    assert thin_class_notice(two, PHASES, named=PHASES) == (
        "'tertiary γ′' is named but not painted: the network cannot predict it; paint it "
        "where it occurs."
    )
    four = PHASES | {4: "carbide"}
    said = thin_class_notice(_superalloy_like(), four, named=four)
    assert said.startswith("'carbide' is named but not painted: the network cannot predict it")
    assert "Rare in your painting beside the 14,000 px of 'matrix': 'tertiary γ′' (324 px" in said
    # 1 and 3 painted, 2 named: the start model's class 2 output is kept, so it is predicted.
    gap = np.where(_superalloy_like() == 2, 0, _superalloy_like())
    gap[100:, :140] = 3
    assert thin_class_notice(gap, PHASES, named=PHASES) == ""


def test_a_run_names_a_thin_class_and_a_named_one_not_painted_before_its_first_step():
    rng = np.random.default_rng(0)
    image = rng.random((96, 96)).astype(np.float32)
    labels = np.zeros((96, 96), np.uint8)
    labels[:48, :80], labels[48:, :80], labels[2:5, 85:88] = 1, 2, 3
    names = PHASES | {4: "carbide"}
    run = nf.finetune(image, labels, "world-unet", steps=1, max_seconds=None, class_names=names)
    said = [e.stage for e in run if isinstance(e, Preparing)]
    expected = (
        "'carbide' is named but not painted: the network cannot predict it; paint it where it "
        "occurs. Rare in your painting beside the 3,840 px of 'matrix': 'tertiary γ′' (9 px"
    )
    assert any(s.startswith(expected) for s in said), said


@pytest.mark.parametrize("dtype", [np.uint8, np.int32])
def test_nothing_painted_or_one_class_says_nothing(dtype):
    assert thin_class_notice(np.zeros((20, 20), dtype)) == ""
    assert thin_class_notice(np.ones((20, 20), dtype)) == ""
