"""The Fine-tune dock on real screens: short enough to scroll, grouped, folded."""

import pytest
from qtpy.QtWidgets import QApplication
from superqt import QCollapsible

from napari_finetune._widgets._controls import VerticalScrollArea
from napari_finetune._widgets._round_controls import FROM_PREVIEW
from napari_finetune._widgets._viewer_state import viewer_state
from napari_finetune.augment import AugmentationPipeline

DOCKS = ("Synthetic grains", "Augmentation preview", "Measure grains", "Fine-tune")
LAPTOP = (1366, 768)


def settle(rounds=30):
    for _ in range(rounds):
        QApplication.processEvents()


def laptop_viewer(make_napari_viewer, docks):
    """A shown viewer with ``docks`` tabified, on a 1366 × 768 screen."""
    viewer = make_napari_viewer(show=True)
    viewer.open_sample("napari-finetune", "painted")
    widgets = {}
    for name in docks:
        _, widgets[name] = viewer.window.add_plugin_dock_widget(
            "napari-finetune", name, tabify=True
        )
    window = viewer.window._qt_window
    window.resize(*LAPTOP)
    settle()
    return viewer, window, widgets


def test_the_dock_is_short_and_scrolls(make_napari_viewer):
    viewer, window, widgets = laptop_viewer(make_napari_viewer, ["Fine-tune"])
    dock = widgets["Fine-tune"]
    # was 1044-1108 px: taller than a 1000 px screen, with no scroll bar
    assert dock.native.minimumSizeHint().height() <= 600
    assert dock.native.parent().minimumSizeHint().height() <= 600
    area = dock.native.findChild(VerticalScrollArea)
    assert area.verticalScrollBar().maximum() > 0  # more to see than fits: it scrolls
    assert window.minimumSizeHint().height() <= LAPTOP[1]
    assert (window.width(), window.height()) == LAPTOP
    height, width = viewer.canvas.size
    assert height >= 500 and width >= 450, viewer.canvas.size


def test_napari_finetune_view_fits_a_laptop_screen(make_napari_viewer):
    viewer, window, widgets = laptop_viewer(make_napari_viewer, DOCKS)
    for name, widget in widgets.items():
        assert widget.native.parent().minimumSizeHint().height() <= 650, name
    assert window.minimumSizeHint().height() <= LAPTOP[1]
    assert window.height() == LAPTOP[1]
    height, width = viewer.canvas.size  # was a strip about 210 px wide
    assert height >= 500 and width >= 450, viewer.canvas.size


def test_controls_come_in_groups_and_the_advanced_ones_are_folded(painted):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

    w = FineTuneWidget(painted)
    headings = [child[0].value for child in w[0] if hasattr(child, "__getitem__")]
    assert headings == ["Training data", "Model & strategy", "Run", "Active learning", "Results"]
    folds = {box.text(): box for box in w.native.findChildren(QCollapsible)}
    assert set(folds) == {"Advanced", "Suggestion settings"}
    assert not folds["Advanced"].isExpanded()
    for control in (w.bn_mode, w.steps, w.augmentation, w.seed):
        assert folds["Advanced"].isAncestorOf(control.native)
    assert not folds["Advanced"].isAncestorOf(w.seconds.native)
    # a folded picker is still refreshed with the dock (it stays a magicgui child of it)
    assert FROM_PREVIEW not in w.augmentation.choices
    viewer_state(painted).augmentation = AugmentationPipeline.from_preset("equiaxed")
    w.reset_choices()
    assert FROM_PREVIEW in w.augmentation.choices


@pytest.mark.parametrize("sample", ["nist_steel", "equiaxed"])
def test_a_samples_exact_answer_is_never_the_default_painting(make_napari_viewer, sample):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", sample)
    w = FineTuneWidget(viewer)
    (row,) = w.pairs.rows()
    assert row.labels_layer.value is None
    assert "New painting layer" in w.status.value
    # still there to choose by hand
    truth = [layer for _, layer in w.pairs.labels_choices() if "boundaries" in layer.name]
    assert truth
    row.labels_layer.value = truth[0]
    w.pairs.refresh()
    assert row.labels_layer.value is truth[0]
