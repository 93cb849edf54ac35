"""*Apply to folder…* in the Fine-tune dock: predicted in a worker, resumable, stoppable."""

import numpy as np
import pandas as pd
import pytest
import tifffile
from qtpy.QtCore import QEvent
from qtpy.QtWidgets import QApplication, QDialog
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import _folder_dialog, _folder_run
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._folder_dialog import FolderChoice, OutputFolderDialog
from napari_finetune._widgets._folder_run import FolderRun
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.batch.made_by import read_made_by

WAIT_MS = 120_000


@pytest.fixture
def messages(monkeypatch):
    shown = capture_messages(monkeypatch, module)
    shown["info"] = []
    monkeypatch.setattr(_folder_run, "show_info", shown["info"].append)
    return shown


def write_folder(path, names, corrupt=()):
    path.mkdir()
    for seed, name in enumerate(names):
        if name in corrupt:
            (path / name).write_bytes(b"II*\x00 this is not really a TIFF")
        else:
            tifffile.imwrite(path / name, nf.voronoi_grains((64, 64), 8, seed=seed).image)
    return path


@pytest.fixture
def images(tmp_path):
    """a.tif, b.tif (corrupt), c.tif."""
    return write_folder(tmp_path / "images", ["a.tif", "b.tif", "c.tif"], corrupt=["b.tif"])


def answer(monkeypatch, folder, output=None, probabilities=False):
    """The dialogs' answers: the images' folder, then the output folder (None: the default)."""
    monkeypatch.setattr(FolderRun, "ask_input_folder", lambda self: str(folder))
    monkeypatch.setattr(
        FolderRun,
        "ask_output",
        lambda self, folder, default: FolderChoice(str(output or default), probabilities),
    )


def apply_to_folder(dock, qtbot):
    run = dock.files.folder
    run.apply.clicked.emit()
    qtbot.waitUntil(lambda: run.apply.enabled and not run.running, timeout=WAIT_MS)
    return run


def test_a_folder_is_predicted_with_the_current_model_and_summarised(
    dock_with_model, images, monkeypatch, qtbot, messages
):
    answer(monkeypatch, images, probabilities=True)
    run = apply_to_folder(dock_with_model, qtbot)
    out = images.parent / "images_predictions"
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "a_prediction.tif",
        "a_probabilities.tif",
        "c_prediction.tif",
        "c_probabilities.tif",
    ]
    labels = tifffile.imread(out / "a_prediction.tif")
    assert labels.shape == (64, 64) and set(np.unique(labels)) <= {1, 2}
    assert dock_with_model.status.value.startswith("Folder: 2 done, 1 failed in ")
    assert str(out) in dock_with_model.status.value
    # The table in the dock: one row per image, the failure said why.
    assert not run.table.native.isHidden()
    rows = run.table.value.splitlines()
    assert rows[0].split()[:2] == ["file", "status"]
    assert rows[3].split()[:2] == ["b.tif", "failed"] and "corrupt" in rows[3]
    assert messages["info"] == [dock_with_model.status.value]
    assert messages["error"] == []


def test_a_second_click_skips_what_is_done(dock_with_model, images, monkeypatch, qtbot):
    answer(monkeypatch, images)
    apply_to_folder(dock_with_model, qtbot)
    out = images.parent / "images_predictions"
    first = (out / "a_prediction.tif").stat().st_mtime_ns
    run = apply_to_folder(dock_with_model, qtbot)
    assert (out / "a_prediction.tif").stat().st_mtime_ns == first
    # The corrupt image has no output, so it is tried (and fails) again.
    assert dock_with_model.status.value.startswith("Folder: 2 skipped, 1 failed in ")
    assert "skipped" in run.table.value


def test_the_input_folder_as_output_is_refused_before_any_work(
    dock_with_model, images, monkeypatch, messages
):
    answer(monkeypatch, images, output=images)
    dock_with_model.files.folder.apply.clicked.emit()
    assert "is the folder of the input a.tif" in dock_with_model.status.value
    assert len(messages["error"]) == 1
    assert sorted(p.name for p in images.iterdir()) == ["a.tif", "b.tif", "c.tif"]
    assert not (images.parent / "images_predictions").exists()
    assert not dock_with_model.files.folder.running


