"""The Fine-tune dock keeps what the user paints: autosave, forced saves, *Restore paintings…*."""

import gc
import os
import weakref

import numpy as np
import pytest
from widget_messages import capture_messages

from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._autosave_rows import AutosaveRows
from napari_finetune._widgets._model_actions import ModelActions
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.session.autosave import FOLDER_VARIABLE


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The autosave folder of the docks made in a test."""
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path / "autosave"))
    return tmp_path / "autosave"


@pytest.fixture
def messages(monkeypatch):
    return capture_messages(monkeypatch, module)


def quick(widget, min_interval=0.2):
    """Shorter intervals than a user's 30 s, so that a test sees a save."""
    widget.autosave.autosave.min_interval = min_interval
    widget.autosave.timer.setInterval(50)
    return widget.autosave


def idle(rows, qtbot):
    qtbot.waitUntil(lambda: not rows._workers, timeout=10_000)


def files_in(folder):
    return {p for p in folder.rglob("*") if p.is_file()}


def test_painting_a_chosen_layer_is_autosaved_after_the_interval(painted, qtbot, folder):
    w = FineTuneWidget(painted)
    rows = quick(w)
    layer = painted.layers["grains painted"]
    assert str(folder).split(os.sep)[-1] in rows.status.value  # says where saves go
    # The painting as the dock found it is saved first (it may predate the dock).
    qtbot.waitUntil(lambda: len(rows.autosave.saved()) == 1, timeout=10_000)
    idle(rows, qtbot)
    qtbot.wait(400)
    assert len(rows.autosave.saved()) == 1  # nothing painted since: nothing written
    layer.selected_label = 2
    layer.paint((100, 100), 2)  # a brush stroke, as the mouse makes it
    assert layer.data[100, 100] == 2
    qtbot.waitUntil(lambda: len(rows.autosave.saved()) == 2, timeout=10_000)
    newest = rows.autosave.saved()[0]
    assert newest.layer_name == "grains painted" and newest.image_name == "grains"
    np.testing.assert_array_equal(rows.autosave.load(newest), layer.data)
    assert newest.path.is_relative_to(folder)
    assert "Autosaved 'grains painted'" in rows.status.value


def test_restore_adds_a_new_layer_and_changes_no_user_layer(painted, qtbot, folder, monkeypatch):
    w = FineTuneWidget(painted)
    rows = w.autosave
    layer = painted.layers["grains painted"]
    layer.scale = (0.5, 0.25)
    saved_data = layer.data.copy()
    rows.save_now()
    idle(rows, qtbot)
    layer.data = np.zeros_like(layer.data)  # the user erases everything
    before = {lay.name: np.asarray(lay.data).copy() for lay in painted.layers}
    offered = []
    monkeypatch.setattr(AutosaveRows, "choose", lambda self, e: offered.extend(e) or e[0])
    w.autosave.restore.clicked.emit()
    assert [e.layer_name for e in offered] == ["grains painted"]
    restored = painted.layers[-1]
    assert restored.name.startswith("grains painted (restored ")
    np.testing.assert_array_equal(restored.data, saved_data)
    assert restored.data.dtype == saved_data.dtype
    assert tuple(restored.scale) == (0.5, 0.25)
    for label in (1, 2):  # classes keep their colours
        np.testing.assert_allclose(restored.colormap.map(label), layer.colormap.map(label))
    for name, data in before.items():  # no existing layer was touched
        np.testing.assert_array_equal(painted.layers[name].data, data)
    assert "Restored 'grains painted'" in rows.status.value


def test_nothing_is_written_outside_the_autosave_folder(painted, qtbot, tmp_path, folder):
    cwd_before = set(os.listdir())
    w = quick(FineTuneWidget(painted), min_interval=0)
    painted.layers["grains painted"].paint((10, 10), 1)
    qtbot.waitUntil(lambda: len(w.autosave.saved()) >= 1, timeout=10_000)
    idle(w, qtbot)
    assert {p for p in tmp_path.rglob("*") if p.is_file()} == files_in(folder)
    assert {p.suffix for p in files_in(folder)} == {".tif", ".json"}
    assert set(os.listdir()) == cwd_before


