"""The held-out pixels join training for a run's last part (training/fold_in.py)."""

import numpy as np
import pytest
import torch
from torch import nn

import napari_finetune as nf
from napari_finetune.data.painted import PaintedPlane
from napari_finetune.data.split import Split
from napari_finetune.session.status import StatusLine, finished_text
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import EpochEnd, Finished, Started, Step
from napari_finetune.training import reproduce as reproduce_module
from napari_finetune.training.engine import STEPS_PER_EPOCH
from napari_finetune.training.epoch_end import EpochEnds
from napari_finetune.training.fold_in import FOLD_IN_AT, everything_trains, folds_in
from napari_finetune.training.held_out_score import HeldOutScore
from napari_finetune.training.keep_best import KeepBest

EPOCHS = 5


@pytest.fixture(scope="module")
def painted():
    sample = nf.voronoi_grains((192, 192), 16, seed=3)
    return sample.image, paint_strokes(sample, n_boundary_strokes=5, n_interior_strokes=6, seed=1)


def run(painted, **kwargs):
    image, labels = painted
    options = {"batch_size": 4, "patch_size": 64, "seed": 0, "augmentation": None}
    options["semi_supervised"] = False  # the fold-in alone (strokes: 'auto' adds a teacher)
    steps = EPOCHS * STEPS_PER_EPOCH
    return list(nf.finetune(image, labels, "voronoi-unet", steps=steps, **options | kwargs))


def a_split():
    train = np.array([[1, 2, 0], [0, 0, 0]], np.uint8)
    held = np.array([[0, 0, 0], [2, 1, 0]], np.uint8)
    return Split([train], [held], "regions")


def test_everything_trains_moves_every_held_out_pixel_to_training():
    split = a_split()
    folded = everything_trains(split)
    assert folded.n_train == split.n_train + split.n_validation and folded.n_validation == 0
    np.testing.assert_array_equal(folded.train[0], split.train[0] + split.validation[0])
    assert folded.grouping == "regions"
    assert split.n_validation == 2  # the split given is left as it was


@pytest.mark.parametrize(
    ("enabled", "progress", "nothing_held", "expected"),
    [
        (True, FOLD_IN_AT, False, True),
        (True, 0.95, False, True),
        (True, FOLD_IN_AT - 0.01, False, False),  # still within the guarded part
        (False, 0.95, False, False),  # switched off (or a caller-given held-out set)
        (True, None, False, False),  # a run's last, partial epoch: nothing trains after it
        (True, 1.0, False, False),  # the run is over
        (True, 0.95, True, False),  # nothing held out: nothing to fold in
    ],
)
def test_folds_in_only_past_the_guarded_part_of_a_run(enabled, progress, nothing_held, expected):
    split = everything_trains(a_split()) if nothing_held else a_split()
    assert folds_in(enabled, split, progress) is expected


def test_the_kept_weights_come_back_before_the_held_out_pixels_train():
    net = nn.Linear(2, 2)
    keeper = KeepBest(net)
    keeper.judge(1, 0.9, 0.1)
    kept = {k: v.clone() for k, v in net.state_dict().items()}
    with torch.no_grad():
        net.weight.add_(1.0)  # a collapse: clearly worse on score and loss
    assert not keeper.judge(2, 0.4, 0.9).kept
    plane = PaintedPlane(np.zeros((2, 3), np.float32), np.ones((2, 3), np.uint8), 0)
    epochs = EpochEnds(None, [plane], a_split(), frozenset({1, 2}), keeper, 1, "finetune", True)
    epochs.kept_held_out = HeldOutScore(0.9)
    epochs._fold_in(2)
    assert all(torch.equal(v, kept[k]) for k, v in net.state_dict().items())
    assert epochs.split.n_validation == 0
    assert epochs.reported_score() == {
        "best_score": 0.9,
        "held_out": HeldOutScore(0.9),
        "folded_after": 2,
        "validated_epoch": 1,
    }


def test_a_run_validates_until_the_fold_in_then_trains_on_every_painted_pixel(painted):
    events = run(painted)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    finished = events[-1]
    assert isinstance(finished, Finished)
    folded = [e.epoch for e in ends if e.folded_in]
    # The first epoch ending at or past FOLD_IN_AT of the steps.
    assert folded == [int(np.ceil(FOLD_IN_AT * EPOCHS))]
    (after,) = folded
    assert all(e.validation_score is not None for e in ends if e.epoch <= after)
    assert all(e.validation_score is None for e in ends if e.epoch > after)
    history = finished.history
    held = history[0]["validation_pixels"]
    assert held > 0
    assert history[-1]["validation_pixels"] == 0
    assert history[-1]["train_pixels"] == history[0]["train_pixels"] + held
    # The newest weights are kept; the score reported is the last validated one's.
    assert finished.best_epoch == EPOCHS and finished.folded_after == after
    scores = {e.epoch: e.validation_score for e in ends}
    assert finished.best_score == scores[finished.validated_epoch]
    assert finished.held_out.score == finished.best_score
    assert finished.model.provenance[-1]["options"]["fold_in"] is True


def test_switched_off_or_with_a_given_held_out_set_every_epoch_validates(painted):
    labels = painted[1]
    given = [np.zeros(labels.shape, bool)]
    given[0][:96] = True
    for kwargs in ({"fold_in": False}, {"held_out": given}):
        events = run(painted, **kwargs)
        ends = [e for e in events if isinstance(e, EpochEnd)]
        assert not any(e.folded_in for e in ends)
        assert all(e.validation_score is not None for e in ends)
        assert events[-1].folded_after is None
        assert events[-1].model.provenance[-1]["options"]["fold_in"] is False


