"""Training leaves cores that other programs keep busy to them (time-budget runs only)."""

import pytest
import torch

import napari_finetune as nf
from napari_finetune.session import StatusLine
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Started, Step
from napari_finetune.training import threads as module
from napari_finetune.training.threads import choose_threads, threads_for_run


@pytest.mark.parametrize(
    ("available", "busy", "current", "expected"),
    [
        (2, 0.0, 2, 2),  # quiet: as torch would
        (2, 0.3, 2, 2),  # a little background noise takes no core
        (2, 0.9, 2, 1),  # acquisition software on one core
        (2, 2.0, 2, 1),  # never below one
        (8, 2.6, 8, 5),
        (8, 0.0, 4, 4),  # never above torch's own count
    ],
)
def test_busy_cores_are_left_to_their_owners(available, busy, current, expected):
    assert choose_threads(available, busy, current) == expected


def test_step_count_runs_ignore_the_load(monkeypatch):
    monkeypatch.setattr(module, "busy_cores", lambda seconds=0: 64.0)
    assert threads_for_run(steps=10) == torch.get_num_threads()
    assert threads_for_run(steps=None) == 1


@pytest.mark.skipif(torch.get_num_threads() < 2, reason="needs two torch threads")
def test_a_busy_machine_trains_on_fewer_threads_and_says_so(monkeypatch):
    monkeypatch.setattr(module, "busy_cores", lambda seconds=0: 64.0)
    sample = nf.voronoi_grains((128, 128), 10, seed=0)
    painted = paint_strokes(sample, 3, 3, seed=0)
    before = torch.get_num_threads()
    seen = []
    events = nf.finetune(sample.image, painted, max_seconds=60, batch_size=2, patch_size=64)
    for event in events:
        if isinstance(event, Started):
            assert event.threads == (1, before)
            assert f"1 of {before} threads: other programs" in StatusLine().describe(event)
        if isinstance(event, Step):
            seen.append(torch.get_num_threads())
            break
    events.close()
    assert seen == [1]
    assert torch.get_num_threads() == before  # restored on Stop
    assert event.learning_rates  # the run really stepped