def test_stop_leaves_complete_files_and_the_next_run_does_the_rest(
    dock_with_model, tmp_path, monkeypatch, qtbot
):
    names = [f"{n}.tif" for n in "abcdef"]
    images = write_folder(tmp_path / "many", names)
    out = tmp_path / "out"
    answer(monkeypatch, images, output=out)
    run = dock_with_model.files.folder

    def stop_after_the_first(event):
        if isinstance(event, _folder_run.FileDone) and event.index == 1:
            run.stop.clicked.emit()

    original = FolderRun._on_event
    monkeypatch.setattr(
        FolderRun, "_on_event", lambda self, e: (original(self, e), stop_after_the_first(e))
    )
    apply_to_folder(dock_with_model, qtbot)
    written = sorted(out.iterdir())
    # Stop takes effect between files: the first, perhaps the one being predicted.
    assert 1 <= len(written) <= 2
    for path in written:  # complete files only, no temporary ones left
        assert path.name.endswith("_prediction.tif")
        assert tifffile.imread(path).shape == (64, 64)
    assert dock_with_model.status.value.startswith(
        f"Folder run stopped: {len(written)} of 6 images done."
    )
    assert run.table.native.isHidden() and not run.stop.enabled

    monkeypatch.setattr(FolderRun, "_on_event", original)
    apply_to_folder(dock_with_model, qtbot)
    assert len(list(out.iterdir())) == 6
    assert dock_with_model.status.value.startswith(
        f"Folder: {6 - len(written)} done, {len(written)} skipped in "
    )


def test_without_a_model_the_start_model_is_used(painted, images, monkeypatch, qtbot):
    dock = FineTuneWidget(painted)
    assert dock.model is None
    dock.source.value = "scratch"  # learnt nothing: the shipped model stands in
    answer(monkeypatch, images)
    said = []
    started = _folder_run.words.started
    monkeypatch.setattr(
        _folder_run.words, "started", lambda *args: said.append(started(*args)) or said[-1]
    )
    apply_to_folder(dock, qtbot)
    assert said == [
        "Folder: predicting 3 of 3 images with world-unet (not fine-tuned on your painting yet)…"
    ]
    assert dock.status.value.startswith("Folder: 2 done, 1 failed")
    assert dock.model is None  # the folder run leaves the session as it was


def test_a_folder_run_is_refused_while_training(dock_with_model, images, monkeypatch, messages):
    asked = []
    monkeypatch.setattr(FolderRun, "ask_input_folder", lambda self: asked.append(1) or "")
    monkeypatch.setattr(dock_with_model.files.folder, "_busy", lambda: True)
    dock_with_model.files.folder.apply.clicked.emit()
    assert dock_with_model.status.value == f"Error: {_folder_run.words.STOP_TRAINING_FIRST}"
    assert asked == [] and len(messages["error"]) == 1


def test_cancelling_a_dialog_does_nothing(dock_with_model, images, monkeypatch, messages):
    before = dock_with_model.status.value
    monkeypatch.setattr(FolderRun, "ask_input_folder", lambda self: str(images))
    monkeypatch.setattr(FolderRun, "ask_output", lambda self, folder, default: None)
    dock_with_model.files.folder.apply.clicked.emit()
    assert dock_with_model.status.value == before
    assert not (images.parent / "images_predictions").exists()
    assert messages["error"] == []


def test_the_measure_grains_box_writes_grain_csvs_and_a_table(
    dock_with_model, images, monkeypatch, qtbot, messages
):
    monkeypatch.setattr(FolderRun, "ask_input_folder", lambda self: str(images))
    offered = []

    def tick_measure_and_write_there(dialog):
        # The dialog the user sees, answered as a user would: tick the box, click.
        offered.append(dialog.measure.isChecked())
        assert dialog.measure.text() == "Measure grains (CSV per image + table)"
        dialog.measure.setChecked(True)
        dialog.write.click()
        return dialog.result()

    monkeypatch.setattr(OutputFolderDialog, "exec", tick_measure_and_write_there)
    run = apply_to_folder(dock_with_model, qtbot)
    out = images.parent / "images_predictions"
    assert {"a_grains.csv", "a_grains_summary.csv", "c_grains_segments.csv"} <= {
        p.name for p in out.iterdir()
    }
    table = pd.read_csv(out / "measurements.csv")
    assert list(table["file"]) == ["a.tif", "b.tif", "c.tif"]
    assert table.loc[0, "grains"] > 1 and "prediction failed" in table.loc[1, "warnings"]
    assert dock_with_model.status.value.endswith("grain measurements in measurements.csv")
    assert f"one row per image or plane: {out / 'measurements.csv'}" in run.table.value
    assert messages["info"] == [dock_with_model.status.value]

    # Offered ticked the next time; the measured images are skipped, the table still whole.
    apply_to_folder(dock_with_model, qtbot)
    assert offered == [False, True]
    assert dock_with_model.status.value.startswith("Folder: 2 skipped, 1 failed in ")
    assert list(pd.read_csv(out / "measurements.csv")["file"]) == ["a.tif", "b.tif", "c.tif"]


