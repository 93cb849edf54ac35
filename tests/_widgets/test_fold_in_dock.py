"""The dock's fold-in switch: on by default, reaches the round, and the run shows it.

With the switch off every epoch validates: test_fold_in.py runs that through the engine.
"""

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


def test_the_switch_is_on_by_default_and_reaches_the_round(painted):
    w = FineTuneWidget(painted)
    assert w.fold_in.value is True
    assert "held-out strokes train too" in w.fold_in.tooltip
    assert w.settings.options(None, None).fold_in is True
    w.fold_in.value = False
    assert w.settings.options(None, None).fold_in is False


def test_a_round_marks_the_fold_in_on_the_curves_and_says_it_at_the_end(painted, qtbot):
    w = FineTuneWidget(painted)
    w.active.enabled_box.value = False  # no uncertainty map: the run is what is tested
    w.steps.value = 75  # three epochs: the held-out strokes train in the third
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    assert w.plot.folded_after == 2
    assert None not in w.plot.score[:2]
    assert w.plot.score[2] is None  # nothing is left to validate on
    assert "(the held-out pixels trained too from epoch 3); at epoch" in w.status.value
    assert w.session.model.provenance[-1]["options"]["fold_in"] is True
