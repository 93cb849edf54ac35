"""Whether a strategy comparison's pick still applies, and the start model it needs."""

from pathlib import Path

import numpy as np

from napari_finetune.session.advisor_pick import MeasuredOn, painting_fingerprint, use_pick
from napari_finetune.training.advisor_result import Recommendation


def pick(strategy, start=""):
    return Recommendation(strategy, strategy, "auto", 0.9, 0.9, 0.9, True, (), "", start)


def test_a_pick_sets_the_start_it_was_measured_from_whatever_the_dock_has_now():
    others = ("world-unet",)
    then = MeasuredOn("voronoi-unet", "p")
    moved = MeasuredOn("world-unet", "p")  # the user switched the start after the runs
    use = use_pick(pick("finetune", "voronoi-unet"), then, moved, others)
    assert use == use.__class__("voronoi-unet", None)
    assert use_pick(pick("finetune", "world-unet"), then, then, others).source == "world-unet"
    assert use_pick(pick("finetune"), then, moved, ()).source == "voronoi-unet"
    # A checkpoint of the user's own is set again as that file.
    mine = MeasuredOn(Path("mine.ckpt"), "p")
    assert use_pick(pick("head"), mine, moved, ()).source == Path("mine.ckpt")
    # From scratch, a pretrained pick needs the start model its runs used.
    assert use_pick(pick("head"), MeasuredOn("scratch", "p"), moved, ()).source == "world-unet"
    assert use_pick(pick("scratch"), then, moved, others).source is None


def test_a_pick_no_longer_applies_once_the_paintings_or_the_current_model_changed():
    then = MeasuredOn("voronoi-unet", "p")
    use = use_pick(pick("finetune"), then, MeasuredOn("voronoi-unet", "q"), ())
    assert use.source is None and "paintings changed after the comparison" in use.note
    current = MeasuredOn("current", "p", current=1)
    assert use_pick(pick("head"), current, current, ()).source == "current"
    use = use_pick(pick("head"), current, MeasuredOn("current", "p", current=2), ())
    assert use.source is None and "has been replaced since" in use.note


def test_the_painting_fingerprint_sees_one_stroke():
    image, labels = np.zeros((8, 8), np.float32), np.zeros((8, 8), np.uint8)
    before = painting_fingerprint([image], [labels])
    assert painting_fingerprint([image.copy()], [labels.copy()]) == before
    labels[3, 3] = 1
    assert painting_fingerprint([image], [labels]) != before
