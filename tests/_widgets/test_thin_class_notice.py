"""The Fine-tune dock names a class painted far less than the others, as the run names it."""

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
    # No names typed: the start model's, as the run names them (it has no class 3).
    said = w.thin_class.line.value
    assert said.startswith("'class 3' is rare in your painting: 324 px, 2.3 % of the 14,000 px")
    assert "of 'grain interior'" in said

    w.pairs.class_names.value = "matrix, secondary γ′, tertiary γ′, carbide"
    w.pairs.class_names.native.editingFinished.emit()
    said = w.thin_class.line.value
    assert said.startswith("'carbide' is named but not painted: the network cannot predict it")
    assert "'tertiary γ′' (324 px, 2.3 %)" in said
    w.pairs.class_names.value = "matrix, secondary γ′, tertiary γ′"
    w.pairs.class_names.native.editingFinished.emit()
    assert w.thin_class.line.value.startswith("'tertiary γ′' is rare in your painting: 324 px")

    layer.brush_size = 40
    with layer.block_history():  # a brush stroke: the paint event comes at its end
        layer.paint((40, 180), 3)
        layer.paint((60, 180), 3)  # about 1 300 px more: no longer rare
    assert (layer.data == 3).sum() >= 1000
    assert not _shown(w.thin_class.line)
