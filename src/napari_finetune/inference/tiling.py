"""Overlapping tiles over an image and the smooth weights that blend them.

Predictions near a tile's edge see less context and are worse; a window that
falls off towards the edges lets the neighbouring tile's centre win there, so
no seams appear. The window never reaches zero, so pixels at the image border
(covered by one tile only) keep a valid weight.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator

import numpy as np


def check_tiling(tile: int, overlap: int, min_tile: int) -> tuple[int, int]:
    """ValueError naming the argument unless tiles of ``tile`` px overlapping by ``overlap`` work.

    ``min_tile`` is the smallest tile the network can pool down; the overlap
    must leave each tile a step forward (``2 * overlap < tile``). Any whole
    number is taken (a NumPy integer from an array or a spin box as well as a
    Python ``int``; not ``True``); returns ``(tile, overlap)`` as Python ints.
    """
    for name, value in (("tile", tile), ("overlap", overlap)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name}={value!r} must be a whole number of pixels.")
    tile, overlap = int(tile), int(overlap)
    if tile < min_tile:
        raise ValueError(
            f"tile={tile} is too small: the model needs tiles of at least {min_tile} px."
        )
    if not 0 <= 2 * overlap < tile:
        raise ValueError(
            f"overlap={overlap} must be at least 0 and less than half the tile ({tile} px)."
        )
    return tile, overlap


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets covering ``length`` with tiles of ``tile`` overlapping by ``overlap``."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)  # the last tile ends exactly at the border
    return starts


def tiles(shape: tuple[int, int], tile: int, overlap: int) -> Iterator[tuple[slice, slice]]:
    """Slices of the tiles covering an image of ``shape``."""
    rows, cols = shape
    for y in tile_starts(rows, tile, overlap):
        for x in tile_starts(cols, tile, overlap):
            yield slice(y, min(y + tile, rows)), slice(x, min(x + tile, cols))


def blend_window(rows: int, cols: int, ramp: int) -> np.ndarray:
    """float32 weights: 1 inside, a raised-cosine fall-off over ``ramp`` px to the edge."""

    def profile(n: int) -> np.ndarray:
        w = np.ones(n, np.float32)
        r = min(ramp, n // 2)
        if r > 0:
            edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
            w[:r] = edge
            w[n - r :] = edge[::-1]
        return np.maximum(w, 1e-3)

    return np.outer(profile(rows), profile(cols))


def pad_to_multiple(piece: np.ndarray, multiple: int) -> np.ndarray:
    """``piece`` ``(h, w, ...)`` mirrored out at its bottom and right to sides that are multiples.

    The U-Net pools by 2 four times and resizes each coarser stage to its skip
    connection: on a side that is not a multiple of 16 the deep features are
    stretched across the tile, up to 15 px out of place at its far edge. A
    511 x 512 crop of a 512^2 image then disagreed with the whole image's
    prediction on 4.5 % of its pixels away from the edges, mostly on thin
    boundaries; mirrored out to 512 first, on 0.0005 %. Numpy repeats the
    reflection when the pad is longer than the piece.
    """
    rows, cols = piece.shape[:2]
    pad = [(0, -rows % multiple), (0, -cols % multiple)] + [(0, 0)] * (piece.ndim - 2)
    return np.pad(piece, pad, mode="reflect") if pad[0][1] or pad[1][1] else piece


def apply_tiled(
    image: np.ndarray,
    per_tile: Callable[[np.ndarray], np.ndarray],
    channels: int,
    tile: int,
    overlap: int,
    multiple: int = 1,
) -> np.ndarray:
    """Run ``per_tile`` over overlapping tiles of ``image`` and blend the results.

    Parameters
    ----------
    image : numpy.ndarray
        ``(rows, cols, C)`` plane.
    per_tile : callable
        Maps a ``(h, w, C)`` tile (mirrored out to multiples of ``multiple``) to a
        ``(channels, h, w)`` float array of the same sides.
    channels : int
        Number of output channels.
    tile, overlap : int
        Tile side and overlap in pixels.
    multiple : int
        Tiles reach ``per_tile`` mirrored out to sides that are multiples of
        this (the network's :attr:`~napari_finetune.models.unet.UNet.min_size`,
        see :func:`pad_to_multiple`); the results are cropped back.

    Returns
    -------
    numpy.ndarray
        float32 ``(channels, rows, cols)``, a smooth weighted average of the tiles.
    """
    rows, cols = image.shape[:2]
    total = np.zeros((channels, rows, cols), np.float32)
    weight = np.zeros((rows, cols), np.float32)
    for ys, xs in tiles((rows, cols), tile, overlap):
        piece = image[ys, xs]
        h, w = piece.shape[:2]
        window = blend_window(h, w, overlap)
        total[:, ys, xs] += per_tile(pad_to_multiple(piece, multiple))[:, :h, :w] * window
        weight[ys, xs] += window
    total /= weight  # in place: ``total / weight`` held a second (channels, rows, cols) array
    return total
