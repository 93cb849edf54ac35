"""The Fine-tune dock names a class painted far less than the others, in the user's names."""

import numpy as np

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


def _shown(widget):
    return not widget.native.isHidden()


def test_the_line_names_the_thin_class_follows_the_names_and_goes_when_painted_more(
    make_napari_viewer,
):
    viewer = make_napari_viewer()
    viewer.add_image(np.random.default_rng(0).random((200, 200)), name="superalloy")
    painted = np.zeros((200, 200), np.uint8)
    painted[:100, :140], painted[100:, :140] = 1, 2
    layer = viewer.add_labels(painted, name="phases")
    w = FineTuneWidget(viewer)
    w.show()
    assert w.pairs.labels_of("superalloy") is layer
    assert not _shown(w.thin_class.line)  # two classes, painted alike

    thin = painted.copy()
    thin[:18, 150:168] = 3  # 324 px beside 14 000 px a class
    layer.data = thin  # as an undo or a script would: the layer's data event
    assert _shown(w.thin_class.line)
    assert w.thin_class.line.value.startswith("'class 3' is painted on 324 px, 2 % of the 14,000")

    w.pairs.class_names.value = "matrix, secondary γ′, tertiary γ′, carbide"
    w.pairs.class_names.native.editingFinished.emit()
    said = w.thin_class.line.value
    assert said.startswith("'carbide' is named but not painted; 'tertiary γ′' is painted on 324")
    w.pairs.class_names.value = "matrix, secondary γ′, tertiary γ′"
    w.pairs.class_names.native.editingFinished.emit()
    assert w.thin_class.line.value.startswith("'tertiary γ′' is painted on 324 px")

    more = thin.copy()
    more[:30, 150:200] = 3  # 1 500 px: 11 % of the others
    layer.data = more
    assert not _shown(w.thin_class.line)
    assert np.array_equal(layer.data, more)  # the painting is only read
