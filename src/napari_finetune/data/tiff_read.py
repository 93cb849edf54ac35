"""A TIFF's first image as an array the plugin understands: colour samples last.

``tifffile.imread`` returns the axes a file stores. A planar RGB TIFF
(``PlanarConfiguration = separate``, series axes ``'SYX'``) then comes as
``(3, rows, cols)``, which the rest of the plugin would take for a stack of
three grey planes. Here the samples axis ``S`` is moved last, as in an
interleaved RGB TIFF (``'YXS'``) -- unless tifffile wrote the file with its
array's shape recorded (``is_shaped``): then it is read back exactly as
written, as tifffile stores every ``(3 | 4, rows, cols)`` array as planar RGB
-- and a channel axis ``C`` (multi-channel
fluorescence, ImageJ or OME hyperstacks) is refused: its channels are not
colours and not planes of one specimen, so the user has to pick one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

# What every reader of the plugin takes for a TIFF file.
TIFF_SUFFIXES = (".tif", ".tiff")


def samples_to_move(tif: tifffile.TiffFile, path: str | Path) -> int | None:
    """Where the first series' colour samples axis ``S`` is, when it must be moved last.

    The one decision of which axes a TIFF's image has, shared by
    :func:`read_tiff` and the lazy reader
    (:func:`~napari_finetune.data.lazy_tiff.open_tiff_lazily`), so that both
    give a file the same array.

    Parameters
    ----------
    tif : tifffile.TiffFile
        The open file, with at least one series.
    path : str or Path
        Its name, for the message.

    Returns
    -------
    int or None
        The index of ``S`` in the series' axes for planar RGB (``'SYX'``);
        None when the samples are last already, there are none, or the file is
        tifffile-shaped (its writer recorded the array's shape, e.g. a
        ``(3 | 4, rows, cols)`` z-stack, label stack or probability map): such
        a file is read back exactly as written, whatever its dtype.

    Raises
    ------
    ValueError
        For a channel axis ``C``, naming the file.
    """
    series = tif.series[0]
    axes = series.axes
    if "C" in axes:
        raise ValueError(
            f"{Path(path).name} has {series.shape[axes.index('C')]} channels (TIFF axes "
            f"{axes!r}), not grey or RGB: save the channel to segment as its own image."
        )
    # tifffile stores any (3 | 4, rows, cols) array as planar RGB by default and
    # records the array's shape ("shaped" files): the plugin's own outputs, napari's
    # Save layer and skimage write z-stacks, label stacks and probability maps so.
    # Such a file is read back exactly as written, whatever its dtype; only planar
    # RGB that no tifffile writer shaped (instruments, other software) is colour.
    if "S" in axes and not axes.endswith("S") and not tif.is_shaped:
        return axes.index("S")
    return None


def read_tiff(path: str | Path) -> tuple[np.ndarray, str]:
    """The first series of a TIFF with colour samples last, and its axes after the move.

    Opens the file for :func:`read_open_tiff`; a caller that reads the file's
    tags too (calibration, data bar) opens it once itself and calls that.

    Parameters
    ----------
    path : str or Path
        The TIFF file.

    Returns
    -------
    numpy.ndarray
        The pixels; an empty array for a file with no image in it.
    str
        tifffile's axes letters for the array (``'YX'``, ``'YXS'``, ``'ZYX'``, ...);
        ``'S'`` only for colour samples, last (a shaped file's planes: ``'QYX'``).

    Raises
    ------
    ValueError
        For a channel axis ``C`` (naming the file, :func:`samples_to_move`);
        tifffile's own errors (``TiffFileError``, ``OSError``) for a file that
        is no TIFF.
    """
    with tifffile.TiffFile(path) as tif:
        return read_open_tiff(tif, path)


def read_open_tiff(tif: tifffile.TiffFile, path: str | Path) -> tuple[np.ndarray, str]:
    """What :func:`read_tiff` reads, from a TIFF already open.

    Tags and pixels then come from one open of the file: it is parsed once
    (many pages, a network share) and cannot change between the two reads.

    Parameters
    ----------
    tif : tifffile.TiffFile
        The open file.
    path : str or Path
        Its name, for the message.

    Returns
    -------
    numpy.ndarray
        The pixels; an empty array for a file with no image in it.
    str
        The axes letters, as :func:`read_tiff` gives them.

    Raises
    ------
    ValueError
        For a channel axis ``C`` (naming the file); tifffile's own errors for
        pixels it cannot read.
    """
    if not tif.series:  # a damaged file: the caller says it holds no image
        return np.empty((0,)), ""
    samples = samples_to_move(tif, path)
    axes = tif.series[0].axes
    data = tif.series[0].asarray()
    if samples is not None:
        data = np.moveaxis(data, samples, -1)
        axes = axes.replace("S", "") + "S"
    elif "S" in axes and not axes.endswith("S"):
        # Kept as written (tifffile-shaped): its planes are no colours. 'Q' is
        # tifffile's letter for an axis of other things, so no caller reads colour.
        axes = axes.replace("S", "Q")
    return data, axes
