"""A TIFF's first image as an array the plugin understands: colour samples last.

``tifffile.imread`` returns the axes a file stores. A planar RGB TIFF
(``PlanarConfiguration = separate``, series axes ``'SYX'``) then comes as
``(3, rows, cols)``, which the rest of the plugin would take for a stack of
three grey planes. Here the samples axis ``S`` is moved last, as in an
interleaved RGB TIFF (``'YXS'``), and a channel axis ``C`` (multi-channel
fluorescence, ImageJ or OME hyperstacks) is refused: its channels are not
colours and not planes of one specimen, so the user has to pick one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile


def read_tiff(path: str | Path) -> tuple[np.ndarray, str]:
    """The first series of a TIFF with colour samples last, and its axes after the move.

    Parameters
    ----------
    path : str or Path
        The TIFF file.

    Returns
    -------
    numpy.ndarray
        The pixels; an empty array for a file with no image in it.
    str
        tifffile's axes letters for the array (``'YX'``, ``'YXS'``, ``'ZYX'``, ...).

    Raises
    ------
    ValueError
        For a channel axis ``C`` (naming the file); tifffile's own errors
        (``TiffFileError``, ``OSError``) for a file that is no TIFF.
    """
    with tifffile.TiffFile(path) as tif:
        if not tif.series:  # a damaged file: the caller says it holds no image
            return np.empty((0,)), ""
        series = tif.series[0]
        axes = series.axes
        if "C" in axes:
            raise ValueError(
                f"{Path(path).name} has {series.shape[axes.index('C')]} channels (TIFF axes "
                f"{axes!r}), not grey or RGB: save the channel to segment as its own image."
            )
        data = series.asarray()
        # tifffile stores any (3 | 4, rows, cols) array as planar RGB by default, and
        # records the array's shape: the plugin's own probability maps of 3 classes
        # are such files. Float samples are no camera's colours; keep those as written.
        kept = tif.is_shaped and data.dtype.kind == "f"
    if "S" in axes and not axes.endswith("S") and not kept:
        data = np.moveaxis(data, axes.index("S"), -1)
        axes = axes.replace("S", "") + "S"
    return data, axes