def test_training_forces_a_save_whatever_the_interval(painted, qtbot, folder, monkeypatch):
    w = FineTuneWidget(painted)
    w.autosave.autosave.min_interval = 3600
    w.autosave.save_now()
    idle(w.autosave, qtbot)
    layer = painted.layers["grains painted"]
    layer.paint((20, 20), 2)
    assert not w.autosave.autosave.due(w.autosave._key(layer))  # one series per layer

    def stop_here(options):
        raise ValueError("no training in this test")

    monkeypatch.setattr(w.session, "train_round", stop_here)
    capture_messages(monkeypatch, module)
    w.train.clicked.emit()
    idle(w.autosave, qtbot)
    newest = w.autosave.autosave.saved()[0]
    np.testing.assert_array_equal(
        w.autosave.autosave.load(newest), painted.layers["grains painted"].data
    )
    assert len(w.autosave.autosave.saved()) == 2


def test_a_removed_painting_is_saved_and_comes_back(painted, qtbot, folder, monkeypatch):
    w = FineTuneWidget(painted)
    w.autosave.autosave.min_interval = 3600
    layer = painted.layers["grains painted"]
    layer.paint((30, 30), 1)
    expected = layer.data.copy()
    painted.layers.remove(layer)
    assert "as it was removed" in w.autosave.status.value
    monkeypatch.setattr(AutosaveRows, "choose", lambda self, entries: entries[0])
    w.autosave.restore.clicked.emit()
    np.testing.assert_array_equal(painted.layers[-1].data, expected)


def test_a_damaged_autosave_is_reported_not_restored(painted, qtbot, folder, messages):
    w = FineTuneWidget(painted)
    w.autosave.save_now()
    idle(w.autosave, qtbot)
    (entry,) = w.autosave.autosave.saved()
    entry.path.write_bytes(b"garbage")
    n_layers = len(painted.layers)
    w.autosave.choose = lambda entries: entries[0]
    w.autosave.restore.clicked.emit()
    assert len(painted.layers) == n_layers
    assert "cannot be read" in messages["error"][0]


def test_restore_with_nothing_saved_says_so(painted, folder):
    w = FineTuneWidget(painted)
    w.autosave.restore.clicked.emit()
    assert "No autosaved paintings yet" in w.autosave.status.value


def test_model_line_follows_rounds_and_loaded_checkpoints(
    painted, qtbot, folder, tmp_path, monkeypatch
):
    w = FineTuneWidget(painted)
    assert (
        w.model_info.value == "model: none trained yet (Predict uses the start model as shipped)"
    )
    w.steps.value = 5
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    assert w.model_info.value == "model: fine-tuned from world-unet, 1 round"
    monkeypatch.setattr(ModelActions, "ask_path", lambda self, save: str(tmp_path / "g.ckpt"))
    w.files.save.clicked.emit()
    other = FineTuneWidget(painted)
    other.files.load.clicked.emit()
    assert other.model_info.value == (
        "model: loaded checkpoint, fine-tuned from world-unet, 1 round"
    )


@pytest.mark.parametrize("how", ["viewer.close()", "widget deleted"])
def test_closing_the_window_saves_what_was_painted_since(make_napari_viewer, qtbot, folder, how):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", "painted")
    _, w = viewer.window.add_plugin_dock_widget("napari-finetune", "Fine-tune")
    w.autosave.autosave.min_interval = 3600
    w.autosave.save_now()
    idle(w.autosave, qtbot)
    layer = viewer.layers["grains painted"]
    layer.paint((40, 40), 2)
    expected = layer.data.copy()
    if how == "viewer.close()":
        viewer.close()  # removes the layers first
    else:  # as the window's close button does: widgets deleted, layers still there
        w.native.deleteLater()
    qtbot.waitUntil(lambda: w.autosave._closed, timeout=10_000)
    entries = w.autosave.autosave.saved()
    assert len(entries) == 2
    np.testing.assert_array_equal(w.autosave.autosave.load(entries[0]), expected)


def test_the_rows_keep_no_removed_layer_alive(painted, qtbot, folder):
    w = FineTuneWidget(painted)
    layer = painted.add_labels(np.zeros((64, 64), np.uint8), name="scratch paint")
    layer.paint((5, 5), 1)
    w.autosave._edited[layer] = True
    ref = weakref.ref(layer)
    painted.layers.remove(layer)
    del layer
    gc.collect()
    assert ref() is None
    w.autosave.tick()  # and nothing breaks once it is gone


