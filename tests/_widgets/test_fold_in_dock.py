"""The dock's fold-in switch: on by default, reaches the round, and the run shows it."""

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
    w.steps.value = 100  # four epochs: the held-out strokes train in the fourth
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    assert w.plot.folded_after == 3
    assert w.plot.score[:3] == [s for s in w.plot.score[:3] if s is not None]
    assert w.plot.score[3] is None  # nothing is left to validate on
    assert "(the held-out pixels trained too from epoch 4); at epoch" in w.status.value
    assert w.session.model.provenance[-1]["options"]["fold_in"] is True


def test_switched_off_every_epoch_is_validated(painted, qtbot):
    w = FineTuneWidget(painted)
    w.steps.value = 100
    w.fold_in.value = False
    w.train.clicked.emit()
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    assert w.plot.folded_after is None
    assert None not in w.plot.score
    assert "trained too" not in w.status.value
