"""The Fine-tune dock's levers (adaptation, pseudo-labels, the start model): choices and rounds."""

import numpy as np

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.choices import ADAPTATION_CHOICES, ADAPTATIONS


def test_the_dock_offers_the_levers_and_explains_the_chosen_one(painted):
    w = FineTuneWidget(painted)
    assert list(w.adaptation.choices) == ADAPTATION_CHOICES
    assert w.adaptation.value == "none"
    assert w.adaptation_info.value.startswith("No pull toward the start")
    w.adaptation.value = "l2sp+mmd"
    info = w.adaptation_info.value
    assert ADAPTATIONS["l2sp"][5:] in info and "(MMD)" in info
    w.semi_supervised.value = False  # suggested on for the sample's strokes
    options = w.settings.options(None, None)
    assert options.adaptation == "l2sp+mmd" and options.semi_supervised is False
    # In view in the Run section, not folded away under Advanced.
    assert w.adaptation.native.isVisibleTo(w.native)
    assert w.semi_supervised.native.isVisibleTo(w.native)


def test_pseudo_labels_are_suggested_for_strokes_until_the_user_decides(painted):
    w = FineTuneWidget(painted)
    # The sample's strokes never meet: on, with the reason, and left to the core.
    assert w.semi_supervised.value
    assert "rarely shows where two classes meet" in w.semi_supervised_info.value
    assert w.settings.options(None, None).semi_supervised == "auto"
    # A completely painted box shows where classes meet: the suggestion goes off.
    layer = next(lay for lay in painted.layers if lay.name.endswith("painted"))
    box = np.zeros_like(layer.data)  # boxes only: classes meet
    box[100:160, 100:160] = 1
    box[100:160, 128:131] = 2  # a boundary across it, its sides painted
    strokes, layer.data = layer.data, box  # new data (as an undo) says it, no stroke needed
    assert not w.semi_supervised.value
    assert "shows where classes meet" in w.semi_supervised_info.value
    layer.data = strokes
    assert w.semi_supervised.value
    # Once the user decides, it stays as they set it, whatever is painted next.
    w.semi_supervised.value = False
    layer.data = box
    layer.data = strokes
    assert not w.semi_supervised.value and "(your choice)" in w.semi_supervised_info.value
    assert w.settings.options(None, None).semi_supervised is False


def test_strokes_that_train_a_new_head_are_not_suggested_pseudo_labels(painted):
    w = FineTuneWidget(painted)
    layer = next(lay for lay in painted.layers if lay.name.endswith("painted"))
    assert w.semi_supervised.value  # two-class strokes on world-unet's own head
    # A third class: world-unet has two, so a run trains a new head and 'auto' is off.
    third = layer.data.copy()
    third[20:24, 20:60] = 3
    layer.data = third
    assert not w.semi_supervised.value
    assert "new output head" in w.semi_supervised_info.value
    assert w.settings.options(None, None).semi_supervised == "auto"  # the run decides
    layer.data = third.clip(0, 2)  # back to the start model's classes
    assert w.semi_supervised.value
    # From scratch every painting trains a new head: off; the start chosen again: on.
    w.source.value = "scratch"
    assert not w.semi_supervised.value and "new output head" in w.semi_supervised_info.value
    w.source.value = "voronoi-unet"
    assert w.semi_supervised.value and "rarely shows" in w.semi_supervised_info.value
    # So does the strategy scratch picked from any start (Use of a comparison sets it too).
    w.strategy.value = "scratch"
    assert not w.semi_supervised.value and "new output head" in w.semi_supervised_info.value
    w.strategy.value = "finetune"
    assert w.semi_supervised.value


def test_the_suggestion_is_renewed_at_round_start_and_outputs_are_not_watched(painted, qtbot):
    w = FineTuneWidget(painted)
    layer = next(lay for lay in painted.layers if lay.name.endswith("painted"))
    box = np.zeros_like(layer.data)  # boxes only: classes meet
    box[100:160, 100:160] = 1
    box[100:160, 128:131] = 2
    # Edited in place, as undo does: no event, the box still says the old suggestion.
    layer.data[...] = box
    assert w.semi_supervised.value
    w.steps.value = 2
    w.train.clicked.emit()
    assert not w.semi_supervised.value  # what 'auto' decides for this round
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    assert w.session.model.provenance[-1]["options"]["semi_supervised"] is False
    # The round's prediction layer is the plugin's: its new data asks nothing.
    calls = []
    w.settings.show_advice = lambda *a: calls.append(a)
    prediction = painted.layers["grains prediction"]
    prediction.data = prediction.data.copy()
    assert calls == []
    layer.data = layer.data.copy()  # the painting's does
    assert len(calls) == 1


def test_a_round_with_levers_says_them_in_the_status_line(painted, qtbot):
    w = FineTuneWidget(painted)
    w.steps.value = 3
    w.adaptation.value = "l2sp"
    w.semi_supervised.value = True
    said = []
    # Every text the status line shows, as the round's events arrive.
    w.status.native.setText = lambda text, setter=w.status.native.setText: (
        said.append(text),
        setter(text),
    )
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    started = [s for s in said if s.startswith("Training '")]
    assert started and "L2-SP, pseudo-labels" in started[0], said[:5]
    record = w.session.model.provenance[-1]["options"]
    assert record["adaptation"] == "l2sp" and record["semi_supervised"] is True


def test_with_levers_the_live_preview_shows_and_stop_keeps_the_best_model(painted, qtbot):
    w = FineTuneWidget(painted)
    w.seconds.value = 600
    w.adaptation.value = "l2sp+dann"
    w.semi_supervised.value = True
    w.train.clicked.emit()
    # The live preview appears while the run goes on...
    qtbot.waitUntil(lambda: "grains prediction" in painted.layers, timeout=120_000)
    assert w._worker is not None
    qtbot.waitUntil(lambda: len(w.plot.epochs) >= 1, timeout=120_000)
    # ...and Stop ends it between batches, keeping the best model so far.
    w.stop.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=60_000)
    assert "best model so far" in w.status.value
    assert not w.model.net.training


def test_the_dock_starts_from_the_voronoi_model_when_chosen(painted, qtbot):
    w = FineTuneWidget(painted)
    assert w.source.value == "world-unet"  # the default
    assert "voronoi-unet" in w.source.choices
    assert "world-unet: " in w.source.tooltip and "voronoi-unet: " in w.source.tooltip
    w.source.value = "voronoi-unet"
    w.steps.value = 3
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    start = w.session.model.provenance[-1]["start"]
    assert start["kind"] == "shipped" and start["name"] == "voronoi-unet"
