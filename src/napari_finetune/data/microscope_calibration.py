"""Pixel size of a light-microscope or image-software TIFF: OME-XML, else ImageJ.

A TIFF with no SEM tags may still be calibrated. An OME-TIFF says it in its
OME-XML (``Pixels`` ``PhysicalSizeX``, ``PhysicalSizeXUnit``; the OME schema
makes a missing unit µm, as files written before units existed mean it); an
ImageJ TIFF writes the XResolution tag (pixels per unit, a fraction) and the
unit in its description (``unit=micron``). Both are read through tifffile
(``TiffFile.ome_metadata``, ``TiffFile.imagej_metadata``).

What cannot be a pixel size is ignored, not refused: zero, negative or
non-finite sizes, and units that are no length (ImageJ's ``'pixel'``, OME's
``'pixel'``, no unit in ImageJ). The file is then uncalibrated, as before.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import tifffile

# metres per unit, for the units instruments write
METRES = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9, "pm": 1e-12}

# How microscope software spells lengths (lower case) -> the symbol of METRES.
_SPELLINGS = {
    "nm": "nm",
    "nanometer": "nm",
    "nanometre": "nm",
    "µm": "µm",  # micro sign
    "μm": "µm",  # Greek mu
    "um": "µm",
    "\\u00b5m": "µm",  # ImageJ writes the micro sign escaped in its description
    "micron": "µm",
    "microns": "µm",
    "micrometer": "µm",
    "micrometre": "µm",
    "mm": "mm",
    "millimeter": "mm",
    "millimetre": "mm",
    "cm": "cm",
    "m": "m",
    "pm": "pm",
    "å": "Å",
    "angstrom": "Å",
}
_TO_METRES = {**METRES, "cm": 1e-2, "Å": 1e-10}

# The units the grain tables are written in (measure.table.UNIT_SYMBOLS); a size in
# any other length unit is converted to one of these.
_TABLE_UNITS = ("nm", "µm", "mm")

# Non-square below this relative difference is rounding (ImageJ stores 1/size as a
# fraction), the tolerance measure.table.Calibration.from_scale allows too.
_SQUARE = 1e-3


@dataclass(frozen=True)
class MicroscopePixelSize:
    """A pixel size read from OME-XML or ImageJ tags.

    ``x`` is the pixel width in ``unit``; ``y`` the height in the same unit,
    only when it differs (else None); ``source`` ``'OME-XML'`` or ``'ImageJ'``.
    """

    x: float
    unit: str
    source: str
    y: float | None = None


def nice(metres: float) -> tuple[float, str]:
    """A pixel size in metres as (value, unit): nm, µm or mm, the first giving under 1000.

    Parameters
    ----------
    metres : float
        The size in metres, positive.

    Returns
    -------
    float
        The size in ``unit``: under 1000 unless it is 1 m or more (then in mm).
    str
        ``'nm'``, ``'µm'`` or ``'mm'``.
    """
    for unit in ("nm", "µm", "mm"):
        value = metres / METRES[unit]
        if value < 1000:
            return float(value), unit
    return float(metres / METRES["mm"]), "mm"


def _length(value: object, unit: object) -> float | None:
    """``value`` in ``unit`` as metres, or None when it is no usable length."""
    symbol = _SPELLINGS.get(str(unit).strip().lower()) if unit is not None else None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if symbol is None or not math.isfinite(number) or number <= 0:
        return None
    return number * _TO_METRES[symbol]


def _pixel_size(
    x_metres: float | None, y_metres: float | None, source: str, unit: str
) -> MicroscopePixelSize | None:
    """The size to measure with: X in ``unit`` (or a table unit), Y only where it differs."""
    if x_metres is None:
        return None
    symbol = _SPELLINGS[unit.strip().lower()]
    if symbol in _TABLE_UNITS:
        x, scale = x_metres / _TO_METRES[symbol], _TO_METRES[symbol]
    else:
        x, symbol = nice(x_metres)
        scale = METRES[symbol]
    y = None
    if y_metres is not None and not math.isclose(x_metres, y_metres, rel_tol=_SQUARE):
        y = y_metres / scale
    return MicroscopePixelSize(x, symbol, source, y)


def _from_ome(xml: str) -> MicroscopePixelSize | None:
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:  # damaged XML: no calibration, the pixels still read
        return None
    # The first image's Pixels, whatever the schema's namespace (it changes by year).
    pixels = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None:
        return None
    x_unit = pixels.get("PhysicalSizeXUnit", "µm")
    y_unit = pixels.get("PhysicalSizeYUnit", "µm")
    x = _length(pixels.get("PhysicalSizeX"), x_unit)
    y = _length(pixels.get("PhysicalSizeY"), y_unit)
    return _pixel_size(x, y, "OME-XML", x_unit)


def _resolution(page: tifffile.TiffPage, tag: str) -> float | None:
    """A resolution tag's pixels per unit, or None."""
    found = page.tags.get(tag)
    if found is None:
        return None
    value = found.value
    try:
        numerator, denominator = value if isinstance(value, tuple) else (value, 1)
        return float(numerator) / float(denominator)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _from_imagej(tif: tifffile.TiffFile) -> MicroscopePixelSize | None:
    unit = (tif.imagej_metadata or {}).get("unit")
    page = tif.pages[0]
    per_x, per_y = _resolution(page, "XResolution"), _resolution(page, "YResolution")
    if unit is None or not per_x:  # not calibrated in ImageJ (its unit is then 'pixel')
        return None
    x = _length(1.0 / per_x, unit)
    y = _length(1.0 / per_y, unit) if per_y else None
    return _pixel_size(x, y, "ImageJ", str(unit))


def microscope_pixel_size(tif: tifffile.TiffFile) -> MicroscopePixelSize | None:
    """The pixel size an open TIFF's OME-XML gives, else its ImageJ tags, else None.

    Pixels that are not square (Y differing by over 0.1 %) give their width,
    and their height in :attr:`MicroscopePixelSize.y`, for the caller to say
    that grain lengths are measured along X.

    Parameters
    ----------
    tif : tifffile.TiffFile
        The open file.

    Returns
    -------
    MicroscopePixelSize or None
        The size in nm, µm or mm (the unit written when it is one of those,
        else converted), or None when neither gives a usable size.
    """
    if tif.is_ome and tif.ome_metadata:
        found = _from_ome(tif.ome_metadata)
        if found is not None:
            return found
    if tif.is_imagej:
        return _from_imagej(tif)
    return None
