"""Per-grain measurements in physical units: a pandas table, one row per grain."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from skimage.measure import regionprops_table

PROPERTIES = (
    "label",
    "area",
    "equivalent_diameter_area",
    "perimeter",
    "axis_major_length",
    "axis_minor_length",
    "orientation",
    "centroid",
)


# napari (pint) unit names and common spellings -> the symbol used in tables.
UNIT_SYMBOLS = {
    "pixel": "px",
    "px": "px",
    "": "px",
    "micrometer": "µm",
    "micron": "µm",
    "um": "µm",
    "µm": "µm",
    "nanometer": "nm",
    "nm": "nm",
    "millimeter": "mm",
    "mm": "mm",
}


@dataclass(frozen=True)
class Calibration:
    """Pixel size and its unit; ``unit='px'`` means uncalibrated."""

    pixel_size: float = 1.0
    unit: str = "px"

    def __post_init__(self) -> None:
        if not self.pixel_size > 0:
            raise ValueError(f"the pixel size must be positive, not {self.pixel_size}.")

    @classmethod
    def from_scale(cls, scale: tuple[float, float], unit: str) -> Calibration:
        """From a layer's (row, col) ``scale`` and unit name (``'micrometer'``, ``'µm'``...).

        Raises
        ------
        ValueError
            When pixels are not square (lengths would depend on direction).
        """
        dy, dx = (float(v) for v in scale[-2:])
        if not np.isclose(dy, dx, rtol=1e-3):
            raise ValueError(
                f"pixels are {dy:g} × {dx:g} {unit}, not square: grain sizes need square "
                "pixels; resample the image or set an equal scale."
            )
        symbol = UNIT_SYMBOLS.get(str(unit).strip().lower(), str(unit))
        if symbol == "px":
            return cls()
        return cls(dx, symbol)

    @property
    def calibrated(self) -> bool:
        """Whether lengths are in a physical unit."""
        return self.unit != "px"

    @property
    def area_unit(self) -> str:
        """``'µm²'`` for µm, ``'px²'`` uncalibrated."""
        return f"{self.unit}²"


@dataclass(frozen=True)
class ScaleReading:
    """What a layer's scale says of its pixel size, to prefill a form with.

    Attributes
    ----------
    pixel_size : float
        The scale's pixel size, even without a unit (to keep once a unit is chosen).
    unit : str
        Its unit symbol; ``'px'`` when the scale has none.
    note : str
        A sentence for the user (``''`` when there is nothing to say).
    """

    pixel_size: float
    unit: str
    note: str = ""


def read_scale(scale: tuple[float, ...], unit: str) -> ScaleReading:
    """The pixel size and unit a layer's ``scale`` and unit name say, and what to tell.

    napari's default unit is ``'pixel'``: a scale of 0.2252 set without a
    unit is a pixel size whose unit the user has not said. It is kept, and
    the note asks for the unit (lengths stay in px until one is chosen).

    Raises
    ------
    ValueError
        When pixels are not square (:meth:`Calibration.from_scale`).
    """
    found = Calibration.from_scale(scale, unit)
    if found.calibrated:
        return ScaleReading(found.pixel_size, found.unit)
    size = float(scale[-1])
    if np.isclose(size, 1.0):
        return ScaleReading(1.0, "px")
    return ScaleReading(
        size,
        "px",
        f"its scale is {size:g} per pixel but has no unit: choose the unit "
        "(µm, nm, mm) to measure in it; lengths are in px until then.",
    )


def neighbour_counts(grains: np.ndarray) -> dict[int, int]:
    """How many other grains each grain touches (4-connected pixel contacts)."""
    pairs = []
    for a, b in ((grains[:, :-1], grains[:, 1:]), (grains[:-1, :], grains[1:, :])):
        touching = (a != b) & (a > 0) & (b > 0)
        pairs.append(np.stack([a[touching], b[touching]], axis=1))
    contacts = np.concatenate(pairs) if pairs else np.zeros((0, 2), int)
    contacts = np.unique(np.sort(contacts, axis=1), axis=0)
    ids, counts = np.unique(contacts.ravel(), return_counts=True)
    return dict(zip(ids.tolist(), counts.tolist(), strict=True))


def border_ids(grains: np.ndarray) -> set[int]:
    """Ids of the grains that touch the image frame (cut by it)."""
    frame = np.concatenate([grains[0], grains[-1], grains[:, 0], grains[:, -1]])
    return set(np.unique(frame[frame > 0]).tolist())


def grain_table(grains: np.ndarray, calibration: Calibration | None = None) -> pd.DataFrame:
    """One row per grain: size, shape, orientation, frame contact, neighbours.

    Parameters
    ----------
    grains : numpy.ndarray
        2D int grain ids (0 = no grain).
    calibration : Calibration, optional
        Pixel size and unit (default: pixels).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``area`` (unit²), ``ecd`` (equivalent-circle
        diameter), ``perimeter``, ``major_axis``, ``minor_axis`` (unit),
        ``aspect_ratio`` (major / minor), ``orientation`` (degrees of the
        major axis from the image x axis, counter-clockwise, -90..90),
        ``centroid_y``, ``centroid_x`` (px), ``border`` (cut by the frame),
        ``neighbours``. The table's ``attrs`` hold the unit.
    """
    calibration = calibration or Calibration()
    grains = np.asarray(grains)
    if grains.ndim != 2:
        raise ValueError(f"grain ids must be 2D, not shape {grains.shape}.")
    props = regionprops_table(grains.astype(np.int32), properties=PROPERTIES)
    size = calibration.pixel_size
    major, minor = props["axis_major_length"], props["axis_minor_length"]
    border = border_ids(grains)
    neighbours = neighbour_counts(grains)
    table = pd.DataFrame(
        {
            "label": props["label"].astype(int),
            "area": props["area"] * size**2,
            "ecd": props["equivalent_diameter_area"] * size,
            "perimeter": props["perimeter"] * size,
            "major_axis": major * size,
            "minor_axis": minor * size,
            "aspect_ratio": np.divide(
                major, minor, out=np.full_like(major, np.inf), where=minor > 0
            ),
            # skimage: angle between axis 0 (rows) and the major axis; from x, CCW:
            "orientation": np.degrees(props["orientation"]) - 90.0 * np.sign(props["orientation"]),
            "centroid_y": props["centroid-0"],
            "centroid_x": props["centroid-1"],
        }
    )
    table["orientation"] = np.where(
        np.asarray(props["orientation"]) == 0, 90.0, table["orientation"]
    )
    table["border"] = table["label"].isin(border)
    table["neighbours"] = table["label"].map(neighbours).fillna(0).astype(int)
    table.attrs["unit"] = calibration.unit
    table.attrs["rows"], table.attrs["cols"] = grains.shape
    return table
