"""Suggested boxes seek a thinly painted class: which classes, the map, the session's boxes."""

import numpy as np
import pytest

import napari_finetune.inference.thin_class_emphasis as emphasis
import napari_finetune.session.suggesting as suggesting
from napari_finetune.inference.thin_class_emphasis import (
    NOT_SEEN,
    emphasised_uncertainty,
    favoured_classes,
    sought_sentence,
)
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session import Pair, SuggestionOptions
from napari_finetune.session.suggesting import suggestions_for


def _painting(thin_pixels: int) -> np.ndarray:
    labels = np.zeros((200, 200), np.uint8)
    labels[:100] = 1  # 20 000 px of the first class
    labels[100:150, :100] = 2  # 5 000 px of the second
    labels.ravel()[-thin_pixels:] = 3 if thin_pixels else 0
    return labels


def test_a_class_painted_on_few_pixels_is_favoured_over_all_paintings():
    assert favoured_classes([_painting(600)]) == [3]
    # Counted over every image: 600 + 600 px is 1 200, no longer thin.
    assert favoured_classes([_painting(600), _painting(600)]) == []
    # Enough of it painted (over 1 000 px): nothing is sought.
    assert favoured_classes([_painting(1200)]) == []
    # Not painted at all: the model learnt nothing of it to look with.
    assert favoured_classes([_painting(0)]) == []
    assert favoured_classes([np.zeros((50, 50), np.uint8)]) == []


def _probabilities(thin_rows: slice) -> np.ndarray:
    probabilities = np.zeros((3, 64, 64), np.float32)
    probabilities[0] = 1.0
    probabilities[0, thin_rows] = 0.4
    probabilities[2, thin_rows] = 0.6  # the model sees class 3 in these rows
    return probabilities


def test_the_map_is_weighted_by_where_the_model_sees_the_favoured_class():
    unsure = np.full((64, 64), 0.5)
    sought = emphasised_uncertainty(unsure, _probabilities(slice(48, 64)), [3])
    assert sought[50:].min() > unsure[50:].min() * 3.9  # a quarter of the image: x4 there
    assert sought[:48].max() == 0.0  # none of it seen there
    assert sought.mean() == pytest.approx(unsure.mean())  # the factor averages 1
    # Off, nothing favoured, a value the model does not have, or the class seen nowhere.
    assert emphasised_uncertainty(unsure, _probabilities(slice(48, 64)), [3], 0) is unsure
    assert emphasised_uncertainty(unsure, _probabilities(slice(48, 64)), []) is unsure
    assert emphasised_uncertainty(unsure, _probabilities(slice(48, 64)), [7]) is unsure
    unseen = _probabilities(slice(0, 0))
    unseen[2, 0, 0] = NOT_SEEN  # a trace far below NOT_SEEN on average
    assert emphasised_uncertainty(unsure, unseen, [3]) is unsure


def test_the_sentence_names_the_sought_classes():
    assert sought_sentence([]) == ""
    assert sought_sentence(["tertiary γ′"]) == (
        "The boxes favour where the model sees 'tertiary γ′', rare in your painting so far."
    )
    assert "'a', 'b' and 'c', rare" in sought_sentence(["a", "b", "c"])


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf"), True, "1"])
def test_a_bad_thin_class_weight_is_refused(weight):
    with pytest.raises(ValueError, match="thin_class_weight"):
        SuggestionOptions(thin_class_weight=weight)
    if not isinstance(weight, str):
        with pytest.raises(ValueError, match="weight"):
            emphasised_uncertainty(np.ones((8, 8)), np.ones((3, 8, 8)), [3], weight)


def _model_sees(monkeypatch, rows):
    """The map's pass predicts class 3 in ``rows``; a second prediction would fail."""

    def one_pass(*args, **kwargs):
        return np.full((64, 64), 0.5), _probabilities(rows)

    def second_pass(*args, **kwargs):
        raise AssertionError("the image was run through the network twice")

    monkeypatch.setattr(suggesting, "uncertainty_and_prediction", one_pass)
    monkeypatch.setattr(emphasis, "predict", second_pass)


