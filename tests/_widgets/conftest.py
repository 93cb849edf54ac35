"""Fixtures shared by the widget tests."""

import pytest


@pytest.fixture
def painted(make_napari_viewer):
    """A viewer with the painted-strokes sample open."""
    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", "painted")
    return viewer


def capture_messages(monkeypatch, module):
    """Record the napari error and warning notifications a widget module shows."""
    shown = {"error": [], "warning": []}
    monkeypatch.setattr(module, "show_error", shown["error"].append)
    monkeypatch.setattr(module, "show_warning", shown["warning"].append)
    return shown
