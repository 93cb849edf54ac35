import re

import numpy as np
import pytest
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._model_actions import ModelActions
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.inference.representativeness import representativeness
from napari_finetune.session.options import suggestion_seed
from napari_finetune.session.policy import FEW_PAINTED_PX


@pytest.fixture
def messages(monkeypatch):
    return capture_messages(monkeypatch, module)


def finish(widget, qtbot, timeout=120_000):
    qtbot.waitUntil(lambda: widget._worker is None, timeout=timeout)


def test_defaults_just_work_on_the_painted_sample(painted):
    w = FineTuneWidget(painted)
    (pair,) = w.pairs.rows()
    assert pair.image_layer.value is painted.layers["grains"]
    assert pair.labels_layer.value is painted.layers["grains painted"]
    painted_px = int(np.count_nonzero(painted.layers["grains painted"].data))
    expected = "head" if painted_px < FEW_PAINTED_PX else "finetune"
    assert w.strategy.value == expected and "suggested" in w.strategy_info.value


def test_short_run_adds_prediction_layers_and_never_touches_the_painting(painted, qtbot, messages):
    w = FineTuneWidget(painted)
    before = painted.layers["grains painted"].data.copy()
    w.steps.value = 30
    w.train.clicked.emit()
    assert not w.train.enabled and w.stop.enabled
    finish(w, qtbot)
    assert messages["error"] == []
    prediction = painted.layers["grains prediction"]
    probabilities = painted.layers["grains probabilities"]
    assert prediction.data.shape == (512, 512) and set(np.unique(prediction.data)) <= {1, 2}
    assert probabilities.data.shape == (512, 512)  # P(boundary) for two classes
    assert probabilities.data.min() >= 0 and probabilities.data.max() <= 1
    np.testing.assert_array_equal(painted.layers["grains painted"].data, before)
    assert painted.layers["grains painted"].data.dtype == before.dtype
    assert w.train.enabled and not w.stop.enabled
    assert "Round 1 done (completed" in w.status.value and w.model is not None
    assert len(w.plot.epochs) >= 1
    # outputs are never offered as training inputs
    assert "grains prediction" not in [name for name, _ in w.pairs.labels_choices()]


def test_stop_ends_the_run_and_keeps_a_usable_model(painted, qtbot):
    w = FineTuneWidget(painted)
    w.seconds.value = 600
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: len(w.plot.epochs) >= 1, timeout=120_000)
    w.stop.clicked.emit()
    finish(w, qtbot, timeout=30_000)
    assert "best model so far" in w.status.value
    probabilities = nf.predict(w.model, painted.layers["grains"].data)
    assert probabilities.shape == (2, 512, 512) and not w.model.net.training


def test_clicking_twice_starts_one_run(painted, qtbot):
    w = FineTuneWidget(painted)
    w.steps.value = 10
    w.train.clicked.emit()
    first = w._worker
    w.train.clicked.emit()
    assert w._worker is first
    finish(w, qtbot)


def test_shape_mismatch_names_both_layers(painted, messages):
    painted.add_labels(np.ones((100, 100), np.uint8), name="small labels")
    w = FineTuneWidget(painted)
    w.pairs.rows()[0].labels_layer.value = painted.layers["small labels"]
    w.train.clicked.emit()
    assert w._worker is None
    assert "'grains'" in messages["error"][0] and "'small labels'" in messages["error"][0]


def test_nothing_painted_reports_from_the_worker(painted, qtbot, messages):
    painted.add_labels(np.zeros((512, 512), np.uint8), name="empty")
    w = FineTuneWidget(painted)
    w.pairs.rows()[0].labels_layer.value = painted.layers["empty"]
    w.train.clicked.emit()
    finish(w, qtbot)
    assert any("no painted pixels" in m for m in messages["error"])
    assert w.train.enabled


def test_saved_model_loads_back_and_predicts_the_same(painted, qtbot, tmp_path, monkeypatch):
    w = FineTuneWidget(painted)
    w.steps.value = 10
    w.train.clicked.emit()
    finish(w, qtbot)
    path = tmp_path / "grains.ckpt"
    monkeypatch.setattr(ModelActions, "ask_path", lambda self, save: str(path))
    w.files.save.clicked.emit()
    expected = nf.predict(w.model, painted.layers["grains"].data)
    other = FineTuneWidget(painted)
    other.files.load.clicked.emit()
    assert other.source.value == "current"
    np.testing.assert_allclose(
        nf.predict(other.model, painted.layers["grains"].data), expected, atol=1e-5
    )


