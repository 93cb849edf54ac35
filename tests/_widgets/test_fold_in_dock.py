"""The dock's fold-in switch: on by default, reaches the round, and the run shows it.

With the switch off every epoch validates: test_fold_in.py runs that through the engine.
"""

import pytest

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.models import SegmentationModel
from napari_finetune.session.labelling import PREVIOUS_KEPT, ROUND_FINISHED, ROUND_STOPPED


def test_the_switch_is_on_by_default_and_reaches_the_round(painted):
    w = FineTuneWidget(painted)
    assert w.fold_in.value is True
    assert "held-out strokes train too" in w.fold_in.tooltip
    assert w.settings.options(None, None).fold_in is True
    w.fold_in.value = False
    assert w.settings.options(None, None).fold_in is False


# Slow: a 75-step round (15 s); the curves' fold-in is tested without training below,
# the run in tests/training/test_fold_in.py.
@pytest.mark.slow
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


def fold_in_lines(w):
    return [line.get_label() for line in w.plot.loss_axes.lines].count("held-out px train")


@pytest.mark.parametrize(
    ("outcome", "folded_in", "line"),
    [
        (ROUND_STOPPED, False, False),  # stopped right after it: the engine withdrew it
        (ROUND_FINISHED, False, False),  # the budget ran out in its epoch's validation
        (ROUND_FINISHED, True, True),  # the held-out pixels trained: the line stays
        (PREVIOUS_KEPT, False, True),  # the curves' run was discarded: left as it ran
    ],
)
def test_the_curves_end_with_the_runs_last_word_on_the_fold_in(painted, outcome, folded_in, line):
    w = FineTuneWidget(painted)
    w.plot.add_epoch(1, 1.0, 0.9, 0.6)
    w.plot.add_epoch(2, 0.8, 0.7, 0.7, folded_in=True)  # said as it happened
    assert fold_in_lines(w) == 1
    model = SegmentationModel.create(1, 2)
    model.history = [{"run": 1, "epoch": k, "validation_score": 0.7} for k in (1, 2)]
    if folded_in:
        model.history[1]["folded_in"] = True
    w.session.model, w.session.outcome = model, outcome
    w._on_finished()  # the worker ended
    assert fold_in_lines(w) == int(line)
    assert w.plot.folded_after == (2 if line else None)
