"""A lead judged over redrawn held-out regions (paired bootstrap)."""

import pytest

from napari_finetune.training.held_out_lead import SURE_SHARE, lead_share
from napari_finetune.training.held_out_regions import RegionCounts


def regions(*hits):
    """One run's regions, each of 100 px of one class with ``hit`` of them right (F1 = hit %)."""
    return tuple(RegionCounts(100, {1: [h, 100, h, 100]}) for h in hits)


def test_a_lead_on_every_region_holds_in_every_draw():
    leader = [regions(90, 91, 92, 90), regions(89, 90, 93, 91)]
    other = [regions(80, 85, 88, 70), regions(81, 84, 90, 72)]
    assert lead_share(leader, other) == 1.0
    assert lead_share(other, leader) == 0.0


def test_a_lead_carried_by_one_region_is_not_sure():
    # Ahead overall (0.77 vs 0.69), but behind on three of four regions.
    leader = [regions(99, 70, 70, 70)] * 2
    other = [regions(50, 75, 75, 75)] * 2
    share = lead_share(leader, other)
    assert 0.5 < share < SURE_SHARE
    assert share == lead_share(leader, other)  # seeded: the same draws every time
    assert lead_share(leader, other, seed=1) == pytest.approx(share, abs=0.1)


def test_equal_runs_tie_and_what_cannot_be_paired_is_not_judged():
    same = [regions(80, 90)]
    assert lead_share(same, same) == 0.5
    assert lead_share([regions(80, 90)], [regions(80, 90, 70)]) is None  # other regions
    assert lead_share([()], same) is None  # a run without counts
    assert lead_share([], same) is None
