import numpy as np
import pytest
from qtpy.QtCore import QTimer

from napari_finetune._widgets import synthetic_grains as module
from napari_finetune._widgets.synthetic_grains import SyntheticGrainsWidget


@pytest.fixture
def widget(make_napari_viewer):
    viewer = make_napari_viewer()
    return SyntheticGrainsWidget(viewer), viewer


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(module, "show_error", shown.append)
    return shown


def test_widget_docks_from_the_plugin_menu(make_napari_viewer):
    viewer = make_napari_viewer()
    _dock, w = viewer.window.add_plugin_dock_widget("napari-finetune", "Synthetic grains")
    assert isinstance(w, SyntheticGrainsWidget)


def test_generate_adds_image_ids_and_boundaries(widget):
    w, viewer = widget
    w.rows.value, w.cols.value, w.n_grains.value, w.seed.value = 200, 300, 25, 4
    w.generate.clicked.emit()
    assert [layer.name for layer in viewer.layers] == [
        "grains",
        "grains ids",
        "grains boundaries",
    ]
    assert viewer.layers["grains"].data.shape == (200, 300)
    assert len(np.unique(viewer.layers["grains ids"].data)) == 25
    assert "25 grains" in w.status.value


def test_generate_twice_adds_new_layers_and_keeps_the_old(widget):
    w, viewer = widget
    w.rows.value = w.cols.value = 128
    w.n_grains.value = 10
    w.generate.clicked.emit()
    first = viewer.layers["grains"].data.copy()
    w.seed.value = 1
    w.generate.clicked.emit()
    assert len(viewer.layers) == 6
    np.testing.assert_array_equal(viewer.layers["grains"].data, first)


def test_parameters_follow_the_controls(widget):
    w, _ = widget
    w.size_by.value = module.BY_DIAMETER
    w.mean_diameter.value = 40.0
    w.morphology.value = "elongated"
    w.elongation.value = 4.0
    w.direction.value = 0.0
    w.dose.value = 0.0
    w.target_domain.value = True
    p = w.parameters()
    assert p.n_grains is None and p.mean_diameter == 40.0
    assert p.elongation == 4.0 and p.direction == 0.0
    assert p.dose is None and p.target_domain is not None
    # explicit state: the widget itself is never shown in this test
    assert w.n_grains.native.isHidden() and not w.mean_diameter.native.isHidden()
    w.morphology.value = "equiaxed"
    assert not w.elongation.enabled and w.parameters().elongation == 1.0


def test_strokes_option_adds_a_painted_layer(widget):
    w, viewer = widget
    w.add_strokes.value = True
    w.name.value = "demo"
    w.generate.clicked.emit()
    assert [layer.name for layer in viewer.layers] == ["demo", "demo painted"]
    assert set(np.unique(viewer.layers["demo painted"].data)) == {0, 1, 2}
    assert "grain interior" in w.status.value and "could be placed" not in w.status.value


def test_one_grain_with_strokes_says_none_could_be_placed(widget, errors):
    # Raised IndexError in the stroke tracer (and aborted PyQt) before.
    w, viewer = widget
    w.status.value = "Not generated: an earlier, unrelated error"
    w.n_grains.value = 1
    w.add_strokes.value = True
    w.generate.clicked.emit()
    assert not errors
    assert [layer.name for layer in viewer.layers] == ["grains", "grains painted"]
    assert "no any class strokes" not in w.status.value
    assert "could be placed" in w.status.value and "earlier" not in w.status.value


def test_bad_parameters_show_a_notification_and_add_nothing(widget, errors):
    w, viewer = widget
    w.boundary_width.value = 50
    w.generate.clicked.emit()
    assert len(viewer.layers) == 0
    assert len(errors) == 1
    assert "boundary_width" in errors[0] and "larger than the grains" in errors[0]
    assert "boundary_width" in w.status.value
    # the long message wraps instead of widening the dock over the canvas
    assert w.status.native.wordWrap()


def test_large_sample_runs_in_a_worker_and_the_viewer_stays_responsive(widget, qtbot, errors):
    w, viewer = widget
    w.rows.value = w.cols.value = 2048
    w.n_grains.value = 500
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    w.generate.clicked.emit()
    # The click returns at once: nothing added yet and the button is disabled.
    assert len(viewer.layers) == 0
    assert not w.generate.enabled
    w.generate.clicked.emit()  # a second click while running is ignored
    qtbot.waitUntil(lambda: len(viewer.layers) == 3, timeout=60_000)
    timer.stop()
    qtbot.waitUntil(lambda: w.generate.enabled, timeout=10_000)
    assert viewer.layers["grains"].data.shape == (2048, 2048)
    # The event loop kept running while the worker generated (~0.7 s).
    assert len(ticks) >= 5
    assert errors == []
    assert len(viewer.layers) == 3


def test_many_grains_with_a_strong_spread_generate_in_a_worker(widget, qtbot, errors):
    # Only 1024² px, so the pixel count kept it on the GUI thread: 24 s frozen.
    w, viewer = widget
    w.rows.value = w.cols.value = 1024
    w.n_grains.value = 8000
    w.size_spread.value = 1.0
    w.generate.clicked.emit()
    assert len(viewer.layers) == 0
    assert not w.generate.enabled
    qtbot.waitUntil(lambda: w.generate.enabled, timeout=60_000)
    assert errors == []
    assert len(viewer.layers) == 3


def test_a_size_beyond_the_free_memory_is_refused_in_the_status(widget, errors, monkeypatch):
    from types import SimpleNamespace

    from napari_finetune.synth import generation_cost

    monkeypatch.setattr(
        generation_cost.psutil, "virtual_memory", lambda: SimpleNamespace(available=2**20)
    )
    w, viewer = widget
    w.generate.clicked.emit()
    assert len(viewer.layers) == 0
    assert "memory" in w.status.value and "smaller image" in w.status.value
    assert len(errors) == 1
