"""The dock's *average flipped and rotated views* box reaches every prediction it offers."""

import numpy as np
import tifffile

import napari_finetune as nf
from napari_finetune._widgets import _folder_run
from napari_finetune._widgets._folder_dialog import FolderChoice
from napari_finetune._widgets._folder_run import FolderRun
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.inference.views_advice import BOXES_VIEWS, STROKES_VIEWS
from napari_finetune.session import predicting

WAIT_MS = 60_000


def test_the_box_sits_under_predict_on_and_follows_the_painting_until_clicked(painted):
    w = FineTuneWidget(painted)
    box, info = w.files.average_views, w.files.views.info
    widgets = w.files.widgets
    assert widgets.index(box) == widgets.index(w.files.predict_on) + 1
    assert widgets.index(info) == widgets.index(box) + 1  # why, right under it
    assert "never one its augmentation preset forbids" in box.tooltip
    assert "Apply to folder" in box.tooltip
    # The sample's strokes: suggested on (views_advice.py), and said so.
    assert box.value is True and info.value == STROKES_VIEWS
    # Painted everywhere, the classes meet: suggested off.
    strokes = painted.layers["grains painted"]
    before = strokes.data.copy()
    strokes.data = np.where(before > 0, before, 1)  # the rest interior: classes meet
    assert box.value is False and info.value == BOXES_VIEWS
    strokes.data = before
    assert box.value is True
    # Once clicked, the box is the user's: painting no longer moves it.
    box.value = False
    assert info.value == "Off (your choice): one view, the fastest."
    strokes.data = before.copy()
    assert box.value is False


def test_predict_the_round_and_the_folder_run_average_when_ticked(
    painted, qtbot, monkeypatch, tmp_path
):
    asked = []

    def fake_predict(model, image, device=None, average_views=False):
        asked.append(average_views)
        return np.full((2, *image.shape), 0.5, np.float32)

    monkeypatch.setattr(predicting, "predict", fake_predict)
    w = FineTuneWidget(painted)
    w.files.average_views.value = True
    w.files.predict_on.value = painted.layers["grains"]
    w.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: bool(asked) and w.files.predict_button.enabled, timeout=WAIT_MS)
    assert asked == [True]
    # the shipped start model trained with no flips: said, not hidden
    assert "One view: the model records no flips or turns from its training." in w.status.value

    # the round's final predictions follow the box
    rounds = []

    def fake_round(options):
        rounds.append(options)
        raise ValueError("no training in this test")

    monkeypatch.setattr(w.session, "train_round", fake_round)
    w.train.clicked.emit()
    w.files.average_views.value = False
    w.train.clicked.emit()
    assert [options.average_views for options in rounds] == [True, False]

    # and so does Apply to folder…
    (tmp_path / "in").mkdir()
    tifffile.imwrite(tmp_path / "in" / "a.tif", nf.voronoi_grains((48, 48), 5, seed=0).image)
    plans = []
    monkeypatch.setattr(FolderRun, "ask_input_folder", lambda self: str(tmp_path / "in"))
    monkeypatch.setattr(
        FolderRun, "ask_output", lambda self, folder, default: FolderChoice(str(tmp_path / "o"))
    )
    monkeypatch.setattr(_folder_run, "run_until_stopped", lambda m, plan, *a, **k: iter(()))
    monkeypatch.setattr(FolderRun, "_begin", lambda self, model, plan: plans.append(plan))
    w.files.average_views.value = True
    w.files.folder.apply.clicked.emit()
    assert [plan.average_views for plan in plans] == [True]
