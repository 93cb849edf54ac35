"""*Export…* in the Fine-tune dock: ONNX and BioImage.IO files, in a worker, errors in words."""

import numpy as np
import pytest
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._model_actions import ModelActions
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def messages(monkeypatch):
    return capture_messages(monkeypatch, module)


@pytest.fixture
def dock(dock_with_model):
    return dock_with_model


def export_to(dock, monkeypatch, qtbot, path):
    monkeypatch.setattr(ModelActions, "ask_export_path", lambda self: str(path))
    dock.files.export.clicked.emit()
    qtbot.waitUntil(lambda: dock.files.export.enabled, timeout=120_000)


def test_export_writes_an_onnx_file_that_predicts_like_the_model(
    dock, tmp_path, monkeypatch, qtbot
):
    path = tmp_path / "out" / "grains.onnx"
    export_to(dock, monkeypatch, qtbot, path)
    assert dock.status.value.startswith("Exported the model to grains.onnx (1.")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    image = nf.voronoi_grains((64, 96), 8, seed=0).image
    batch = dock.model.normalization(image)[None, None]
    np.testing.assert_allclose(
        session.run(None, {"image": batch})[0][0], nf.predict(dock.model, image), atol=1e-4
    )


def test_export_without_a_model_says_so(painted, monkeypatch, messages):
    widget = FineTuneWidget(painted)
    asked = []
    monkeypatch.setattr(ModelActions, "ask_export_path", lambda self: asked.append(1) or "")
    widget.files.export.clicked.emit()
    assert "no model to export" in widget.status.value
    assert asked == [] and len(messages["error"]) == 1


def test_export_to_an_impossible_place_is_reported(dock, tmp_path, monkeypatch, qtbot, messages):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    export_to(dock, monkeypatch, qtbot, blocker / "grains.onnx")
    assert "notes.txt" in dock.status.value
    assert blocker.read_text() == "a file, not a folder"
    assert len(messages["error"]) == 1


def test_cancelling_the_dialog_does_nothing(dock, monkeypatch, messages):
    before = dock.status.value
    monkeypatch.setattr(ModelActions, "ask_export_path", lambda self: "")
    dock.files.export.clicked.emit()
    assert dock.status.value == before and dock.files.export.enabled
    assert messages["error"] == []


def test_a_bioimageio_package_exported_from_the_dock_loads_back(
    dock, tmp_path, monkeypatch, qtbot
):
    pytest.importorskip("bioimageio.spec")
    path = tmp_path / "grains.zip"
    export_to(dock, monkeypatch, qtbot, path)
    assert dock.status.value.startswith("Exported the model to grains.zip")
    exported = dock.model
    monkeypatch.setattr(ModelActions, "ask_path", lambda self, save: str(path))
    dock.files.load.clicked.emit()
    assert dock.status.value.startswith("Loaded grains.zip")
    assert dock.model is not exported
    image = nf.voronoi_grains((64, 64), 6, seed=1).image
    np.testing.assert_array_equal(nf.predict(dock.model, image), nf.predict(exported, image))


def test_the_chosen_file_type_decides_the_suffix_and_a_changed_name_is_asked_again(
    tmp_path, monkeypatch
):
    from qtpy.QtWidgets import QFileDialog, QMessageBox

    from napari_finetune._widgets import _export_dialog
    from napari_finetune.export_formats import with_format_suffix

    assert with_format_suffix("a/grains.onnx", ".zip") == __import__("pathlib").Path(
        "a/grains.zip"
    )
    assert str(with_format_suffix("grains.v2", ".onnx")) == "grains.v2.onnx"
    package = "BioImage.IO model package (*.zip)"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "grains.onnx"), package)
    )
    assert _export_dialog.ask_export_path(None, "grains") == str(tmp_path / "grains.zip")
    (tmp_path / "grains.zip").write_bytes(b"an earlier export")
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.Cancel
    )
    assert _export_dialog.ask_export_path(None, "grains") == ""
    assert asked == ["grains.zip exists. Replace it?"]
    # A suffix the user typed decides, whatever the file type left chosen.
    onnx_type = "ONNX model (*.onnx)"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "typed.zip"), onnx_type)
    )
    assert _export_dialog.ask_export_path(None, "grains") == str(tmp_path / "typed.zip")
