"""Whether an image opened from an FEI/Thermo SEM TIFF still holds the file's data bar.

Every path of the plugin that reads a TIFF itself crops the data bar (the rows
of text and scale bar below the imaged area,
:func:`~napari_finetune.data.calibration.open_calibrated`). An image opened some
other way (napari's own *File ▸ Open*) keeps it, and a network trained on it
learns the text and normalises its intensities with the bar's pure black and
white. :func:`data_bar_rows_left` says so from the file the image came from and
the image's shape; :func:`specimen_crop` is the image without the bar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

from napari_finetune.data.calibration import calibration_in, crop_data_bar
from napari_finetune.data.tiff_read import TIFF_SUFFIXES


def _file_shape_and_bar(path: str | Path) -> tuple[tuple[int, int], int]:
    """The first page's (rows, cols) and its FEI data-bar rows; ``((0, 0), 0)`` if unreadable.

    Only the first page's tags are read (no pixels): milliseconds, even for a large file.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            shape = (int(page.imagelength), int(page.imagewidth))
            if not tif.is_fei:  # only FEI/Thermo files have a data bar to crop
                return shape, 0
            found = calibration_in(tif)
    except (OSError, ValueError, tifffile.TiffFileError):
        # A file moved, deleted or damaged since it was opened: nothing to say.
        return (0, 0), 0
    return shape, found.data_bar_rows if found is not None else 0


def data_bar_rows_left(path: str | Path | None, shape: tuple[int, ...], rgb: bool = False) -> int:
    """The FEI data-bar rows an image of ``shape`` read from ``path`` still has (0: none).

    More than 0 only when ``path`` is an FEI/Thermo TIFF whose tags give a data
    bar (the same rule the rest of the plugin crops with,
    :func:`~napari_finetune.data.calibration.read_instrument_calibration`) and
    the image is as large as the whole file: an image read without its bar
    (the *Measure grains* dock's *Open SEM TIFF…*, the CLI) gives 0. No path,
    a file that is no TIFF, is missing or unreadable, and a stack, give 0: this
    only warns, it never raises.

    Parameters
    ----------
    path : str, Path or None
        The file the image was opened from (napari's ``layer.source.path``).
    shape : tuple of int
        The image's data shape: (rows, cols), or (rows, cols, channels) with ``rgb``.
    rgb : bool
        Whether the last axis of ``shape`` holds colour channels.

    Returns
    -------
    int
        The rows to crop from the bottom of the image.
    """
    if not path or Path(path).suffix.lower() not in TIFF_SUFFIXES:
        return 0
    spatial = tuple(shape[:-1] if rgb else shape)
    if len(spatial) != 2:
        return 0
    file_shape, rows = _file_shape_and_bar(path)
    return rows if rows and spatial == file_shape and rows < spatial[0] else 0


def specimen_crop(data: np.ndarray, rows: int) -> np.ndarray:
    """A copy of an image or labels array (rows, cols[, channels]) without its last ``rows`` rows.

    A copy, not a view: painting on a layer made from it must never change the
    layer it was cropped from.

    Raises
    ------
    ValueError
        When the bar would leave no rows.
    """
    return np.array(crop_data_bar(data, rows))


def data_bar_warning(found: list[tuple[str, int]]) -> str:
    """What the user is told about the images that still have their data bar (``''``: none).

    ``found``: (image name, data-bar rows) for each image in training.
    """
    if not found:
        return ""
    if len(found) == 1:
        name, rows = found[0]
        return (
            f"'{name}' still has its {rows}-row FEI data bar: the network would learn it "
            "and normalise with it."
        )
    names = ", ".join(f"'{name}' ({rows} rows)" for name, rows in found)
    return (
        f"{names} still have their FEI data bars: the network would learn them and "
        "normalise with them."
    )


def specimen_note(image: str, labels: str | None, rows: int, original: str) -> str:
    """What *Crop data bar* tells the user it added (``labels``: None when none were copied)."""
    added = f"'{image}'" + (f" and '{labels}'" if labels else "")
    return (
        f"Added {added} without the {rows}-row data bar; training uses them. "
        f"'{original}' is unchanged."
    )
