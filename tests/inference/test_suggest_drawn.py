"""Boxes drawn in proportion to their score: reproducible, spread, never on paint."""

import numpy as np
import pytest

from napari_finetune.inference.suggest import drawn_priorities, rank_regions
from napari_finetune.session.options import SuggestionOptions, suggestion_seed


def _two_kinds_of_error() -> np.ndarray:
    """A strong error blob on the left, a weaker one on the right of the same size."""
    unsure = np.full((64, 256), 0.05)
    unsure[:, :96] = 0.6
    unsure[:, 160:] = 0.4
    return unsure


def test_the_best_boxes_pile_on_one_kind_of_error_and_drawn_ones_spread():
    unsure = _two_kinds_of_error()
    best = rank_regions(unsure, None, 2, 32)
    assert all(x1 <= 96 for (_, _, _, x1), _ in best)  # both on the strong blob
    right = 0
    for seed in range(40):
        drawn = rank_regions(unsure, None, 2, 32, seed=seed)
        right += sum(x0 >= 160 for (_, x0, _, _), _ in drawn)
    # Drawn in proportion to the score, the weaker blob gets a fair share (the
    # right blob holds about 40 % of the summed window score), never none.
    assert 15 <= right <= 50


def test_a_draw_is_reproducible_and_another_seed_draws_otherwise():
    unsure = np.random.default_rng(0).random((128, 128))
    first = rank_regions(unsure, None, 4, 16, seed=3)
    assert first == rank_regions(unsure, None, 4, 16, seed=3)
    assert first != rank_regions(unsure, None, 4, 16, seed=4)
    assert [b for b, _ in first] == [b for b, _ in sorted(first, key=lambda r: -r[1])]


def test_drawn_boxes_avoid_paint_and_certain_windows():
    unsure = np.zeros((64, 64))
    unsure[:, 32:] = 0.5
    labels = np.zeros((64, 64), np.uint8)
    labels[:8, 32:] = 1
    for seed in range(10):
        for (y0, x0, y1, x1), _ in rank_regions(unsure, labels, 3, 16, seed=seed):
            assert not labels[y0:y1, x0:x1].any()
            assert unsure[y0:y1, x0:x1].mean() > 0
    assert rank_regions(np.zeros((64, 64)), None, 5, 32, seed=1) == []
    assert np.isneginf(drawn_priorities(np.array([0.0, -np.inf]), 0)).all()


@pytest.mark.parametrize("seed", [True, 1.5, "1", -1])
def test_a_seed_that_is_no_whole_number_is_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        rank_regions(np.ones((40, 40)), None, 1, 8, seed=seed)
    with pytest.raises(ValueError, match="seed"):
        SuggestionOptions(seed=seed)


def test_numpy_seeds_are_whole_numbers():
    unsure = np.random.default_rng(0).random((64, 64))
    assert rank_regions(unsure, None, 2, 16, seed=np.int64(3)) == rank_regions(
        unsure, None, 2, 16, seed=3
    )
    assert SuggestionOptions(seed=np.int64(3)).seed == 3


def test_rounds_and_images_draw_from_their_own_streams():
    seeds = {suggestion_seed(0, r, k) for r in range(3) for k in range(3)}
    assert len(seeds) == 9
    assert suggestion_seed(0, 1, 2) == suggestion_seed(0, 1, 2)
