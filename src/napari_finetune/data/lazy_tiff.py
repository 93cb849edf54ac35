"""A TIFF read only where it is sliced: a memory map, or a Zarr view of its tiles.

A 30 000² mosaic saved as one TIFF does not fit a PC's memory as float32 and
need not: an uncompressed TIFF with contiguous pixels is memory-mapped
(where tifffile says its bytes are, as ``tifffile.memmap`` maps them: slicing
reads those bytes only); any other TIFF (tiled, compressed, strips) is opened
through tifffile's Zarr interface (``TiffFile.aszarr``, as ``imread(aszarr=True)``),
which decodes only the tiles or strips a slice touches. Both come from tifffile;
nothing here reads pixels by hand. The file is parsed once for its axes, where its
pixels are and (:func:`open_tiff_lazily_calibrated`) its calibration tags.

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
import tifffile

from napari_finetune.data.calibration import InstrumentCalibration, calibration_of
from napari_finetune.data.tiff_read import TIFF_SUFFIXES, samples_to_move


def is_tiff(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a TIFF file by its suffix (``.tif``, ``.tiff``, ``.ome.tif``)."""
    return Path(path).suffix.lower() in TIFF_SUFFIXES


def _unreadable(path: Path, err: Exception) -> ValueError:
    return ValueError(f"{path.name} cannot be read as a TIFF: {err}")


def _opened(path: Path) -> tifffile.TiffFile:
    """The file open, once for its axes, its pixels' place and its tags; ValueError naming it."""
    try:
        return tifffile.TiffFile(path)
    except (OSError, tifffile.TiffFileError) as err:
        raise _unreadable(path, err) from None


def _samples_axis(tif: tifffile.TiffFile, path: Path) -> int | None:
    """Where planar RGB's samples axis is, to move last (tiff_read decides); None if none."""
    try:
        return samples_to_move(tif, path) if tif.series else None
    except (OSError, tifffile.TiffFileError) as err:
        raise _unreadable(path, err) from None


def memmap_tiff(path: str | os.PathLike[str]) -> np.ndarray | None:
    """The first image of a TIFF memory-mapped, or None when that cannot be.

    The file is opened once, to decide its axes and to read where the
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
    with _opened(path) as tif:
        return _memmap(tif, path, _samples_axis(tif, path))


def _memmap(tif: tifffile.TiffFile, path: Path, samples: int | None) -> np.ndarray | None:
    """:func:`memmap_tiff` from the open file, the samples axis to move last already known.

    ``tifffile.memmap(path, mode="r")``'s own rule (its first series' full
    resolution, where tifffile says its contiguous bytes start), taken from the
    file already open instead of a second parse of it.
    """
    try:
        series = tif.series[0].levels[0]
        if series.dataoffset is None:
            return None  # compressed, tiled or not contiguous
        dtype = np.dtype(tif.byteorder + series.dtype.char)
        mapped = np.memmap(os.fspath(path), dtype, "r", series.dataoffset, series.shape, "C")
    # TiffFileError is a ValueError too: a file that is no TIFF is said as such,
    # not taken for a compressed one.
    except (OSError, tifffile.TiffFileError) as err:
        raise _unreadable(path, err) from None
    except ValueError:
        return None  # e.g. pixels past the end of a truncated file
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
    return _open_lazily(Path(path), calibrate=False)[0]


def open_tiff_lazily_calibrated(
    path: str | os.PathLike[str],
) -> tuple[object, InstrumentCalibration | None]:
    """:func:`open_tiff_lazily`, and the calibration its tags give, from one open of the file.

    Parameters
    ----------
    path : str or Path
        A TIFF file.

    Returns
    -------
    object
        The array, as :func:`open_tiff_lazily` gives it.
    InstrumentCalibration or None
        What :func:`~napari_finetune.data.calibration.read_instrument_calibration`
        reads (pixel size, FEI data-bar rows); None for a file without such tags.

    Raises
    ------
    ValueError
        As :func:`open_tiff_lazily`, and for tags that cannot be read.
    """
    return _open_lazily(Path(path), calibrate=True)


def _open_lazily(path: Path, calibrate: bool) -> tuple[object, InstrumentCalibration | None]:
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file.")
    # One parse of the file decides the axes, where the pixels are and the tags:
    # many pages or a network share are read once, and all from one version of it.
    with _opened(path) as tif:
        samples = _samples_axis(tif, path)  # refuses channels, for the Zarr view too
        mapped = _memmap(tif, path, samples)
        store = _zarr_store(tif, path) if mapped is None else None
        # Should this fail, a store holds no file: it reads through this one, which `with` closes.
        calibration = calibration_of(tif, path) if calibrate else None
    if mapped is not None:
        return mapped, calibration
    # Opened as Zarr once this file is closed, as tifffile.imread(aszarr=True) gives
    # it: the store then reopens the file on its first read and keeps it to close.
    return _zarr_view(store, samples), calibration


def _zarr_store(tif: tifffile.TiffFile, path: Path) -> object:
    """A tifffile Zarr store of the open file's first series; ValueError without zarr."""
    try:
        import zarr  # noqa: F401 -- said before the file is wrapped
    except ImportError:
        raise ValueError(
            f"{path.name} is compressed or tiled: reading it lazily needs zarr "
            '(pip install "napari-finetune[zarr]").'
        ) from None
    try:
        return tif.aszarr()
    except (OSError, tifffile.TiffFileError) as err:
        raise _unreadable(path, err) from None


def _zarr_view(store: object, samples: int | None) -> object:
    """The Zarr array over ``store`` (level 0 of a pyramid), colour last; closes it on failure."""
    import zarr

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
