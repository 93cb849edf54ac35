"""The Fine-tune dock's ×: its jobs stop, its session and autosave go on; reopening restores it."""

import numpy as np
import pytest

from napari_finetune._widgets import _closed_dock
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune.session.autosave import FOLDER_VARIABLE


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path / "autosave"))
    return tmp_path / "autosave"


@pytest.fixture
def docked(make_napari_viewer, folder, monkeypatch):
    """A viewer with the painted sample and Fine-tune from its plugin entry; info shown."""
    said = []
    monkeypatch.setattr(_closed_dock, "show_info", said.append)
    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", "painted")
    _, w = viewer.window.add_plugin_dock_widget("napari-finetune", "Fine-tune")
    return viewer, w, said


def from_the_menu():
    """What Plugins > Fine-tune makes (napari adds it to the window)."""
    from napari._qt._qplugins._qnpe2 import _toggle_or_get_widget

    return _toggle_or_get_widget("napari-finetune", "Fine-tune", "Fine-tune (napari-finetune)")


def close_with_x(viewer, widget):
    """What the dock's × button does (QtViewerDockWidget.destroyOnClose)."""
    viewer.window.remove_dock_widget(widget.native)


def test_closing_the_dock_stops_training_and_keeps_the_session_and_autosave(docked, qtbot):
    viewer, w, said = docked
    w.seconds.value = 600
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: "Training" in w.status.value, timeout=60_000)
    qtbot.waitUntil(lambda: len(w.plot.epochs) >= 1, timeout=120_000)
    close_with_x(viewer, w)
    assert said and "Training stopped (as Stop does)" in said[0]
    qtbot.waitUntil(lambda: w._worker is None, timeout=60_000)  # well before its 600 s
    assert w.model is not None  # the best weights so far, as Stop keeps them
    qtbot.wait(50)
    assert w.native.isHidden() and w.native.parent() is not None  # kept, hidden

    # Autosave goes on while the dock is closed: a later stroke and a removal are saved.
    w.autosave.autosave.min_interval = 0.2
    w.autosave.timer.setInterval(50)
    qtbot.waitUntil(lambda: not w.autosave._workers, timeout=10_000)
    before = len(w.autosave.autosave.saved())
    layer = viewer.layers["grains painted"]
    layer.paint((300, 300), 2)
    qtbot.waitUntil(lambda: len(w.autosave.autosave.saved()) > before, timeout=10_000)
    np.testing.assert_array_equal(
        w.autosave.autosave.load(w.autosave.autosave.saved()[0]), layer.data
    )

    # Plugins > Fine-tune brings back the same session, model and all.
    model = w.model
    again, name = from_the_menu()
    viewer.window.add_dock_widget(again, name=name)  # as napari's menu then does
    assert again is w and again.model is model and not again.native.isHidden()
    close_with_x(viewer, again)  # closed twice: still kept
    _, third = viewer.window.add_plugin_dock_widget("napari-finetune", "Fine-tune")
    assert third is w


def test_a_dock_closed_with_nothing_running_says_so_without_stopping_anything(docked, qtbot):
    viewer, w, said = docked
    close_with_x(viewer, w)
    assert said == [
        "Fine-tune closed. Your paintings are being saved and autosave goes on; "
        "Plugins ▸ Fine-tune brings back this session, its model and rounds."
    ]
    qtbot.waitUntil(lambda: len(w.autosave.autosave.saved()) == 1, timeout=10_000)


def test_fine_tune_waits_for_a_running_predict(docked, qtbot, monkeypatch):
    viewer, w, _ = docked
    errors = []
    monkeypatch.setattr(module, "show_error", errors.append)
    w.files.predict_on.value = viewer.layers["grains"]
    w.files.predict_button.clicked.emit()
    assert not w.files.predict_button.enabled  # Predict is running
    w.train.clicked.emit()
    assert w._worker is None
    assert errors == ["Fine-tune: Predict is running: wait for it or stop it first."]
    qtbot.waitUntil(lambda: w.files.predict_button.enabled, timeout=60_000)


def test_a_prediction_painted_with_no_dock_at_all_becomes_the_users(make_napari_viewer):
    from napari_finetune._widgets._result_layers import show_prediction
    from napari_finetune.session import Prediction

    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((32, 32), np.float32), name="img")
    sure = np.zeros((2, 32, 32), np.float32)
    sure[0] = 1.0  # all class 1
    show_prediction(viewer, Prediction("img", sure, final=False), None, {})
    prediction = viewer.layers["img prediction"]
    prediction.paint((10, 10), 2)  # the user's correction: no Fine-tune dock watching
    corrected = prediction.data.copy()
    show_prediction(viewer, Prediction("img", sure, final=False), None, {})
    np.testing.assert_array_equal(prediction.data, corrected)
    assert (viewer.layers["img prediction [1]"].data == 1).all()


def test_an_image_renamed_while_it_trains_gets_its_results_under_its_new_name(painted, qtbot):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
    from napari_finetune.session import Prediction

    w = FineTuneWidget(painted)
    w.steps.value = 10
    w.active.n.value = 2
    shown = []
    show = w._on_event

    def spy(event):
        if isinstance(event, Prediction) and "grains" in painted.layers:
            painted.layers["grains"].name = "grains, etched"  # the user renames it mid-round
        shown.append(event)
        show(event)

    w._on_event = spy
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    names = {layer.name for layer in painted.layers}
    assert {"grains, etched prediction", "grains, etched uncertainty"} <= names
    assert "grains, etched suggestions" in names and "grains suggestions" not in names
    assert all(box.target == "grains, etched" for box in w.active._ranking)


def test_plugins_menu_makes_a_fine_tune_widget(make_napari_viewer, folder):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

    make_napari_viewer()
    widget, _ = from_the_menu()
    assert isinstance(widget, FineTuneWidget)
    widget.native.close()


def test_predict_during_training_says_why_it_does_nothing(painted, qtbot, monkeypatch):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

    w = FineTuneWidget(painted)
    errors = []
    monkeypatch.setattr(w.files, "_report", errors.append)
    w.seconds.value = 600
    w.train.clicked.emit()
    w.files.predict_button.clicked.emit()
    assert [str(e) for e in errors] == ["Training is running: predict once it ends, or stop it."]
    w.stop.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)


def test_feature_maps_keep_the_model_of_a_closed_fine_tune_dock(docked, qtbot):
    # Before, only open docks were searched: the model was lost and the menu
    # silently fell back to world-unet.
    from napari_finetune._widgets._model_choice import CURRENT
    from napari_finetune._widgets.feature_maps import FeatureMapsWidget
    from napari_finetune.models.registry import load_model

    viewer, w, _ = docked
    w.session.model = load_model("world-unet").copy()
    maps = FeatureMapsWidget(viewer)
    assert maps.models.source.value == CURRENT
    close_with_x(viewer, w)
    qtbot.wait(50)
    assert _closed_dock.closed_fine_tune_widget(viewer) is w
    maps._refresh()
    assert maps.models.source.value == CURRENT
    assert maps.models.known() is w.session.model
    assert "gone" not in maps.status.value
