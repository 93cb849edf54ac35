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


def test_a_withdrawn_fold_in_takes_its_line_off_the_curves(painted):
    w = FineTuneWidget(painted)
    w.plot.add_epoch(1, 1.0, 0.9, 0.6)
    w.plot.add_epoch(2, 0.8, 0.7, 0.7, folded_in=True)  # said as it happened
    assert [line.get_label() for line in w.plot.loss_axes.lines].count("held-out px train") == 1
    w.plot.settle_fold_in(None)  # the run ended before any step trained them
    assert w.plot.folded_after is None
    assert "held-out px train" not in [line.get_label() for line in w.plot.loss_axes.lines]
    w.plot.settle_fold_in(2)  # a fold-in that trained keeps its line
    assert w.plot.folded_after == 2
