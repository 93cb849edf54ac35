"""In a stack, a region held out for validation is never trained on a neighbouring plane."""

import numpy as np
import pytest

from napari_finetune.data.painted import prepare_planes
from napari_finetune.data.split import PLANE_MERGE, region_groups, split_validation
from napari_finetune.training.advisor_plan import plan_comparison

BOXES = ((10, 10), (10, 110), (110, 10), (110, 110))  # four boxes, far apart in the plane


def _stack(planes: int = 5, painted_planes=None) -> tuple[np.ndarray, np.ndarray]:
    """The same four boxes painted on consecutive planes: neighbouring sections."""
    image = np.random.default_rng(0).random((planes, 160, 160)).astype(np.float32)
    labels = np.zeros((planes, 160, 160), np.uint8)
    for z in painted_planes if painted_planes is not None else range(planes):
        for k, (y, x) in enumerate(BOXES):
            labels[z, y : y + 30, x : x + 30] = 1
            labels[z, y + 10 + k, x : x + 30] = 2  # a boundary row, placed per box
    return image, labels


@pytest.mark.parametrize("seed", range(6))
def test_a_box_held_out_on_one_plane_is_not_trained_on_the_planes_beside_it(seed):
    planes, _, _ = prepare_planes(*_stack())
    split = split_validation(planes, 0.25, seed=seed)
    assert split.grouping == "regions"
    held = np.stack([v > 0 for v in split.validation])
    trained = np.stack([t > 0 for t in split.train])
    assert held.any() and trained.any()
    # Per box: held out on every plane, or trained on every plane.
    for y, x in BOXES:
        column = (slice(None), slice(y, y + 30), slice(x, x + 30))
        assert not (held[column].any() and trained[column].any()), (y, x)


def test_planes_far_apart_or_regions_far_apart_stay_groups_of_their_own():
    planes, _, _ = prepare_planes(*_stack(planes=12, painted_planes=(0, 1 + PLANE_MERGE + 1)))
    # Two painted planes farther apart than PLANE_MERGE: 4 boxes each, 8 groups.
    assert len(region_groups(planes)) == 8
    planes, _, _ = prepare_planes(*_stack(planes=12, painted_planes=(0, PLANE_MERGE)))
    groups = region_groups(planes)
    assert len(groups) == 4 and all(len(group) == 2 for group in groups)


def test_two_d_images_split_as_before_region_by_region():
    image, labels = _stack(planes=1)
    planes, _, _ = prepare_planes(image[0], labels[0])
    assert len(region_groups(planes)) == 4


def test_the_comparison_counts_a_stacks_regions_as_groups():
    image, labels = _stack(planes=4, painted_planes=range(4))
    labels[:, 100:, :] = 0  # two boxes a plane left: two groups through the stack
    with pytest.raises(ValueError, match=r"only 2 painted regions: paint at least 2 more"):
        plan_comparison(image, labels)
