"""The validation score sees what goes wrong beside a held-out stroke, and says how sure it is."""

import numpy as np
import pytest

from napari_finetune.training.held_out_score import (
    HeldOutScore,
    class_f1,
    f1_of,
    region_counts,
    summarize,
    thin_classes,
)

BOUNDARY, INTERIOR = 2, 1


def scene():
    """A vertical boundary (columns 49-51) traced on rows 30-70, two interior scribbles."""
    held = np.zeros((100, 100), np.uint8)
    held[30:71, 49:52] = BOUNDARY
    held[40:61, 18:22] = INTERIOR
    held[40:61, 78:82] = INTERIOR
    return held


def prediction(half_width):
    predicted = np.full((100, 100), INTERIOR, np.uint8)
    predicted[:, 50 - half_width : 51 + half_width] = BOUNDARY  # the whole boundary line
    return predicted


def score(predicted, held):
    return f1_of(region_counts(predicted, held, held, {BOUNDARY}))


def pixel_f1(predicted, held):
    """The old score: per-pixel F1 on the held-out pixels only."""
    scores = []
    for k in (INTERIOR, BOUNDARY):
        truth, pred = held == k, (predicted == k) & (held > 0)
        tp = (truth & pred).sum()
        scores.append(2 * tp / (truth.sum() + pred.sum()))
    return float(np.mean(scores))


def test_a_right_prediction_scores_one_even_where_the_boundary_goes_on_unpainted():
    held = scene()
    assert score(prediction(1), held) == pytest.approx(1.0)


def test_a_thick_boundary_beside_the_stroke_costs_precision_that_pixel_f1_missed():
    held = scene()
    thick = prediction(6)  # 13 px wide where the truth is 3
    assert pixel_f1(thick, held) == pytest.approx(1.0)  # the old, optimistic number
    honest = score(thick, held)
    assert 0.6 < honest < 0.9
    assert score(prediction(3), held) > honest  # less wrong, better score


def test_a_boundary_predicted_on_an_interior_scribble_is_a_false_positive():
    held = scene()
    predicted = prediction(1)
    predicted[45:55, 15:25] = BOUNDARY
    assert score(predicted, held) < 0.95


def test_a_missed_boundary_costs_recall():
    held = scene()
    predicted = prediction(1)
    predicted[30:50, :] = INTERIOR  # half the traced stretch missed
    assert score(predicted, held) < 0.9  # boundary recall ~0.56, interior unaffected


def test_the_score_says_how_much_it_rests_on_and_when_not_to_trust_it():
    held = scene()
    regions = region_counts(prediction(1), held, held, {BOUNDARY})
    assert len(regions) == 3
    # Scribbles 28 px from the boundary: the easy pixels, and said so.
    easy = summarize(regions, {INTERIOR, BOUNDARY}, {BOUNDARY})
    assert "easy ones" in easy.caution
    result = summarize(regions, {INTERIOR, BOUNDARY})  # no thin class: no such caution
    assert result.pixels == int((held > 0).sum()) and result.regions == 3
    assert result.low <= result.score <= result.high and result.caution is None
    assert "on 291 px in 3 regions" in result.describe()
    few = summarize(regions[:2], {INTERIOR, BOUNDARY})
    assert "too little held out" in few.caution and "paint a few more" in few.describe()
    one_class = summarize([regions[0], regions[2]], {INTERIOR, BOUNDARY})
    assert one_class.caution is not None
    assert HeldOutScore(None).describe() == "nothing held out for validation"


def test_thin_classes_are_named_so():
    assert thin_classes({1: "grain interior", 2: "boundary"}) == {2}
    assert thin_classes({1: "cytoplasm", 2: "Membrane", 3: "nucleus"}) == {2}
    assert thin_classes({1: "matrix", 2: "gamma prime"}) == set()


def test_a_fully_painted_box_is_not_called_easy():
    held = np.full((60, 60), INTERIOR, np.uint8)
    held[:, 28:31] = BOUNDARY
    predicted = held.copy()
    regions = [
        *region_counts(predicted, held, held, {BOUNDARY}),
        *region_counts(predicted, held, held, {BOUNDARY}),
        *region_counts(predicted, held, held, {BOUNDARY}),
    ]
    result = summarize(regions, {INTERIOR, BOUNDARY}, {BOUNDARY})
    assert result.score == 1.0 and result.caution is None


def test_a_region_class_predicted_where_another_was_painted_costs_precision():
    # Two phases, one held-out region each, everything predicted as phase 2: before,
    # phase 2's false positives on region A were never counted (score 0.5).
    held = np.zeros((80, 80), np.uint8)
    held[5:25, 5:25], held[50:70, 50:70] = 1, 2
    predicted = np.full((80, 80), 2, np.uint8)
    regions = region_counts(predicted, held, held, set())
    assert f1_of(regions) == pytest.approx((0 + 2 / 3) / 2)


def test_each_class_gets_its_own_f1_and_the_score_is_their_mean():
    # Three phases, one held-out region each; the rare phase 3 is predicted as phase 2.
    held = np.zeros((90, 90), np.uint8)
    held[5:25, 5:25], held[35:55, 35:55], held[70:80, 70:80] = 1, 2, 3
    predicted = np.ones((90, 90), np.uint8)
    predicted[30:90, 30:90] = 2
    regions = region_counts(predicted, held, held, set())
    per_class = class_f1(regions)
    # Phase 2 is found everywhere it was painted, but also over phase 3's 100 px.
    assert per_class == pytest.approx({1: 1.0, 2: 2 * (400 / 500) / (1 + 400 / 500), 3: 0.0})
    result = summarize(regions, {1, 2, 3})
    assert result.per_class() == per_class
    assert result.score == pytest.approx(np.mean(list(per_class.values())))
    names = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}
    said = result.describe(names)
    assert "; per class: matrix 1.00, secondary γ′ 0.89, tertiary γ′ 0.00" in said
    # Without names: the mean alone, with the same caution after it.
    assert said.replace("; per class: matrix 1.00, secondary γ′ 0.89, tertiary γ′ 0.00", "") == (
        result.describe()
    )
    # A class the names do not know is still shown, by its value.
    assert "class 3 0.00" in result.describe({1: "matrix", 2: "secondary γ′"})
