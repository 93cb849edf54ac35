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


def capture_messages(monkeypatch, module):
    """Record the napari error and warning notifications a widget module shows."""
    shown = {"error": [], "warning": []}
    monkeypatch.setattr(module, "show_error", shown["error"].append)
    monkeypatch.setattr(module, "show_warning", shown["warning"].append)
    return shown