def test_a_restored_painting_keeps_its_class_names_and_can_be_renamed(
    steel, qtbot, folder, monkeypatch
):
    w = FineTuneWidget(steel)
    w.pairs.class_names.value = "ferrite, pearlite"
    w.pairs.new_painting.clicked.emit()
    made = steel.layers["NIST steel painted"]
    made.data[5:9, 5:9] = 2
    w.autosave.save_now()
    idle(w.autosave, qtbot)
    (entry,) = w.autosave.autosave.saved()
    assert entry.class_names == {1: "ferrite", 2: "pearlite"}
    steel.layers.remove(made)  # the layer is gone: only the autosave has it
    idle(w.autosave, qtbot)
    monkeypatch.setattr(AutosaveRows, "choose", lambda self, entries: entries[0])
    w.autosave.restore.clicked.emit()
    restored = steel.layers[-1]
    assert restored.name.startswith("NIST steel painted (restored ")
    assert list(restored.features["class"]) == ["unpainted", "ferrite", "pearlite"]
    assert restored.metadata["napari_finetune"]["classes"] == {1: "ferrite", 2: "pearlite"}
    # the classes field renames its legend like any painting the plugin made
    w.pairs.rows()[0].labels_layer.value = restored
    w.autosave.save_now()
    idle(w.autosave, qtbot)
    assert w.autosave.autosave.saved()[0].class_names == {1: "ferrite", 2: "pearlite"}
    w.pairs.class_names.value = "ferrite, bainite"
    w.pairs.class_names.native.editingFinished.emit()
    assert list(restored.features["class"]) == ["unpainted", "ferrite", "bainite"]
    assert (restored.data[5:9, 5:9] == 2).all() and int(restored.data.sum()) == 32
    # the renamed legend is autosaved although no pixel changed
    w.autosave.save_now()
    idle(w.autosave, qtbot)
    versions = [e for e in w.autosave.autosave.saved() if e.layer_name == restored.name]
    assert [e.class_names[2] for e in versions] == ["bainite", "pearlite"]  # newest first


def test_any_labels_layer_the_user_paints_is_autosaved_and_a_painted_output_becomes_theirs(
    painted, qtbot, folder
):
    from napari_finetune._widgets._layers import output_metadata

    w = FineTuneWidget(painted)
    rows = quick(w)
    idle(rows, qtbot)
    shape = painted.layers["grains"].data.shape
    # napari's own New labels button: an empty layer the dock does not choose.
    extra = painted.add_labels(np.zeros(shape, np.uint8), name="Labels")
    meta = output_metadata("prediction")  # as the dock marks a prediction: names and colours
    meta["napari_finetune"]["classes"] = {1: {"name": "interior", "colour": "red"}}
    prediction = painted.add_labels(np.ones(shape, np.uint8), name="grains prediction")
    prediction.metadata = meta
    extra.paint((30, 30), 1)
    prediction.paint((40, 40), 2)  # correcting the model by hand
    qtbot.waitUntil(
        lambda: {"Labels", "grains prediction"} <= {e.layer_name for e in rows.autosave.saved()},
        timeout=10_000,
    )
    idle(rows, qtbot)
    ours = prediction.metadata["napari_finetune"]
    assert "role" not in ours and ours["painted_from"] == "prediction"
    assert ours["classes"] == {1: "interior"}  # a painting's names, as autosave keeps them
    saved = [e for e in rows.autosave.saved() if e.layer_name == "grains prediction"]
    assert saved[0].class_names == {1: "interior"}


def test_the_chooser_restores_the_version_picked_not_its_look_alike(qtbot, tmp_path, monkeypatch):
    from datetime import datetime

    from qtpy.QtWidgets import QInputDialog

    from napari_finetune._widgets._restore_painting import choose_entry
    from napari_finetune.session import AutosaveEntry

    at = datetime(2020, 1, 2, 9, 15, 30).timestamp()
    entries = [
        AutosaveEntry(
            tmp_path / f"{n}.tif", "grains painted", "grains", (8, 8), "uint8", 5, at, "0"
        )
        for n in range(3)
    ]
    offered = []

    def pick_third(parent, title, label, items, current, editable):
        offered.extend(items)
        return items[2], True

    monkeypatch.setattr(QInputDialog, "getItem", pick_third)
    assert choose_entry(None, entries) is entries[2]
    assert len(set(offered)) == 3