def test_cancel_and_another_folder_in_the_output_dialog(dock_with_model, tmp_path, monkeypatch):
    run = dock_with_model.files.folder
    monkeypatch.setattr(OutputFolderDialog, "exec", lambda dialog: dialog.cancel.click())
    assert run.ask_output(tmp_path, tmp_path / "out") is None

    def other_with_probabilities(dialog):
        dialog.probabilities.setChecked(True)
        dialog.other.click()

    monkeypatch.setattr(OutputFolderDialog, "exec", other_with_probabilities)
    chosen = str(tmp_path / "elsewhere")
    monkeypatch.setattr(_folder_dialog.QFileDialog, "getExistingDirectory", lambda *args: chosen)
    assert run.ask_output(tmp_path, tmp_path / "out") == FolderChoice(chosen, True, False)
    # The dialogs asked are deleted once answered, not kept as children of the button.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert run.apply.native.findChildren(QDialog) == []


def test_outputs_another_model_made_are_replaced_only_when_the_user_says_so(
    painted, images, monkeypatch, qtbot, messages
):
    dock = FineTuneWidget(painted)
    dock.source.value = "scratch"  # world-unet stands in, loaded in the worker
    answer(monkeypatch, images)
    apply_to_folder(dock, qtbot)
    out = images.parent / "images_predictions"
    (out / "c_prediction.tif").unlink()  # c is to do: the refusal comes first all the same
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    asked = []
    monkeypatch.setattr(FolderRun, "ask_replace", lambda self, stale: asked.append(stale) and 0)
    dock.source.value = "voronoi-unet"
    apply_to_folder(dock, qtbot)
    assert len(asked) == 1 and asked[0].found.startswith(f"the outputs of the image in {out} were")
    assert "model 'world-unet'" in asked[0].found and "'voronoi-unet'" in asked[0].found
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert dock.status.value == f"{asked[0].found}: nothing written, they are kept."
    assert messages["error"] == []
    monkeypatch.setattr(FolderRun, "ask_replace", lambda self, stale: True)
    apply_to_folder(dock, qtbot)  # the replacing run starts as the refused one ends
    assert read_made_by(out / "a_prediction.tif").model == "voronoi-unet"
    assert read_made_by(out / "c_prediction.tif").model == "voronoi-unet"
    assert dock.status.value.startswith("Folder: 2 done, 1 failed in ")


def test_no_replacing_after_stop_nor_while_training(painted, images, monkeypatch, qtbot, messages):
    dock = FineTuneWidget(painted)
    dock.source.value = "scratch"
    answer(monkeypatch, images)
    apply_to_folder(dock, qtbot)
    out = images.parent / "images_predictions"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    dock.source.value = "voronoi-unet"
    run = dock.files.folder
    asked = []
    monkeypatch.setattr(FolderRun, "ask_replace", lambda self, stale: asked.append(1) or True)
    # Stop pressed while the model loads: the run ends refused, and nothing is asked.
    original = _folder_run.run_until_stopped

    def stop_first(model, plan, stop, device=None):
        stop.set()
        yield from original(model, plan, stop, device)

    monkeypatch.setattr(_folder_run, "run_until_stopped", stop_first)
    apply_to_folder(dock, qtbot)
    assert asked == [] and {p.name: p.read_bytes() for p in out.iterdir()} == before
    # Training started meanwhile: the answer is refused as a new run would be.
    monkeypatch.setattr(_folder_run, "run_until_stopped", original)
    monkeypatch.setattr(run, "_busy", lambda: bool(asked))
    apply_to_folder(dock, qtbot)
    assert asked == [1] and {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert messages["error"] == [f"Fine-tune: {_folder_run.words.STOP_TRAINING_FIRST}"]
