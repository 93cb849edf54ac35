"""Pixel size from the instrument's TIFF tags, and the data bar at the bottom of SEM images.

FEI/Thermo Fisher SEMs write an INI block (``[Scan] PixelWidth`` in metres,
``[Image] ResolutionY`` the height of the imaged area; the rows below it are
the data bar); Zeiss SEMs write ``AP_IMAGE_PIXEL_SIZE`` with its unit. tifffile
parses both (``TiffFile.fei_metadata``, ``TiffFile.sem_metadata``). Light
microscopes and image software write no SEM tags: an OME-TIFF gives the size
as ``PhysicalSizeX`` in its OME-XML, an ImageJ TIFF as the XResolution tag
(pixels per unit) with the unit in its description (``TiffFile.ome_metadata``,
``TiffFile.imagej_metadata``); see :mod:`~napari_finetune.data.microscope_calibration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from napari_finetune.data.microscope_calibration import METRES, microscope_pixel_size, nice
from napari_finetune.data.tiff_read import read_open_tiff


@dataclass(frozen=True)
class InstrumentCalibration:
    """What the file says: pixel size, its unit, the instrument, the data-bar height.

    ``instrument`` names the tags: ``'FEI/Thermo'``, ``'Zeiss'``, ``'OME-XML'``
    or ``'ImageJ'``. ``y_pixel_size`` is set only when the file gives a
    different pixel height (in ``unit``): ``pixel_size`` is the width, which
    is what is measured with, and :attr:`source` says that Y differs.
    """

    pixel_size: float
    unit: str
    instrument: str
    data_bar_rows: int = 0
    y_pixel_size: float | None = None

    @property
    def source(self) -> str:
        """Where the pixel size came from, as the user is told and batch tables write it.

        ``'FEI/Thermo tags'``, ``'Zeiss tags'``, ``'OME-XML tags'``,
        ``'ImageJ tags'``; for non-square pixels e.g.
        ``'OME-XML tags (X; Y is 0.3 µm/px)'``.
        """
        if self.y_pixel_size is None:
            return f"{self.instrument} tags"
        return f"{self.instrument} tags (X; Y is {self.y_pixel_size:g} {self.unit}/px)"


def read_instrument_calibration(path: str | Path) -> InstrumentCalibration | None:
    """Pixel size (and FEI data-bar height) from a TIFF's instrument tags, or None.

    The tags are tried in this order, the first usable one wins: FEI/Thermo,
    Zeiss, OME-XML (``PhysicalSizeX``), ImageJ (XResolution and the unit).
    A size that is zero, negative or not finite, or in a unit that is no
    length (ImageJ's ``'pixel'``, none at all), is ignored, never refused: the
    file is then uncalibrated. Pixels that are not square (OME-XML
    ``PhysicalSizeY``, ImageJ YResolution differing by over 0.1 %) are
    measured with their width (X), and ``y_pixel_size`` keeps their height so
    that :attr:`InstrumentCalibration.source` can say so.

    Raises
    ------
    ValueError
        When the file cannot be read as a TIFF.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            return calibration_in(tif)
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{Path(path).name} cannot be read as a TIFF: {err}") from None


def calibration_in(tif: tifffile.TiffFile) -> InstrumentCalibration | None:
    """What :func:`read_instrument_calibration` reads, from a TIFF already open.

    For callers that read more of the file in the same pass (the data bar's
    check, :mod:`~napari_finetune.data.data_bar`): the tags are parsed once.
    tifffile's own errors come as they are (:func:`calibration_of` says them).
    """
    rows = tif.pages[0].shape[0]
    if tif.is_fei and tif.fei_metadata:
        meta = tif.fei_metadata
        width = float(meta.get("Scan", {}).get("PixelWidth", 0) or 0)
        if width > 0:
            imaged = int(meta.get("Image", {}).get("ResolutionY", rows) or rows)
            value, unit = nice(width)
            return InstrumentCalibration(value, unit, "FEI/Thermo", max(rows - imaged, 0))
    if tif.is_sem and tif.sem_metadata:
        entry = tif.sem_metadata.get("ap_image_pixel_size") or tif.sem_metadata.get(
            "ap_pixel_size"
        )
        if entry and len(entry) >= 3 and entry[2] in METRES and float(entry[1]) > 0:
            value, unit = nice(float(entry[1]) * METRES[entry[2]])
            return InstrumentCalibration(value, unit, "Zeiss")
    found = microscope_pixel_size(tif)
    if found is not None:
        return InstrumentCalibration(found.x, found.unit, found.source, y_pixel_size=found.y)
    return None


def calibration_of(tif: tifffile.TiffFile, path: str | Path) -> InstrumentCalibration | None:
    """:func:`calibration_in`, unreadable tags told as :func:`read_instrument_calibration` does.

    For readers that take the pixels from the same open file
    (:func:`~napari_finetune.data.io.read_specimen`, the lazy TIFF reader).

    Parameters
    ----------
    tif : tifffile.TiffFile
        The open file.
    path : str or Path
        Its name, for the message.

    Raises
    ------
    ValueError
        When its tags cannot be read, naming the file.
    """
    try:
        return calibration_in(tif)
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{Path(path).name} cannot be read as a TIFF: {err}") from None


def crop_data_bar(image: np.ndarray, rows: int) -> np.ndarray:
    """The image (rows, cols[, channels]) without its last ``rows`` rows, as a view."""
    if rows <= 0:
        return image
    if rows >= image.shape[0]:
        raise ValueError(f"a data bar of {rows} rows leaves nothing of the image.")
    return image[: image.shape[0] - rows]


def open_calibrated(path: str | Path) -> tuple[np.ndarray, InstrumentCalibration | None]:
    """A TIFF's image without its data bar, and the calibration its tags give (or None).

    The pixels are read as :func:`napari_finetune.data.io.read_image` reads them
    (:func:`~napari_finetune.data.tiff_read.read_tiff`: colour samples last).
    Tags and pixels come from one open of the file: a many-page file or one on
    a network share is parsed once, and both come from the same version of it.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            calibration = calibration_in(tif)
            image, _ = read_open_tiff(tif, path)
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{Path(path).name} cannot be read as a TIFF: {err}") from None
    if calibration is not None and calibration.data_bar_rows:
        image = crop_data_bar(image, calibration.data_bar_rows)
    return image, calibration
