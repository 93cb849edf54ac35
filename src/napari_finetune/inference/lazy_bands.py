"""One band of tile rows of a large image: read it, predict its tiles, blend them into its sums.

A band is the rows ``y .. y + tile`` of the image, full width; its tiles are
those of :func:`~napari_finetune.inference.tiling.tiles` that start at row
``y``. :func:`band_sums` predicts them and blends them, left to right, into
sums that start from zeros: the weighted probabilities, the weights, and (on
request) the weighted normalised entropy. The band does not know its
neighbours: :func:`~napari_finetune.inference.lazy.predict_bands` adds the
part of the band above that overlaps it, then divides.

Whether the sums are computed here, one band after another
(:func:`local_band_sums`), or as tasks on a Dask cluster
(:mod:`~napari_finetune.inference.lazy_cluster`), the same function computes
each band from zeros and the same driver adds them in the same order, so both
runs write the same bits (given the same number of torch threads: oneDNN's
convolutions group their sums by thread, 4e-7 apart otherwise).

Uncertainty is the normalised entropy of each tile's probabilities
(:func:`~napari_finetune.inference.uncertainty.normalized_entropy`), blended
with the tile windows as the probabilities are: exactly what
``uncertainty(model, image, method='entropy')`` computes in memory (the
entropy of the blended probabilities would differ where tiles overlap). With
views averaged (:mod:`~napari_finetune.inference.views`) it is the entropy of
each tile's mean over the views.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
import torch

from napari_finetune.data.channel_axis import sliceable, without_grey_axis
from napari_finetune.data.sampled_normalize import FixedNormalization
from napari_finetune.inference.predict import as_batch, labels_from_probabilities
from napari_finetune.inference.runtime import Forward, logits_function
from napari_finetune.inference.tiling import blend_window, pad_to_multiple, tile_starts
from napari_finetune.inference.views import IDENTITY, View, averaged
from napari_finetune.models.model import SegmentationModel


def sum_channels(n_classes: int, uncertainty: bool) -> int:
    """Channels of a band's sums: K weighted probabilities, the weight, the weighted entropy."""
    return n_classes + 1 + int(uncertainty)


def channels_view(array: object) -> object:
    """The image as ``predict`` reads it: RGBA taken as RGB, ``(rows, cols, 1)`` as grey.

    A worker reading a Zarr store or a memory map itself gets it as stored:
    its grey axis is dropped here too, lazily (a view, nothing read).
    """
    array = without_grey_axis(array)
    if len(array.shape) != 3:
        return array
    # Indexing a Zarr array reads what it selects at once: [..., :3] would read the
    # whole mosaic for every band. A Dask view over it reads the band's chunks.
    return sliceable(array)[..., :3]


def as_band(data: object, y0: int, y1: int) -> np.ndarray:
    """Rows ``y0 .. y1`` already sliced, as ``(h, cols, C)``; ValueError for NaN or infinity."""
    band = np.asarray(data)
    if band.ndim == 2:
        band = band[..., None]
    if band.dtype.kind == "f" and not np.isfinite(band).all():
        raise ValueError(f"image contains NaN or infinite values (rows {y0} to {y1}).")
    return band


def read_band(array: object, y0: int, y1: int) -> np.ndarray:
    """Rows ``y0 .. y1`` of a lazily sliced image as ``(h, cols, C)`` (see :func:`as_band`)."""
    return as_band(channels_view(array)[y0:y1], y0, y1)


@lru_cache(maxsize=16)
def _window(rows: int, cols: int, overlap: int) -> np.ndarray:
    # Shared between calls and threads: only ever read.
    window = blend_window(rows, cols, overlap)
    window.flags.writeable = False
    return window


