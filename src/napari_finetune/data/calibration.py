"""Pixel size from the instrument's TIFF tags, and the data bar at the bottom of SEM images.

FEI/Thermo Fisher SEMs write an INI block (``[Scan] PixelWidth`` in metres,
``[Image] ResolutionY`` the height of the imaged area; the rows below it are
the data bar); Zeiss SEMs write ``AP_IMAGE_PIXEL_SIZE`` with its unit. tifffile
parses both (``TiffFile.fei_metadata``, ``TiffFile.sem_metadata``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from napari_finetune.data.tiff_read import read_tiff

# metres per unit, for the units instruments write
METRES = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9, "pm": 1e-12}


@dataclass(frozen=True)
class InstrumentCalibration:
    """What the file says: pixel size, its unit, the instrument, the data-bar height."""

    pixel_size: float
    unit: str
    instrument: str
    data_bar_rows: int = 0


def _nice(metres: float) -> tuple[float, str]:
    """A pixel size in metres as (value, unit): nm, µm or mm, the first giving under 1000."""
    for unit in ("nm", "µm", "mm"):
        value = metres / METRES[unit]
        if value < 1000:
            return float(value), unit
    return float(metres / METRES["mm"]), "mm"


def read_instrument_calibration(path: str | Path) -> InstrumentCalibration | None:
    """Pixel size (and FEI data-bar height) from a TIFF's instrument tags, or None.

    Raises
    ------
    ValueError
        When the file cannot be read as a TIFF.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            rows = tif.pages[0].shape[0]
            if tif.is_fei and tif.fei_metadata:
                meta = tif.fei_metadata
                width = float(meta.get("Scan", {}).get("PixelWidth", 0) or 0)
                if width > 0:
                    imaged = int(meta.get("Image", {}).get("ResolutionY", rows) or rows)
                    value, unit = _nice(width)
                    return InstrumentCalibration(value, unit, "FEI/Thermo", max(rows - imaged, 0))
            if tif.is_sem and tif.sem_metadata:
                entry = tif.sem_metadata.get("ap_image_pixel_size") or tif.sem_metadata.get(
                    "ap_pixel_size"
                )
                if entry and len(entry) >= 3 and entry[2] in METRES and float(entry[1]) > 0:
                    value, unit = _nice(float(entry[1]) * METRES[entry[2]])
                    return InstrumentCalibration(value, unit, "Zeiss")
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{Path(path).name} cannot be read as a TIFF: {err}") from None
    return None


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
    """
    calibration = read_instrument_calibration(path)
    try:
        image, _ = read_tiff(path)
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{Path(path).name} cannot be read as a TIFF: {err}") from None
    if calibration is not None and calibration.data_bar_rows:
        image = crop_data_bar(image, calibration.data_bar_rows)
    return image, calibration
