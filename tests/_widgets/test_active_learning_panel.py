"""The active-learning panel's suggestion boxes, on a viewer of its own."""

import gc

import numpy as np

from napari_finetune._widgets._active_learning import ActiveLearningPanel
from napari_finetune.session import RankedBox


def _panel(make_napari_viewer):
    viewer = make_napari_viewer()
    for name in ("first", "second"):
        viewer.add_image(np.zeros((128, 160), np.float32), name=name)
    return viewer, ActiveLearningPanel(viewer, retrain=lambda: None, labels_of=lambda name: None)


def _ranks(viewer, name):
    return list(viewer.layers[f"{name} suggestions"].features["rank"])


def test_a_new_round_replaces_every_images_boxes_with_one_garbage_collection(
    make_napari_viewer, monkeypatch
):
    viewer, panel = _panel(make_napari_viewer)
    # napari (0.9) collects garbage after each removal: 0.2 s with torch loaded
    collections = []
    first_round = [
        RankedBox("first", (0, 0, 32, 32), 0.9),
        RankedBox("second", (8, 8, 40, 40), 0.8),
        RankedBox("first", (64, 64, 96, 96), 0.7),
    ]
    with monkeypatch.context() as patch:  # undone here: napari's teardown collects for real
        patch.setattr(gc, "collect", lambda *a, **k: collections.append(a) or 0)
        panel.show_ranking(first_round, ["first", "second"])
        assert _ranks(viewer, "first") == [1, 3]
        assert _ranks(viewer, "second") == [2]
        assert collections == []  # nothing to remove on the first round: no collection
        panel.show_ranking([RankedBox("second", (16, 16, 48, 48), 0.6)], ["first", "second"])
    assert len(collections) <= 1  # one batch (napari before 0.9 collected none)
    assert "first suggestions" not in viewer.layers  # no box of this round on it
    assert _ranks(viewer, "second") == [1]
    corners = viewer.layers["second suggestions"].data[0]
    assert (*corners.min(0), *corners.max(0)) == (16, 16, 48, 48)
    assert [layer.name for layer in viewer.layers].count("second suggestions") == 1
    assert panel.next.enabled


def test_the_panel_says_which_thin_class_the_boxes_sought_and_can_switch_it_off(
    make_napari_viewer,
):
    from napari_finetune.inference.thin_class_emphasis import THIN_CLASS_WEIGHT
    from napari_finetune.session import Suggestions

    viewer, panel = _panel(make_napari_viewer)
    assert panel.options().thin_class_weight == THIN_CLASS_WEIGHT
    unsure = np.zeros((128, 160), np.float32)

    def round_of(*favoured):  # one image's suggestions each, then the round's ranking
        for name, sought in zip(("first", "second"), favoured, strict=True):
            panel.show_uncertainty(Suggestions(name, unsure, [], favoured=sought))
        panel.show_ranking([], ["first", "second"])

    round_of(("tertiary γ′",), ())  # sought on the first image only: still said
    assert not panel.sought.native.isHidden()
    assert "'tertiary γ′'" in panel.sought.value
    assert "first uncertainty" in viewer.layers  # the map is shown as before
    round_of((), ())  # nothing rare any more
    assert panel.sought.native.isHidden()
    round_of(("b",), ("a", "b"))
    assert "'b' and 'a'" in panel.sought.value  # each once, in the order favoured
    panel.show_ranking([], ["first", "second"])  # a new round clears the last one's boxes
    assert panel.sought.native.isHidden()
    round_of(("tertiary γ′",), ())
    panel.enabled_box.value = False  # no suggestions after the next round: no line about them
    assert panel.sought.native.isHidden() and panel.options() is None
    panel.enabled_box.value = True
    panel.seek_thin.value = False
    assert panel.options().thin_class_weight == 0.0
