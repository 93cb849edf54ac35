"""Early stopping before the fold-in: the held-out pixels join for a last stretch."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.data.split import Split
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import EpochEnd, Finished, Step, engine, epoch_end
from napari_finetune.training.fold_in import FOLD_IN_AT, everything_trains, folds_in
from napari_finetune.training.held_out_score import HeldOutScore
from napari_finetune.training.run_clock import RunClock
from napari_finetune.training.schedules import learning_rate_factor


def test_the_budget_alone_sets_the_progress_until_early_stopping():
    clock = RunClock(60.0, None)
    assert clock.progress(10, 30.0) == pytest.approx(0.5)
    assert clock.end() == 60.0 and clock.seconds_left(10, 45.0) == pytest.approx(15.0)
    assert clock.estimated_steps(100, 30.0) == 200
    assert clock.end_reason() == "time budget"
    assert RunClock(None, 400).end_reason() == "completed"


def test_a_regular_fold_in_leaves_the_run_as_it_was():
    clock = RunClock(60.0, None)
    clock.folded_in(300, 40.0)  # at 67 % of the budget
    assert clock.stretch is None and clock.progress(300, 40.0) == pytest.approx(40 / 60)
    assert clock.end() == 60.0 and clock.end_reason() == "time budget"


def test_an_early_stop_makes_the_rest_of_the_run_the_last_stretch():
    clock = RunClock(60.0, None)
    clock.folded_in(150, 18.0)  # at 30 % of the budget
    # From the fold-in's progress to the end over two thirds of the 18 s done.
    assert clock.progress(150, 18.0) == pytest.approx(FOLD_IN_AT)
    assert clock.progress(200, 24.0) == pytest.approx(FOLD_IN_AT + (1 - FOLD_IN_AT) / 2)
    assert clock.progress(250, 30.0) == pytest.approx(1.0)
    assert clock.end() == pytest.approx(30.0) and clock.seconds_left(200, 24.0) == pytest.approx(6)
    assert clock.estimated_steps(200, 24.0) == 250
    assert clock.end_reason() == "early stopping"
    clock.folded_in(200, 24.0)  # one stretch only
    assert clock.end() == pytest.approx(30.0)


def test_an_early_stop_past_the_fold_in_point_goes_on_to_the_budget_end():
    clock = RunClock(60.0, None)
    clock.folded_in(350, 42.0)  # at 70 %, before that epoch folded in
    assert clock.progress(350, 42.0) == pytest.approx(0.7)
    assert clock.progress(400, 51.0) == pytest.approx(51 / 60)
    # It trains to the budget's end: the budget ended it.
    assert clock.end() == pytest.approx(60.0) and clock.end_reason() == "time budget"


def test_an_early_stop_after_the_budget_was_spent_ends_the_run():
    clock = RunClock(60.0, None)
    clock.folded_in(500, 61.0)  # a slow validation ran past the budget
    assert clock.progress(500, 61.0) >= 1 and clock.progress(500, 62.0) >= 1


def test_a_step_budget_stretches_by_whole_steps_and_never_past_the_budget():
    clock = RunClock(None, 400)
    clock.folded_in(150, 15.0)
    assert clock.end() == 250 and clock.estimated_steps(160, 16.0) == 250
    assert clock.progress(200, 20.0) == pytest.approx(0.8)
    assert clock.seconds_left(200, 20.0) == pytest.approx(5.0)
    for done in range(1, 400):  # an early stop at any step
        late = RunClock(None, 400)
        late.folded_in(done, 1.0)
        assert done < late.end() <= 400
        assert late.progress(int(late.end()), 2.0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("progress", "stopping", "expected"),
    [
        (0.2, True, True),  # early stopping: fold in instead of never training them
        (0.7, True, True),  # a stop at the epoch that would have folded in anyway
        (0.2, False, False),  # still within the guarded part
        (None, True, False),  # a run's last, partial epoch: nothing trains after it
        (1.0, True, False),  # the run is over
    ],
)
def test_early_stopping_folds_in_at_any_progress(progress, stopping, expected):
    split = Split([np.array([[1, 2, 0]], np.uint8)], [np.array([[0, 0, 1]], np.uint8)], "regions")
    assert folds_in(True, split, progress, stopping=stopping) is expected
    assert folds_in(True, everything_trains(split), progress, stopping=stopping) is False


@pytest.fixture(scope="module")
def painted():
    sample = nf.voronoi_grains((192, 192), 16, seed=3)
    return sample.image, paint_strokes(sample, n_boundary_strokes=5, n_interior_strokes=6, seed=1)


def flat_validation(monkeypatch):
    """Validation that never improves after the first epoch, so patience runs out."""
    real = epoch_end.validate

    def validate(model, planes, split, classes=None):
        if split.n_validation == 0:
            return real(model, planes, split, classes)
        return 0.5, HeldOutScore(0.8)

    monkeypatch.setattr(epoch_end, "validate", validate)
    monkeypatch.setattr(engine, "STEPS_PER_EPOCH", 2)


def run(painted, **kwargs):
    image, labels = painted
    options = {"batch_size": 2, "patch_size": 32, "seed": 0, "augmentation": None}
    options |= {"steps": 20, "patience": 2}
    return list(nf.finetune(image, labels, "voronoi-unet", **options | kwargs))


def test_a_run_that_stops_early_trains_the_held_out_pixels_for_a_last_stretch(
    painted, monkeypatch
):
    flat_validation(monkeypatch)
    events = run(painted)
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.reason == "early stopping"
    ends = [e for e in events if isinstance(e, EpochEnd)]
    # Patience 2 runs out at epoch 3 (step 6, 30 % of 20 steps): the fold-in comes
    # then, and the stretch is two thirds of those 6 steps.
    assert [e.epoch for e in ends if e.folded_in] == [3]
    history = finished.history
    assert history[-1]["step"] == 10 and finished.folded_after == 3
    assert history[2]["early_stop_fold_in"] is True
    assert history[-1]["validation_pixels"] == 0
    assert (
        history[-1]["train_pixels"] == history[0]["train_pixels"] + history[0]["validation_pixels"]
    )
    steps = [e for e in events if isinstance(e, Step)]
    assert steps[-1].total_steps == 10  # the progress bar ends with the stretch
    # The stretch starts at the rate a regular fold-in starts at, not at the peak.
    first, after = steps[0].learning_rates, steps[6].learning_rates
    expected = learning_rate_factor(FOLD_IN_AT) / learning_rate_factor(0.0)
    for name, rate in after.items():
        assert rate / first[name] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("given", [False, True])
def test_without_the_fold_in_a_run_that_stops_early_just_stops(painted, monkeypatch, given):
    flat_validation(monkeypatch)
    held_out = np.zeros(painted[1].shape, bool)
    held_out[:96] = True  # a caller-given held-out set stays unseen: no fold-in
    events = run(painted, **({"held_out": [held_out]} if given else {"fold_in": False}))
    finished = events[-1]
    assert finished.reason == "early stopping" and finished.folded_after is None
    assert finished.history[-1]["step"] == 6
    assert all(e.validation_score is not None for e in events if isinstance(e, EpochEnd))


class FakeTime:
    """A clock that moves half a second at every reading: time runs, deterministically."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        self.now += 0.5
        return self.now


