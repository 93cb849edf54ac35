"""Which last axis of an image holds channels, and a grey image's channel axis of 1 read away.

One rule for every reader of an image: a last axis of 1 to 4 of an image
``(rows, cols, C)`` or a stack ``(planes, rows, cols, C)`` holds channels
(:func:`channel_count`); read as a stack, ``(rows, cols, C)`` would be planes
of ``cols × C`` px. 3 or 4 channels are colour (RGBA is taken as RGB), 2 are
refused (which one is signal is the user's call), and 1 is a grey image with
its channel axis, read as grey (:func:`without_grey_axis`): in memory
(:func:`~napari_finetune.inference.predict.as_planes`), band by band
(:mod:`~napari_finetune.inference.lazy_io`, :mod:`~napari_finetune.session.lazy_rule`)
and in the kernel playground (:func:`~napari_finetune.inference.kernels.grey_normalised`);
for training, an image and its painting together (:func:`without_grey_axes`), where
they are first paired (:func:`~napari_finetune.data.painted.as_pairs`,
:class:`~napari_finetune.session.Pair`) and for unlabelled images.

NumPy only, and no pixels read here: the viewer's size rules use it too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def channel_count(shape: Sequence[int]) -> int | None:
    """How many channels the last axis of an image of this shape holds (see the module).

    Parameters
    ----------
    shape : sequence of int
        The image's shape.

    Returns
    -------
    int or None
        1 to 4 for ``(rows, cols, C)`` and ``(planes, rows, cols, C)`` with
        ``C`` at most 4; None when the last axis is no channel axis (a 2D
        image, a grey stack ``(planes, rows, cols)``).
    """
    return int(shape[-1]) if len(shape) in (3, 4) and shape[-1] <= 4 else None


def without_grey_axis(image: object) -> object:
    """``image`` without a trailing channel axis of 1: ``(rows, cols, 1)`` as ``(rows, cols)``.

    Any other image is returned as it is (colour and 2 channels are for the
    caller to take or refuse, in its words).

    Parameters
    ----------
    image : array-like
        A NumPy array or memory map, a Dask or Zarr array: anything with
        ``shape`` that is sliced with ``[..., 0]``.

    Returns
    -------
    array-like
        A view, nothing read: NumPy's ``[..., 0]`` for a NumPy array or a
        memory map, Dask's for a Dask array; any other array (Zarr, whose
        indexing reads every pixel) gets it through a Dask array over it.
    """
    if channel_count(image.shape) != 1:
        return image
    return sliceable(image)[..., 0]


def without_grey_axes(image: object, labels: object) -> tuple[object, object]:
    """An image and the labels painted on it, a grey image's channel axis of 1 read away.

    The image as :func:`without_grey_axis` reads it; labels of the very shape of
    such an image (a painting saved with the image's channel axis, ``(rows,
    cols, 1)``) lose that axis too, so that ``(rows, cols)`` and ``(rows, cols,
    1)`` labels both cover the grey image. Any other pair is returned as it is
    (for the caller to take or refuse, in its words).

    Parameters
    ----------
    image : array-like
        Anything with ``shape`` (NumPy, Dask, Zarr).
    labels : array-like
        The labels painted on it.

    Returns
    -------
    image, labels : array-like
        Views, nothing read (a lazy image or painting stays lazy).
    """
    if channel_count(image.shape) != 1:
        return image, labels
    if tuple(np.shape(labels)) == tuple(image.shape):
        # A plain sequence (nested lists) becomes an array; an array is only viewed.
        labels = sliceable(labels if hasattr(labels, "shape") else np.asarray(labels))[..., 0]
    return without_grey_axis(image), labels


def sliceable(image: object) -> object:
    """``image`` as an array whose slices read nothing: NumPy and Dask as they are.

    Any other array (Zarr, h5py, …) reads what an index selects at once, so
    ``[..., :3]`` on it would read the whole image: it gets a Dask view over
    it, in its own chunks where it has regular ones, else in Dask's.

    Parameters
    ----------
    image : array-like
        Anything with ``shape``, ``dtype`` and NumPy-style indexing.

    Returns
    -------
    array-like
        ``image`` itself (NumPy array, memory map, Dask array) or a Dask array over it.
    """
    if isinstance(image, np.ndarray) or hasattr(image, "dask"):
        return image
    import dask.array as da

    try:  # zarr's irregular chunk grids raise; h5py's contiguous datasets say None
        chunks = getattr(image, "chunks", None)
    except NotImplementedError:
        chunks = None
    if not (isinstance(chunks, tuple) and all(isinstance(c, int) for c in chunks)):
        chunks = "auto"
    return da.from_array(image, chunks=chunks)
