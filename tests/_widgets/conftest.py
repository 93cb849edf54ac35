"""Fixtures shared by the widget tests."""

import pytest


def _viewer_with(make_napari_viewer, sample):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", sample)
    return viewer


@pytest.fixture
def painted(make_napari_viewer):
    """A viewer with the painted-strokes sample open."""
    return _viewer_with(make_napari_viewer, "painted")


@pytest.fixture
def steel(make_napari_viewer):
    """A viewer with the NIST etched steel sample (image and traced boundaries, µm)."""
    return _viewer_with(make_napari_viewer, "nist_steel")


@pytest.fixture
def dock_with_model(painted, tmp_path, monkeypatch):
    """A Fine-tune dock whose current model was loaded from a file (no training needed)."""
    from napari_finetune._widgets._model_actions import ModelActions
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
    from napari_finetune.models import save_model
    from napari_finetune.models.registry import load_model

    good = save_model(load_model("voronoi-unet"), tmp_path / "good.ckpt")
    widget = FineTuneWidget(painted)
    monkeypatch.setattr(ModelActions, "ask_path", lambda self, save: str(good))
    widget.files.load.clicked.emit()
    assert widget.model is not None
    return widget