def test_with_a_time_budget_the_stretch_starts_after_validation_and_ends_early(
    painted, monkeypatch
):
    flat_validation(monkeypatch)
    monkeypatch.setattr(engine, "time", FakeTime())
    events = run(painted, steps=None, max_seconds=20.0)
    finished = events[-1]
    assert finished.reason == "early stopping" and finished.folded_after == 3
    # Epoch 3 ended at 6 s of 20 (two readings a step); the stretch begins at the
    # next reading, 6.5 s, and lasts two thirds of that: it ends at 10.83 s.
    steps = [e for e in events if isinstance(e, Step)]
    assert steps[-1].elapsed < 10.84 < steps[-1].elapsed + 1.0
    after = [e for e in steps if e.step > 6]
    assert after[0].time_left == pytest.approx(10.8333 - after[0].elapsed, abs=1e-3)
    assert all(e.time_left < 4.4 for e in after)


def test_a_fold_in_that_no_step_followed_is_withdrawn(painted, monkeypatch):
    # Validation improves every epoch; the one that reaches 60 % of the budget
    # (epoch 6, at 12 s of 20) takes 10 s, so the budget is spent when the
    # held-out pixels would join: none of them ever trains.
    clock = FakeTime()
    calls = []

    def validate(model, planes, split, classes=None):
        calls.append(split.n_validation)
        if clock.now >= 12:
            clock.now += 10.0
        return 0.5, HeldOutScore(0.5 + 0.01 * len(calls))

    monkeypatch.setattr(epoch_end, "validate", validate)
    monkeypatch.setattr(engine, "STEPS_PER_EPOCH", 2)
    monkeypatch.setattr(engine, "time", clock)
    events = run(painted, steps=None, max_seconds=20.0, patience=8)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends if e.folded_in] == [6]  # said while it happened
    finished = events[-1]
    assert finished.reason == "time budget" and finished.history[-1]["epoch"] == 6
    # Afterwards: the kept epoch, as a run without a fold-in says it.
    assert finished.folded_after is None and finished.validated_epoch is None
    assert finished.best_epoch == 6 and finished.best_score == pytest.approx(0.56)
    assert not any(h.get("folded_in") for h in finished.history)
    assert finished.model.provenance[-1]["result"]["validation_score"] == pytest.approx(0.56)


def test_stop_right_after_a_fold_in_withdraws_it(painted, monkeypatch):
    # Stop (the consumer closes the engine) at the epoch that folded in: no step
    # trained the held-out pixels, so the model's history and record do not say so.
    validate = epoch_end.validate
    monkeypatch.setattr(engine, "STEPS_PER_EPOCH", 2)
    calls = []

    def rising(model, planes, split, classes=None):
        if split.n_validation == 0:
            return validate(model, planes, split, classes)
        calls.append(1)
        return 0.5, HeldOutScore(0.5 + 0.01 * len(calls))

    monkeypatch.setattr(epoch_end, "validate", rising)
    image, labels = painted
    options = {"batch_size": 2, "patch_size": 32, "seed": 0, "augmentation": None, "steps": 20}
    events = nf.finetune(image, labels, "voronoi-unet", **options)
    model = None
    for event in events:
        model = getattr(event, "model", model)
        if isinstance(event, EpochEnd) and event.folded_in:
            events.close()  # Stop
            break
    assert event.epoch == 6  # 12 of 20 steps: the first epoch end at 60 %
    assert model.history[-1]["epoch"] == 6
    assert not any(h.get("folded_in") for h in model.history)
    assert model.provenance[-1]["result"]["reason"] == "stopped"
    assert model.provenance[-1]["result"]["validation_score"] == pytest.approx(0.56)