def test_predict_button_runs_on_another_image(painted, qtbot, messages):
    w = FineTuneWidget(painted)
    # Before any training: the start model chosen (the shipped one) predicts, and says so.
    w.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: "grains prediction" in painted.layers, timeout=60_000)
    qtbot.waitUntil(lambda: w.files.predict_button.enabled, timeout=10_000)
    assert messages["error"] == [] and w.model is None
    assert "with world-unet (shipped)" in w.status.value
    assert "not fine-tuned" in w.status.value
    w.steps.value = 5
    w.train.clicked.emit()
    finish(w, qtbot)
    other = painted.add_image(nf.voronoi_grains((200, 300), 20, seed=9).image, name="other")
    w.files.predict_on.value = other
    w.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: "other prediction" in painted.layers, timeout=60_000)
    assert painted.layers["other prediction"].data.shape == (200, 300)
    qtbot.waitUntil(lambda: "Predicted 'other'" in w.status.value, timeout=10_000)
    assert "with the current model (fine-tuned from world-unet" in w.status.value


def test_removing_an_input_layer_stops_with_a_message(painted, qtbot, messages):
    w = FineTuneWidget(painted)
    w.seconds.value = 600
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: "Training" in w.status.value, timeout=60_000)
    painted.layers.remove("grains painted")
    finish(w, qtbot, timeout=30_000)
    assert "was removed" in messages["warning"][0]
    assert w.train.enabled


def test_closing_the_viewer_mid_run_neither_crashes_nor_hangs(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", "painted")
    _, w = viewer.window.add_plugin_dock_widget("napari-finetune", "Fine-tune")
    w.seconds.value = 600
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: "Training" in w.status.value, timeout=60_000)
    worker = w._worker
    viewer.close()
    qtbot.waitUntil(lambda: not worker.is_running, timeout=30_000)


def test_active_learning_layers_next_suggestion_and_retrain(painted, qtbot, messages):
    w = FineTuneWidget(painted)
    w.steps.value = 20
    w.active.n.value = 4
    w.train.clicked.emit()
    finish(w, qtbot)
    assert messages["error"] == []
    unsure = painted.layers["grains uncertainty"]
    boxes = painted.layers["grains suggestions"]
    assert unsure.data.shape == (512, 512) and unsure.colormap.name == "inferno"
    assert len(boxes.data) == 4
    assert list(boxes.features["rank"]) == [1, 2, 3, 4]
    painted_layer = painted.layers["grains painted"]
    for corners in boxes.data:  # never on painted pixels
        (y0, x0), (y1, x1) = corners.min(0).astype(int), corners.max(0).astype(int)
        assert not painted_layer.data[y0:y1, x0:x1].any()
    # drawn by uncertainty x representativeness of the trained model, from the
    # round's own seed (spread over kinds of error, the default)
    image = painted.layers["grains"].data
    expected = nf.suggest_regions(
        nf.uncertainty(w.model, image),
        painted_layer.data,
        4,
        64,
        representativeness(w.model, image, 64),
        seed=suggestion_seed(0, len(w.session.rounds()), 0),
    )
    shown = [tuple(int(v) for v in (*c.min(0), *c.max(0))) for c in boxes.data]
    assert shown == expected
    painted.canvas.size = (900, 700)  # not the (800, 600) a hidden viewer starts with
    w.active.next.clicked.emit()
    first = boxes.data[0]
    centre = first.mean(axis=0)
    camera = getattr(painted, "scene", painted).camera
    assert np.allclose(camera.center[-2:], centre, atol=1)
    # zoomed so that the 64 px box fills half of the canvas' real (not assumed) size
    assert camera.zoom * 64 == pytest.approx(0.5 * 700, rel=0.01)
    assert painted.layers.selection.active is painted_layer
    assert painted_layer.mode == "paint"
    # paint in the box, then retrain: a warm-started second round
    (y0, x0) = first.min(0).astype(int)
    painted_layer.data[y0 : y0 + 8, x0 : x0 + 8] = 2
    w.seconds.value = 600  # the first round's budget must not show on Retrain
    w.active.retrain_seconds.value = 3
    w.active.typical.value = False  # uncertainty alone this round,
    w.active.spread.value = False  # and the best boxes, not drawn ones
    seen, show = [], w._on_event

    def spy(event):  # what the status line says after each event of the retrain round
        show(event)
        seen.append(w.status.value)

    w._on_event = spy
    w.active.retrain.clicked.emit()
    assert w.source.value == "current"
    finish(w, qtbot)
    lefts = [float(t.split(" s left")[0].split("· ")[-1]) for t in seen if " s left" in t]
    assert lefts and max(lefts) <= 3, seen
    # "3 s)", or "3 s, 1 of 2 threads: …)" when other programs keep cores busy
    assert any(re.search(r"\b3 s[,)]", t) for t in seen if t.startswith("Training")), seen
    plain = nf.suggest_regions(nf.uncertainty(w.model, image), painted_layer.data, 4, 64)
    boxes = painted.layers["grains suggestions"]
    assert [tuple(int(v) for v in (*c.min(0), *c.max(0))) for c in boxes.data] == plain
    runs = {h["run"] for h in w.model.history if "epoch" in h}
    assert runs == {1, 2}
    assert len(w.active.plot.points) == 2


