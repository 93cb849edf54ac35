"""The dock's *classes* field: the user names the painted values, and every part follows."""

import numpy as np
import pytest

from napari_finetune._widgets import _training_pairs
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.models.model import SegmentationModel

PHASES = "matrix, secondary γ′, tertiary γ′"


def test_named_classes_make_the_new_painting_layer_unreadable_ones_none(steel):
    w = FineTuneWidget(steel)
    assert w.pairs.class_names.value == ""
    placeholder = w.pairs.class_names.native.placeholderText()
    assert placeholder == "grain interior, boundary (the start model's)"
    before = len(steel.layers)
    w.pairs.class_names.value = "matrix,,precipitate"
    w.pairs.new_painting.clicked.emit()
    assert len(steel.layers) == before
    assert w.status.value.startswith("Error: class names: class 2 has no name")
    w.pairs.class_names.value = PHASES
    w.pairs.new_painting.clicked.emit()
    layer = steel.layers["NIST steel painted"]
    assert list(layer.features["class"]) == ["unpainted", "matrix", "secondary γ′", "tertiary γ′"]
    assert layer.metadata["napari_finetune"]["classes"][3] == "tertiary γ′"
    # each named class has a colour of its own (not the grey of values beyond the names)
    colours = {tuple(np.round(layer.colormap.map(v)[:3], 3)) for v in (1, 2, 3)}
    assert len(colours) == 3
    assert "3 = tertiary γ′ (lime)" in w.status.value


def test_renaming_restyles_the_plugins_paintings_never_a_users_layer(steel, monkeypatch):
    w = FineTuneWidget(steel)
    w.pairs.new_painting.clicked.emit()
    made = steel.layers["NIST steel painted"]
    made.data[5:9, 5:9] = 2
    own = steel.add_labels(np.zeros_like(made.data), name="my labels")
    own.data[0, 0] = 1
    w.pairs.add_row().labels_layer.value = own
    w.pairs.rows()[-1].image_layer.value = steel.layers["NIST steel"]
    own_features = own.features.copy()
    w.pairs.class_names.value = "ferrite, pearlite, inclusion"
    w.pairs.class_names.native.editingFinished.emit()
    assert list(made.features["class"]) == ["unpainted", "ferrite", "pearlite", "inclusion"]
    assert made.metadata["napari_finetune"]["classes"] == {
        1: "ferrite",
        2: "pearlite",
        3: "inclusion",
    }
    assert (made.data[5:9, 5:9] == 2).all() and int(made.data.sum()) == 32  # values untouched
    assert own.features.equals(own_features) and "napari_finetune" not in own.metadata
    # unreadable names warn and change nothing
    warned = []
    monkeypatch.setattr(_training_pairs, "show_warning", warned.append)
    w.pairs.class_names.value = "a, a"
    w.pairs.class_names.native.editingFinished.emit()
    assert "both called 'a'" in warned[0]
    assert list(made.features["class"])[1] == "ferrite"


def test_fine_tune_and_the_comparison_get_the_names_empty_means_the_models(painted, monkeypatch):
    w = FineTuneWidget(painted)
    asked = []

    def fake_round(options):
        asked.append(options.class_names)
        raise ValueError("enough")

    monkeypatch.setattr(w.session, "train_round", fake_round)
    w.train.clicked.emit()
    w.pairs.class_names.value = PHASES
    w.train.clicked.emit()
    assert asked == [None, {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}]
    w.pairs.class_names.value = "a, A"
    w.train.clicked.emit()
    assert len(asked) == 2 and "both called 'A'" in w.status.value


def test_the_empty_field_shows_the_names_of_the_start_chosen_now(painted, tmp_path):
    from napari_finetune.models import save_model

    w = FineTuneWidget(painted)

    def shown():
        return w.pairs.class_names.native.placeholderText()

    model = SegmentationModel.create(n_classes=3)
    model.classes = {1: "ferrite", 2: "pearlite", 3: "boundary"}
    w.session.model = model  # as Load model… does, before the dock hears of it
    w._on_loaded(model)  # a loaded model becomes the start ('current model')
    assert w.source.value == "current"
    assert shown() == "ferrite, pearlite, boundary (the start model's)"
    w.source.value = "scratch"
    assert shown() == "grain interior, boundary (the start model's)"
    w.source.value = "file"
    w.checkpoint.value = str(tmp_path / "missing.ckpt")
    assert shown() == "names of 1, 2, … (the start model's)"
    model.classes = {1: "matrix", 2: "γ′", 3: "carbide"}
    w.checkpoint.value = str(save_model(model, tmp_path / "phases.ckpt"))
    assert shown() == "matrix, γ′, carbide (the start model's)"
    # A new painting, with the field empty, paints the start's classes.
    w.pairs.new_painting.clicked.emit()
    layer = painted.layers.selection.active
    assert list(layer.features["class"]) == ["unpainted", "matrix", "γ′", "carbide"]


def test_renaming_with_fewer_names_keeps_the_names_of_the_other_painted_values(steel):
    w = FineTuneWidget(steel)
    w.pairs.class_names.value = PHASES
    w.pairs.new_painting.clicked.emit()
    layer = steel.layers["NIST steel painted"]
    w.pairs.class_names.value = "γ, γ′ large"
    w.pairs.class_names.native.editingFinished.emit()
    assert list(layer.features["class"]) == ["unpainted", "γ", "γ′ large", "tertiary γ′"]
    # Emptied: the legend follows the start model's names where it has them.
    w.pairs.class_names.value = ""
    w.pairs.class_names.native.editingFinished.emit()
    assert list(layer.features["class"]) == [
        "unpainted",
        "grain interior",
        "boundary",
        "tertiary γ′",
    ]


def test_the_comparison_refuses_unreadable_names_at_the_call():
    from napari_finetune.training.advisor import compare_strategies

    labels = np.zeros((64, 64), np.uint8)
    labels[:10], labels[-10:] = 1, 2
    with pytest.raises(ValueError, match="both called"):
        compare_strategies(np.zeros((64, 64)), labels, class_names={1: "a", 2: "a"})


def test_the_comparison_panel_hands_the_typed_names_on(painted, monkeypatch):
    from napari_finetune._widgets import _strategy_advisor

    handed = {}

    def fake_worker(*args, **kwargs):
        handed.update(kwargs)
        raise RuntimeError("enough")

    monkeypatch.setattr(_strategy_advisor, "create_worker", fake_worker)
    dock = FineTuneWidget(painted)
    dock.pairs.class_names.value = "inside, edge"
    panel = dock.advisor.open()
    with pytest.raises(RuntimeError, match="enough"):
        panel._on_start()
    assert handed["class_names"] == {1: "inside", 2: "edge"}


def test_a_first_rounds_live_preview_names_the_classes_of_the_run(painted):
    from napari_finetune.session import Prediction

    w = FineTuneWidget(painted)
    assert w.model is None  # no session model yet: the names come with the preview
    probabilities = np.full((2, *painted.layers["grains"].data.shape), 0.5, np.float32)
    w._show_prediction(Prediction("grains", probabilities, False, classes={1: "in", 2: "out"}))
    assert list(painted.layers["grains prediction"].features["class"])[1:] == ["in", "out"]
