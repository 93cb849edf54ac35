"""One rule for a grey image's channel axis of 1, and views that read nothing."""

import numpy as np
import pytest

from napari_finetune.data.channel_axis import (
    channel_count,
    sliceable,
    without_grey_axes,
    without_grey_axis,
)


class _Contiguous:
    """An array like h5py's contiguous datasets: NumPy indexing, ``chunks`` None."""

    def __init__(self, data):
        self.data, self.shape, self.dtype, self.ndim = data, data.shape, data.dtype, data.ndim
        self.chunks = None
        self.reads = []

    def __getitem__(self, key):
        out = self.data[key]
        self.reads.append(out.size)
        return out


def test_an_array_without_chunks_gets_a_view_that_reads_nothing_yet():
    # Dask refused chunks=None ("You must specify a chunks= keyword argument").
    grey = _Contiguous(np.arange(2000 * 30, dtype=np.float32).reshape(2000, 30, 1))
    view = without_grey_axis(grey)
    assert view.shape == (2000, 30) and not any(grey.reads)  # no pixel read yet
    np.testing.assert_array_equal(np.asarray(view[10:20]), grey.data[10:20, :, 0])


@pytest.mark.parametrize("shape", [(5, 6), (5, 6, 3), (4, 5, 6)])
def test_numpy_arrays_stay_as_they_are(shape):
    image = np.zeros(shape)
    assert sliceable(image) is image
    assert without_grey_axis(image) is image


def test_channel_counts():
    assert channel_count((5, 6, 1)) == 1 and channel_count((2, 5, 6, 3)) == 3
    assert channel_count((5, 6)) is None and channel_count((5, 6, 7)) is None


def test_labels_painted_with_the_grey_axis_lose_it_with_the_image():
    image, labels = np.zeros((20, 30, 1)), np.ones((20, 30, 1), np.uint8)
    grey, painted = without_grey_axes(image, labels)
    assert grey.shape == painted.shape == (20, 30) and np.shares_memory(painted, labels)
    assert without_grey_axes(image, labels[..., 0])[1].shape == (20, 30)
    two, flat = np.zeros((20, 30, 2)), np.ones((20, 30), np.uint8)
    assert without_grey_axes(two, flat) == (two, flat)  # left for the caller to refuse
