import pytest
import torch
from torch import nn

from napari_finetune.training import KeepBest
from napari_finetune.training.schedules import learning_rate_factor


def run(scores, patience=3):
    """Judge epochs whose weights are all equal to the epoch number."""
    net = nn.Linear(1, 1)
    keeper = KeepBest(net, patience=patience)
    verdicts = []
    for epoch, score in enumerate(scores, start=1):
        with torch.no_grad():
            net.weight.fill_(epoch)
        verdicts.append(keeper.judge(epoch, score))
        if verdicts[-1].stop:
            break
    keeper.restore()
    return keeper, verdicts, float(net.weight.detach())


@pytest.mark.parametrize(
    ("scores", "kept", "stopped_at"),
    [
        # the newest epoch within 0.02 of the best seen is kept: more training, lower LR
        ([0.80, 0.90, 0.89, 0.885], 4, None),
        # a clear drop (overfitting) keeps the last good epoch
        ([0.80, 0.90, 0.89, 0.70], 3, None),
        # patience counts epochs since the best score last rose, not since a kept epoch
        ([0.90, 0.895, 0.89, 0.60, 0.60, 0.60], 3, 4),
    ],
)
def test_keeps_the_newest_epoch_within_noise_of_the_best(scores, kept, stopped_at):
    keeper, verdicts, weight = run(scores)
    assert keeper.epoch == kept and weight == kept
    assert keeper.score == scores[kept - 1]
    stops = [k for k, v in enumerate(verdicts, start=1) if v.stop]
    assert stops == ([] if stopped_at is None else [stopped_at])


def test_a_rise_smaller_than_min_improvement_is_no_new_peak():
    keeper, verdicts, _ = run([0.8, 0.80005, 0.8, 0.8], patience=3)
    assert [v.new_peak for v in verdicts] == [True, False, False, False]
    assert verdicts[-1].stop and keeper.peak == 0.8


def test_without_validation_every_epoch_is_kept_and_nothing_stops():
    keeper, verdicts, weight = run([None] * 12, patience=2)
    assert all(v.kept and not v.stop for v in verdicts)
    assert keeper.epoch == 12 and weight == 12 and keeper.score is None


def test_restore_before_any_epoch_gives_back_the_starting_weights():
    net = nn.Linear(1, 1)
    start = net.weight.detach().clone()
    keeper = KeepBest(net)
    with torch.no_grad():
        net.weight.add_(1)
    keeper.restore()
    assert torch.equal(net.weight, start) and keeper.epoch == 0


def test_schedules_warm_up_then_anneal():
    assert learning_rate_factor(0.0) == pytest.approx(0.04)
    assert learning_rate_factor(0.3) == pytest.approx(1.0 + 1e-4)
    assert learning_rate_factor(1.0) == pytest.approx(1e-4)
    assert learning_rate_factor(0.0, "cosine") == 1.0
    assert learning_rate_factor(0.5, "cosine") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="onecycle"):
        learning_rate_factor(0.5, "linear")
