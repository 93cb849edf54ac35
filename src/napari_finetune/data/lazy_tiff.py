"""A TIFF read only where it is sliced: a memory map, or a Zarr view of its tiles.

A 30 000² mosaic saved as one TIFF does not fit a PC's memory as float32 and
need not: an uncompressed TIFF with contiguous pixels is memory-mapped
(``tifffile.memmap``: slicing reads those bytes only); any other TIFF (tiled,
compressed, strips) is opened through tifffile's Zarr interface
(``imread(aszarr=True)``), which decodes only the tiles or strips a slice
touches. Both come from tifffile; nothing here reads pixels by hand.

The array has the axes :func:`~napari_finetune.data.tiff_read.read_tiff` gives
the same file (its :func:`~napari_finetune.data.tiff_read.samples_to_move`
decides): a planar RGB TIFF (``'SYX'``) comes with its colour last, as a view
of the memory map or a dask array over the Zarr view (both still read only
what is sliced), and a TIFF with channels (``'C'``) is refused.

The Zarr view reads through a tifffile store that keeps the file open once
read: the store lives as long as the returned array (which holds it) and is
closed when the array is collected, or at once if opening the array fails.
A memory map holds no file handle (only the mapping).
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import numpy as np

from napari_finetune.data.tiff_read import samples_to_move

TIFF_SUFFIXES = (".tif", ".tiff")


def is_tiff(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a TIFF file by its suffix (``.tif``, ``.tiff``, ``.ome.tif``)."""
    return Path(path).suffix.lower() in TIFF_SUFFIXES


def _samples_axis(path: Path) -> int | None:
    """Where planar RGB's samples axis is, to move last (tiff_read decides); None if none."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            return samples_to_move(tif, path) if tif.series else None
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{path.name} cannot be read as a TIFF: {err}") from None


def memmap_tiff(path: str | os.PathLike[str]) -> np.ndarray | None:
    """The first image of a TIFF memory-mapped, or None when that cannot be.

    The file is opened twice, to decide its axes and to read where the
    pixels are, and closed.

    Parameters
    ----------
    path : str or Path
        A TIFF file.

    Returns
    -------
    numpy.memmap or numpy.ndarray or None
        A read-only memory map when the pixels are stored uncompressed and
        contiguous; None otherwise (compressed, tiled or in strips). For
        planar RGB, a view of the map with colour last: a plain ndarray, so
        that it is not taken for a map whose bytes are in that order (a Dask
        worker would read it so), but still read only where sliced.

    Raises
    ------
    ValueError
        For a file that cannot be read as a TIFF, or one with channels, said
        with its name.
    """
    path = Path(path)
    return _memmap(path, _samples_axis(path))


def _memmap(path: Path, samples: int | None) -> np.ndarray | None:
    """:func:`memmap_tiff`, the samples axis to move last already known."""
    import tifffile

    try:
        mapped = tifffile.memmap(path, mode="r")
    # TiffFileError is a ValueError too: a file that is no TIFF is said as such,
    # not taken for a compressed one.
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{path.name} cannot be read as a TIFF: {err}") from None
    except ValueError:
        return None  # compressed, tiled or not contiguous
    return mapped if samples is None else np.moveaxis(np.asarray(mapped), samples, -1)


def open_tiff_lazily(path: str | os.PathLike[str]) -> object:
    """The first image of a TIFF as an array that reads only what is sliced.

    Parameters
    ----------
    path : str or Path
        A TIFF file.

    Returns
    -------
    numpy.memmap or zarr.Array or numpy.ndarray or dask.array.Array
        A read-only memory map when the pixels are stored uncompressed and
        contiguous (:func:`memmap_tiff`), else a Zarr array over the file's
        tiles or strips (its full-resolution level for a pyramidal TIFF),
        whose file is closed when the array is collected (see the module).
        Planar RGB comes with colour last: a view of the map (ndarray), or a
        dask array over the Zarr array.

    Raises
    ------
    ValueError
        For a missing or unreadable file, or one with channels (not grey or
        RGB), said with its name.
    """
    import tifffile

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file.")
    samples = _samples_axis(path)  # refuses channels, for the Zarr view too
    mapped = _memmap(path, samples)
    if mapped is not None:
        return mapped
    try:
        import zarr
    except ImportError:
        raise ValueError(
            f"{path.name} is compressed or tiled: reading it lazily needs zarr "
            '(pip install "napari-finetune[zarr]").'
        ) from None
    try:
        store = tifffile.imread(path, aszarr=True)
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{path.name} cannot be read as a TIFF: {err}") from None
    try:
        node = zarr.open(store, mode="r")
        array = node if isinstance(node, zarr.Array) else node["0"]  # pyramid: level 0
    except BaseException:
        store.close()  # nothing else holds it: its file goes now
        raise
    # The store reopens the file on the next read if need be, so closing it when
    # this array goes is safe even for another view of the same store.
    weakref.finalize(array, store.close)
    if samples is None:
        return array
    import dask.array

    # A Zarr array cannot be transposed; a dask array over it can, and still reads
    # only the chunks a slice touches. It holds the Zarr array, hence its file.
    return dask.array.moveaxis(dask.array.from_zarr(array), samples, -1)
