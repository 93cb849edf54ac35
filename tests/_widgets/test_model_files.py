"""*Save model…* and *Load model…* with places and files that are not what they seem."""

import numpy as np
import pytest
from widget_messages import capture_messages

from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._model_actions import ModelActions
from napari_finetune.models import save_model
from napari_finetune.models.registry import load_model


@pytest.fixture
def messages(monkeypatch):
    return capture_messages(monkeypatch, module)


@pytest.fixture
def dock(dock_with_model):
    return dock_with_model


def choose(monkeypatch, path):
    monkeypatch.setattr(ModelActions, "ask_path", lambda self, save: str(path))


def test_saving_where_nothing_can_be_written_is_reported(dock, tmp_path, monkeypatch, messages):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    for target, said in (
        (blocker / "m.ckpt", "is a file, not a folder"),
        (tmp_path, "is a folder"),
    ):
        choose(monkeypatch, target)
        dock.files.save.clicked.emit()  # raised FileExistsError into the Qt loop before
        assert said in dock.status.value
    assert len(messages["error"]) == 2
    assert blocker.read_text() == "not a folder"


def test_bad_model_files_are_refused_and_the_current_model_stays(
    dock, tmp_path, monkeypatch, messages
):
    current = dock.model
    noise = tmp_path / "noise.ckpt"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, np.uint8).tobytes())
    nan = load_model("voronoi-unet")
    nan.net.head.weight.data[0] = float("nan")
    cases = [
        (tmp_path, "is a folder"),  # was "does not exist"
        (noise, "not a napari-finetune model"),  # was 6 lines of torch advice
        (save_model(nan, tmp_path / "nan.ckpt"), "NaN or infinite"),  # loaded before
    ]
    for path, said in cases:
        choose(monkeypatch, path)
        dock.files.load.clicked.emit()
        assert said in dock.status.value and "PyTorch" not in dock.status.value
        assert dock.model is current
    assert len(messages["error"]) == len(cases)


def test_stop_before_the_first_epoch_keeps_the_loaded_model(dock, qtbot):
    current = dock.model
    weights = {k: v.clone() for k, v in current.net.state_dict().items()}
    dock.seconds.value = 600
    dock.train.clicked.emit()
    qtbot.waitUntil(lambda: "patches/s" in dock.status.value, timeout=120_000)
    dock.stop.clicked.emit()
    qtbot.waitUntil(lambda: dock._worker is None, timeout=60_000)
    assert "previous model is kept" in dock.status.value
    assert dock.model is current
    for name, tensor in current.net.state_dict().items():
        assert (tensor == weights[name]).all(), name


def test_a_name_without_suffix_is_saved_as_a_checkpoint_load_model_lists(
    dock, tmp_path, monkeypatch, messages
):
    from qtpy.QtWidgets import QMessageBox

    choose(monkeypatch, tmp_path / "grains_v2")
    dock.files.save.clicked.emit()
    assert (tmp_path / "grains_v2.ckpt").is_file() and not (tmp_path / "grains_v2").exists()
    assert dock.status.value == "Saved the model to grains_v2.ckpt."
    # The dialog asked about 'grains_v2', not the file now written: asked again.
    before = (tmp_path / "grains_v2.ckpt").read_bytes()
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.Cancel
    )
    dock.files.save.clicked.emit()
    assert asked == ["grains_v2.ckpt exists. Replace it?"]
    assert (tmp_path / "grains_v2.ckpt").read_bytes() == before
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.Yes)
    dock.files.save.clicked.emit()
    assert dock.status.value == "Saved the model to grains_v2.ckpt."
    assert messages["error"] == []


def test_export_offers_a_fine_tuned_model_under_its_own_name(dock, monkeypatch):
    from napari_finetune._widgets import _model_actions

    offered = []
    monkeypatch.setattr(
        _model_actions, "ask_export_path", lambda parent, name: offered.append(name) or ""
    )
    dock.model.name = "world-unet"
    dock.model.history = [{"run": 0, "step": 50, "train_loss": 1.0}]
    dock.files.export.clicked.emit()
    dock.model.history.append({"run": 1, "epoch": 1, "train_loss": 0.5})
    dock.files.export.clicked.emit()
    assert offered == ["world-unet", "world-unet-finetuned"]
