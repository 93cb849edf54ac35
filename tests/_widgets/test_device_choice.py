"""The Fine-tune dock's device choice: what this computer has, and it reaches the round."""

import pytest
import torch

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.models import device as dev


def test_the_dock_offers_the_devices_here_and_the_round_gets_the_choice(painted):
    w = FineTuneWidget(painted)
    assert list(w.device.choices) == dev.device_choices_here()
    assert w.device.value == "auto"
    auto_label = w.device.native.currentText()
    assert auto_label.startswith("auto: ")  # says what auto takes here
    w.device.value = "cpu"
    assert w.settings.options(None, None).device == "cpu"


def test_a_computer_with_a_gpu_lists_it(painted, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Test GPU")
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    w = FineTuneWidget(painted)
    assert list(w.device.choices) == ["auto", "cuda", "cpu"]
    assert w.device.native.currentText() == "auto: GPU cuda:0"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_device_gone_since_the_menu_was_made_is_said_before_training(painted, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Test GPU")
    w = FineTuneWidget(painted)
    w.device.value = "cuda"
    monkeypatch.undo()  # the GPU is gone (unplugged eGPU, driver reset)
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        w.settings.options(None, None)


def test_predict_and_apply_to_folder_run_on_the_dock_device(painted, qtbot, monkeypatch, tmp_path):
    import numpy as np
    import tifffile

    from napari_finetune._widgets import _folder_run
    from napari_finetune.batch import plan_predictions
    from napari_finetune.session import predicting

    seen = []

    def fake_predict(model, image, device=None, average_views=False):
        seen.append(("predict", device))
        return np.full((2, *image.shape), 0.5, np.float32)

    def fake_run(model, plan, stop, device=None):
        seen.append(("folder", device))
        yield from ()

    monkeypatch.setattr(predicting, "predict", fake_predict)
    monkeypatch.setattr(_folder_run, "run_until_stopped", fake_run)
    w = FineTuneWidget(painted)
    w.device.value = "cpu"
    w.files.predict_on.value = painted.layers["grains"]
    w.files.predict_button.clicked.emit()
    qtbot.waitUntil(
        lambda: w.files._worker is None or not w.files._worker.is_running, timeout=30_000
    )
    qtbot.waitUntil(lambda: ("predict", "cpu") in seen, timeout=30_000)
    (tmp_path / "in").mkdir()
    tifffile.imwrite(tmp_path / "in" / "a.tif", np.zeros((32, 32), np.uint8))
    plan = plan_predictions(tmp_path / "in", tmp_path / "out")
    w.device.value = "auto"
    w.files.folder._begin("voronoi-unet", plan)
    qtbot.waitUntil(lambda: not w.files.folder.running, timeout=30_000)
    assert ("folder", "auto") in seen