def test_the_status_line_says_the_held_out_pixels_train_and_what_the_score_is():
    status = StatusLine()
    score = HeldOutScore(0.912, 0.85, 0.95, 1204, 4)
    status.describe(EpochEnd(3, 75, 0.3, 0.4, 0.912, 0.912, True, 9.0, [], score, True))
    step = status.describe(Step(80, 125, 4, 0.2, {}, 10.0, 30.0, 5.0))
    assert "val F1 0.912 (0.85–0.95) to epoch 3; the held-out pixels train now" in step
    done = Finished(None, [], "completed", 5, 15.0, 0.912, score, 3, validated_epoch=3)
    assert finished_text(done) == (
        "Done (completed, 15 s): kept epoch 5 (the held-out pixels trained too from epoch 4); "
        "at epoch 3, validation F1 0.912 (0.85–0.95) on 1,204 px in 4 regions."
    )


def test_repeating_a_run_recorded_before_the_fold_in_trains_without_it(painted, repeat_options):
    image, labels = painted
    model, _ = nf.fit(image, labels, "voronoi-unet", steps=2, batch_size=2, patch_size=64)
    del model.provenance[-1]["options"]["fold_in"]  # as a record from before the fold-in
    seen = repeat_options(model, [image], [labels])
    assert seen["fold_in"] is False


@pytest.fixture(scope="module")
def folded(painted):
    """A 75-step run that folds its held-out pixels in after epoch 2 (shared: 4 s each)."""
    image, labels = painted
    options = {"batch_size": 4, "patch_size": 64, "seed": 2, "augmentation": None}
    return nf.fit(image, labels, "voronoi-unet", steps=75, **options)


def test_a_fold_in_run_is_repeated_bit_for_bit(painted, folded):
    image, labels = painted
    model, history = folded
    assert any(h.get("folded_in") for h in history)  # folded after epoch 2
    again = reproduce_module.reproduce(model, [image], [labels])
    assert again.identical and again.expected_identical


def test_the_model_card_says_the_held_out_pixels_trained_the_exported_weights(folded):
    from napari_finetune.models.bioimageio_card import model_card

    model, history = folded
    (fold,) = [h for h in history if h.get("folded_in")]
    kept = next(h for h in history if h["epoch"] == fold["continued_from_epoch"])
    card = model_card(model)
    assert f"at epoch {kept['epoch']}, on painted pixels held out until then" in card
    assert f"from epoch {fold['epoch'] + 1} they trained too" in card
    assert "held out from training" not in card


def test_the_report_bands_only_the_validated_epochs(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    from napari_finetune.report import write_report

    banded = []
    monkeypatch.setattr(Axes, "fill_between", lambda self, x, *a, **k: banded.append(list(x)))
    validated = {"validation_loss": 0.5, "validation_score": 0.8}
    ranges = {"validation_low": 0.7, "validation_high": 0.9}
    history = [
        {"epoch": 1, "train_loss": 1.0, **validated, **ranges},
        {"epoch": 2, "train_loss": 0.8, **validated, **ranges},
        {"epoch": 3, "train_loss": 0.6, "validation_loss": None, "validation_score": None},
    ]
    image, labels = np.zeros((16, 16)), np.zeros((16, 16), np.uint8)
    write_report(tmp_path / "r.png", image, labels, labels, history, "fold-in")
    assert banded == [[1, 2]]  # it vanished for the whole run when one epoch had none


def test_fit_help_describes_the_switch(capsys):
    from napari_finetune import cli

    with pytest.raises(SystemExit) as done:
        cli.main(["fit", "--help"])
    assert done.value.code == 0
    assert "60 % of the run" in " ".join(capsys.readouterr().out.split())


def test_without_a_validated_score_the_status_says_no_score_and_no_fold():
    status = StatusLine()
    status.describe(EpochEnd(3, 75, 0.3, None, None, None, True, 9.0, [], None, True))
    assert "val F1" not in status.describe(Step(80, 125, 4, 0.2, {}, 10.0, 30.0, 5.0))
    done = Finished(None, [], "completed", 5, 15.0, None, HeldOutScore(None), 3, validated_epoch=3)
    assert "at epoch" not in finished_text(done)


def test_a_stop_after_the_fold_in_keeps_the_steps_on_every_painted_pixel(painted):
    image, labels = painted
    options = {"batch_size": 4, "patch_size": 64, "seed": 0, "augmentation": None}
    events = nf.finetune(
        image,
        labels,
        "voronoi-unet",
        steps=EPOCHS * STEPS_PER_EPOCH,
        semi_supervised=False,
        **options,
    )
    model, folded_at, after = None, None, 0
    for event in events:
        if isinstance(event, Started):
            model = event.model
        if isinstance(event, EpochEnd) and event.folded_in:
            folded_at = {k: v.clone() for k, v in model.net.state_dict().items()}
        if isinstance(event, Step) and folded_at is not None:
            after += 1
            if after == 3:  # Stop mid-epoch, three steps on every painted pixel later
                newest = {k: v.clone() for k, v in model.net.state_dict().items()}
                break
    events.close()
    kept = model.net.state_dict()
    assert all(torch.equal(kept[k], newest[k]) for k in kept)
    assert not all(torch.equal(kept[k], folded_at[k]) for k in kept)
    assert any(record.get("folded_in") for record in model.history)