# Slow: the same per-pair maps and boxes are asserted on the session in tests/test_session.py
@pytest.mark.slow
def test_two_images_each_get_their_own_uncertainty_and_numbered_boxes(painted, qtbot, messages):
    second = nf.voronoi_grains((256, 320), 20, seed=5)
    painted.add_image(second.image, name="second")
    strokes = painted.add_labels(np.zeros((256, 320), np.uint8), name="second painted")
    strokes.data[40:60, 40:200] = 1
    strokes.data[100:104, 40:200] = 2
    w = FineTuneWidget(painted)
    w.pairs.add_pair.clicked.emit()
    rows = w.pairs.rows()
    assert [r.image_layer.value.name for r in rows] == ["second", "grains"]
    assert [r.labels_layer.value.name for r in rows] == ["second painted", "grains painted"]
    w.steps.value = 10
    w.active.n.value = 3
    w.train.clicked.emit()
    finish(w, qtbot)
    assert messages["error"] == []
    for name, shape in (("grains", (512, 512)), ("second", (256, 320))):
        assert painted.layers[f"{name} uncertainty"].data.shape == shape
        assert painted.layers[f"{name} prediction"].data.shape == shape
    ranks = [
        list(painted.layers[f"{name} suggestions"].features["rank"])
        for name in ("grains", "second")
    ]
    # numbers rank the boxes over both images: 1..6, three on each
    assert sorted(ranks[0] + ranks[1]) == [1, 2, 3, 4, 5, 6]
    assert len(ranks[0]) == len(ranks[1]) == 3
    # Next suggestion follows that ranking across images
    first_image = "grains" if 1 in ranks[0] else "second"
    w.active.next.clicked.emit()
    assert painted.layers.selection.active is painted.layers[f"{first_image} painted"]


def test_measure_grains_is_one_click_after_a_round(painted, qtbot, messages):
    w = FineTuneWidget(painted)
    w.files.measure.clicked.emit()
    assert "No prediction yet" in messages["error"][-1]
    w.steps.value = 10
    w.active.enabled_box.value = False
    w.train.clicked.emit()
    finish(w, qtbot)
    w.files.measure.clicked.emit()
    qtbot.waitUntil(lambda: "grains grains" in painted.layers, timeout=60_000)
    grains = painted.layers["grains grains"]
    assert grains.data.shape == (512, 512) and grains.data.max() > 1


def test_a_busy_bar_shows_from_the_first_set_up_event(painted, qtbot, monkeypatch):
    # Set-up (normalising, BatchNorm adaptation) took 9 s on a busy PC with no bar.
    created = []

    from napari_finetune._widgets import _progress

    class Recording(_progress.TrainingProgress):
        def __init__(self, viewer, total, description):
            created.append(total)
            super().__init__(viewer, total, description)

    # Opening napari's bar processes Qt events, the round's next Preparing among them: a
    # second bar was opened on a busy machine (found with a benchmark running beside).
    monkeypatch.setattr(_progress, "TrainingProgress", Recording)
    w = FineTuneWidget(painted)
    w.steps.value = 5
    w.train.clicked.emit()
    finish(w, qtbot)
    assert created == [0]  # one bar, made indeterminate at the first Preparing event
