"""Boxes of different images compare on their uncertainty, and a sure model suggests none."""

import numpy as np

from napari_finetune.inference.suggest import rank_regions


def test_a_small_image_does_not_outrank_a_larger_more_uncertain_one():
    # Typicality is measured per image: a big image's windows are typical around 0.43,
    # a crop hardly larger than the box has one 'perfectly typical' window.
    big = rank_regions(np.full((64, 64), 0.21), None, 1, 32, np.full((64, 64), 0.43), 4)
    small = rank_regions(np.full((32, 40), 0.165), None, 1, 32, np.full((32, 40), 0.57), 4)
    assert big[0][1] > small[0][1]
    # Within one image, typical regions still win at equal uncertainty.
    typical = np.full((96, 96), 0.3)
    typical[:, 48:] = 0.6
    (box, _), *_ = rank_regions(np.full((96, 96), 0.2), None, 2, 32, typical, 4)
    assert box[1] >= 48


def test_a_model_sure_everywhere_suggests_nothing():
    assert rank_regions(np.zeros((64, 64)), None, 5, 32) == []