def band_sums(
    forward: Forward,
    normalize: FixedNormalization,
    band: np.ndarray,
    n_classes: int,
    tile: int,
    overlap: int,
    uncertainty: bool = False,
    multiple: int = 1,
) -> np.ndarray:
    """The blended sums of one band's tiles, from zeros.

    Parameters
    ----------
    forward : callable
        Logits of a ``(1, C, h, w)`` tensor (tiles mirrored out to multiples of ``multiple``)
        (:func:`~napari_finetune.inference.runtime.logits_function`).
    normalize : FixedNormalization
        The image's normalisation, applied tile by tile.
    band : numpy.ndarray
        ``(h, cols, C)``, as :func:`read_band` gives it; ``h`` at most ``tile``.
    n_classes : int
        K, the model's classes.
    tile, overlap : int
        Tile side and overlap in pixels.
    uncertainty : bool
        Also sum the tiles' normalised entropy.
    multiple : int
        Tiles are mirrored out to sides that are multiples of this (the
        network's ``min_size``: :func:`~napari_finetune.inference.tiling.pad_to_multiple`).

    Returns
    -------
    numpy.ndarray
        float32 ``(K + 1 [+ 1], h, cols)``: channels ``0 .. K-1`` the window-weighted
        probabilities, channel K the windows' sum, channel K + 1 (with
        ``uncertainty``) the window-weighted entropy.
    """
    rows, cols = band.shape[:2]
    sums = np.zeros((sum_channels(n_classes, uncertainty), rows, cols), np.float32)
    total, weight = sums[:n_classes], sums[n_classes]
    if uncertainty:
        # Imported here: the uncertainty module loads the augmentation presets.
        from napari_finetune.inference.uncertainty import normalized_entropy
    for x in tile_starts(cols, tile, overlap):
        piece = band[:, x : min(x + tile, cols)]
        h, w = piece.shape[:2]
        window = _window(h, w, overlap)
        columns = slice(x, x + w)
        with torch.inference_mode():
            logits = forward(as_batch(pad_to_multiple(normalize(piece), multiple)))
            probabilities = torch.softmax(logits[:, :, :h, :w], dim=1)
            total[:, :, columns] += probabilities[0].numpy() * window
            weight[:, columns] += window
            if uncertainty:
                sums[-1][:, columns] += normalized_entropy(probabilities)[0].numpy() * window
    return sums


def local_band_sums(
    model: SegmentationModel,
    array: object,
    starts: Sequence[int],
    normalize: FixedNormalization,
    tile: int,
    overlap: int,
    backend: str,
    uncertainty: bool,
    device: str | None = None,
    views: tuple[View, ...] = IDENTITY,
) -> Iterator[np.ndarray]:
    """:func:`band_sums` of the bands starting at ``starts``, read and predicted here, in order.

    Each tile is the mean over ``views`` (:mod:`~napari_finetune.inference.views`).
    """
    forward = averaged(logits_function(model, backend, device), views)
    rows = array.shape[0]
    for y in starts:
        band = read_band(array, y, min(y + tile, rows))
        yield band_sums(
            forward,
            normalize,
            band,
            model.n_classes,
            tile,
            overlap,
            uncertainty,
            model.net.min_size,
        )


def write_bands(
    target: object,
    starts: Sequence[int],
    sums_of_bands: Iterator[np.ndarray],
    n_classes: int,
    uncertainty: bool,
    rows: int,
) -> Iterator[int]:
    """Blend the bands' sums in order and write their finished rows; yield the rows done.

    Each band's sums start from zeros (wherever they were computed); the sums
    of the rows the band above overlaps are added here, in band order, so a
    cluster's run writes the same bits. Rows above the next band's first tile
    get no more contributions: they are divided, written with
    ``target.write`` and counted with ``target.mark(rows_done=...)``.
    ``sums_of_bands`` is closed at the end, or when this generator is (on a
    cluster: cancelling the bands in flight).
    """
    k = n_classes
    carry = None  # the overlapped rows' sums, still to get the next band's tiles
    try:
        for index, (y, sums) in enumerate(zip(starts, sums_of_bands, strict=True)):
            if carry is not None:
                sums[:, : carry.shape[1]] += carry
            end = starts[index + 1] if index + 1 < len(starts) else rows
            done = sums[:, : end - y]
            blended = done[:k] / done[k]
            entropy = done[k + 1] / done[k] if uncertainty else None
            target.write(y, labels_from_probabilities(blended), blended, entropy)
            carry = sums[:, end - y :]
            target.mark(rows_done=end)
            yield end
    finally:
        sums_of_bands.close()
