"""Painted pixels per class, counted in blocks of rows, for every label dtype."""

import numpy as np
import pytest

from napari_finetune.data import class_counts
from napari_finetune.data.class_counts import painted_counts
from napari_finetune.training.provenance import class_counts as recorded_counts


def _superalloy_like() -> np.ndarray:
    """14 000 px of matrix and of secondary γ′, 324 px (2.3 %) of tertiary γ′."""
    labels = np.zeros((200, 200), np.uint8)
    labels[:100, :140], labels[100:, :140] = 1, 2
    labels[:18, 150:168] = 3
    return labels


def test_counts_every_painted_class_over_images_and_planes_in_blocks_of_rows(monkeypatch):
    monkeypatch.setattr(
        class_counts, "PIXELS_AT_ONCE", 7 * 200
    )  # 7 rows of 200 px: cutting classes
    stack = np.zeros((3, 40, 30), np.uint8)
    stack[0, 5:25, 3:9], stack[2, 30:, :] = 2, 5
    labels = [_superalloy_like(), stack]
    expected = {}
    for array in labels:
        values, counts = np.unique(array[array != 0], return_counts=True)
        for value, count in zip(values, counts, strict=True):
            expected[int(value)] = expected.get(int(value), 0) + int(count)
    assert painted_counts(labels) == expected == {1: 14000, 2: 14120, 3: 324, 5: 300}


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64, np.uint64, np.float32])
def test_counts_agree_with_sorting_for_every_dtype_and_large_or_negative_ids(dtype):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, (64, 64)).astype(dtype)
    if np.issubdtype(dtype, np.signedinteger):
        labels[0, :10] = -3  # not a class napari paints, but a value in the array
    if np.dtype(dtype).itemsize >= 4:
        labels[1, :7] = 3_000_000  # an instance id: counted by sorting, not a histogram
    values, counts = np.unique(labels[labels != 0], return_counts=True)
    expected = {int(v): int(n) for v, n in zip(values, counts, strict=True)}
    assert painted_counts(labels) == expected


def test_values_picked_out_by_a_mask_count_and_the_record_keeps_value_order():
    labels = _superalloy_like()
    assert painted_counts(labels[labels != 1]) == {2: 14000, 3: 324}
    assert list(recorded_counts(labels)) == ["1", "2", "3"]
    assert recorded_counts(labels) == {"1": 14000, "2": 14000, "3": 324}