def test_the_boxes_go_where_the_model_sees_the_thin_class_and_the_map_stays_plain(monkeypatch):
    model = SegmentationModel.create(n_classes=3)
    model.classes = {1: "matrix", 2: "secondary", 3: "tertiary"}
    # The model's maps, fixed: uncertain everywhere alike, class 3 seen in the last rows.
    monkeypatch.setattr(suggesting, "uncertainty", lambda *a, **k: np.full((64, 64), 0.5))
    _model_sees(monkeypatch, slice(48, 64))
    labels = np.zeros((64, 64), np.uint8)
    labels[:8, :40] = 1  # 320 px of matrix, 160 of secondary, 10 of tertiary
    labels[8:12, :40] = 2
    labels[12, :10] = 3
    pair = Pair(np.zeros((64, 64), np.float32), labels, "spot")
    options = SuggestionOptions(n=1, size=16, typical_weight=0.0, seed=None)
    found = suggestions_for(model, pair, options, None, favoured_classes([labels]))
    assert found.favoured == ("tertiary",)
    y0, _, y1, _ = found.boxes[0]
    assert y0 >= 48 - 8 and y1 <= 64  # at least half of the box where class 3 is seen
    assert np.array_equal(found.uncertainty, np.full((64, 64), 0.5))  # the map shown
    off = SuggestionOptions(n=1, size=16, typical_weight=0.0, seed=None, thin_class_weight=0.0)
    plain = suggestions_for(model, pair, off, None, [3])  # favoured, but switched off
    assert plain.favoured == ()
    assert plain.boxes[0][0] < 48 - 8  # uniform uncertainty: the first unpainted window
    # A class the model has no output for, or does not see on this image, is not claimed.
    model.classes = {1: "matrix", 2: "secondary"}
    assert suggestions_for(model, pair, options, None, [4]).favoured == ()
    _model_sees(monkeypatch, slice(0, 0))
    unseen = suggestions_for(model, pair, options, None, [3])
    assert unseen.favoured == () and unseen.boxes == plain.boxes
    model.classes = {1: "matrix"}  # a class without a name is called as the rest of the dock does
    _model_sees(monkeypatch, slice(48, 64))
    assert suggestions_for(model, pair, options, None, [3]).favoured == ("class 3",)


def test_the_session_seeks_what_is_thin_over_all_its_images(monkeypatch):
    from napari_finetune.session import LabellingSession

    model = SegmentationModel.create(n_classes=3)
    model.classes = {1: "matrix", 2: "secondary", 3: "tertiary"}
    monkeypatch.setattr(suggesting, "uncertainty", lambda *a, **k: np.full((64, 64), 0.5))
    _model_sees(monkeypatch, slice(48, 64))
    first, second = np.zeros((64, 64), np.uint8), np.zeros((64, 64), np.uint8)
    first[:20] = 1
    second[:8] = 2
    second[8, :5] = 3  # thin beside 1 280 px of matrix and 512 of secondary
    image = np.zeros((64, 64), np.float32)
    session = LabellingSession([Pair(image, first, "a"), Pair(image, second, "b")], model)
    options = SuggestionOptions(n=1, size=16, typical_weight=0.0, seed=None)
    found = list(session.suggest(options))
    assert [f.favoured for f in found] == [("tertiary",), ("tertiary",)]  # also on "a"
    assert all(f.boxes[0][0] >= 40 for f in found)
    second[20:36] = 3  # 1 029 px of it now: no longer thin (1 000 px and more)
    assert [f.favoured for f in session.suggest(options)] == [(), ()]


def test_a_method_without_a_plain_prediction_predicts_once_more_to_seek(monkeypatch):
    model = SegmentationModel.create(n_classes=3)
    model.classes = {1: "matrix", 2: "secondary", 3: "tertiary"}
    calls = []
    monkeypatch.setattr(
        suggesting, "uncertainty_and_prediction", lambda *a, **k: (np.full((64, 64), 0.5), None)
    )
    monkeypatch.setattr(
        emphasis, "predict", lambda *a, **k: calls.append(1) or _probabilities(slice(48, 64))
    )
    labels = np.zeros((64, 64), np.uint8)
    labels[:8, :40], labels[12, :10] = 1, 3
    pair = Pair(np.zeros((64, 64), np.float32), labels, "spot")
    options = SuggestionOptions(method="tta", n=1, size=16, typical_weight=0.0, seed=None)
    found = suggestions_for(model, pair, options, None, [3])
    assert calls == [1] and found.favoured == ("tertiary",)
    assert found.boxes[0][0] >= 48 - 8
