"""The *Measure grains* dock's layers: the map to measure, grains, the E112 pattern, SEM images."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Labels, Layer, Shapes

from napari_finetune._widgets._layers import (
    adopt_when_painted,
    finest,
    output_metadata,
    output_named,
    read_later,
    remove_layers,
    role_of,
    without_copy_number,
)
from napari_finetune.data.calibration import InstrumentCalibration, open_calibrated
from napari_finetune.measure import GrainMeasurement, e112_pattern, measure_map
from napari_finetune.session.lazy_rule import check_plane_fits

if TYPE_CHECKING:
    import napari


def remove_results(viewer: napari.viewer.Viewer, base: str) -> None:
    """Remove an earlier measurement's ``<base> grains`` and ``<base> E112 pattern``.

    In one batch: napari collects garbage after each removal (``remove_layers``).
    """
    old = [
        output_named(viewer, f"{base} grains", Labels),
        output_named(viewer, f"{base} E112 pattern", Shapes),
    ]
    remove_layers(viewer, [layer for layer in old if layer is not None])


def show_grains(
    viewer: napari.viewer.Viewer,
    base: str,
    measurement: GrainMeasurement,
    source: Layer,
    plane: int | None,
) -> Labels:
    """Add ``<base> grains`` (after :func:`remove_results`); hovering a grain shows its row.

    The grains of ``plane`` of a stack are one plane, placed on it along the
    stack axis (shown there only): a stack of zeros as large as the source
    is never made, and ``source`` may be a (class, plane, row, col) stack.
    """
    ids = measurement.grains
    spatial = source.scale[-2:], source.translate[-2:], source.units[-2:]
    if plane is not None:
        ids = ids[np.newaxis]
        step, offset = float(source.scale[-3]), float(source.translate[-3])
        spatial = (
            (step, *spatial[0]),
            (offset + plane * step, *spatial[1]),
            (source.units[-3], *spatial[2]),
        )
    table = measurement.report.table
    features = table.rename(columns={"label": "index"})
    background = {column: [np.nan] for column in features.columns}
    background["index"], background["border"] = [0], [False]
    features = _prepend(background, features)
    name = f"{base} grains"
    layer = viewer.add_labels(
        ids,
        name=name,
        opacity=0.45,
        features=features,
        metadata=output_metadata("grains"),
        scale=spatial[0],
        translate=spatial[1],
        units=spatial[2],
    )
    return adopt_when_painted(layer)


def _prepend(row: dict, table: object) -> object:
    import pandas as pd

    return pd.concat([pd.DataFrame(row), table], ignore_index=True)


def show_pattern(
    viewer: napari.viewer.Viewer, base: str, shape: tuple[int, int], source: Layer
) -> Shapes:
    """Add the E112 pattern the intercept method counted (after :func:`remove_results`)."""
    name = f"{base} E112 pattern"
    shapes, kinds = [], []
    for line in e112_pattern(shape):
        if line.closed:
            centre = line.points.mean(axis=0)
            radius = float(np.hypot(*(line.points[0] - centre)))
            shapes.append(np.array([centre, [radius, radius]]))  # centre and radii
            kinds.append("ellipse")
        else:
            shapes.append(line.points[[0, -1]])
            kinds.append("line")
    return viewer.add_shapes(
        shapes,
        shape_type=kinds,
        name=name,
        edge_color="#ffd54f",
        face_color="transparent",
        edge_width=max(1.0, min(shape) / 300),
        metadata=output_metadata("E112 pattern"),
        scale=source.scale[-2:],
        translate=source.translate[-2:],
        units=source.units[-2:],
    )


def calibrated(found: InstrumentCalibration | None) -> dict:
    """The ``scale`` and ``units`` of a 2D layer from its file's calibration (``{}``: none)."""
    if found is None:
        return {}
    return {"scale": (found.pixel_size,) * 2, "units": (found.unit,) * 2}


def add_calibrated_tiff(viewer: napari.viewer.Viewer, path: str) -> str:
    """Add a TIFF as an image layer, calibrated from its tags, without its data bar.

    Returns the status sentence; ValueError for an unreadable file.
    """
    image, found = open_calibrated(path)
    name = Path(path).stem
    viewer.add_image(image, name=name, **calibrated(found))
    if found is None:
        return f"'{name}' has no instrument calibration: set the pixel size."
    rows = found.data_bar_rows
    bar = f"; its {rows}-row data bar was cropped" if rows else ""
    return f"Opened '{name}': {found.pixel_size:g} {found.unit}/px ({found.source}){bar}."


def label_colours(
    layer: Layer, classes: Iterable[int], viewer: napari.viewer.Viewer | None = None
) -> dict[int, tuple] | None:
    """Each class's colour (RGBA, 0..1) as the viewer shows the classes of ``layer``.

    A labels layer's own colours; for a probability layer, those of the plugin's
    prediction beside it (``<image> prediction``); None when there is neither.
    A class the layer hides (*show selected*) gets no colour of its own.
    """
    if not isinstance(layer, Labels) and viewer is not None:
        base = without_copy_number(layer.name).removesuffix(" probabilities")
        layer = output_named(viewer, f"{base} prediction", Labels)
    if not isinstance(layer, Labels):
        return None
    return {int(c): tuple(float(v) for v in layer.get_color(int(c))) for c in classes}


def read_and_measure(read: Callable[[], np.ndarray], *args: object) -> GrainMeasurement:
    """In the worker: read the map (a lazy layer's plane is decompressed here), measure it."""
    return measure_map(read(), *args)


def map_to_measure(
    layer: Layer, kind: str, dims: object
) -> tuple[Callable[[], np.ndarray], str, int | None]:
    """How to read the 2D map of ``layer`` to measure (in the worker), its kind, the plane in view.

    ``kind`` is the dock's choice (``'auto'`` decides from the layer's role);
    ``dims`` the viewer's dimensions (the plane in view of a stack).

    The plugin's probability layer is P(class 2) for two classes (a
    boundary map, 2D or a stack) and a (class, ...) stack for more; its
    prediction layer holds classes 1..K. Nothing lazy is read here: a
    Dask, Zarr or multiscale layer's plane is read by the returned
    function, in the worker; a plane as large as the band-by-band rule
    (:func:`~napari_finetune.session.lazy_layers.check_plane_fits`) is
    refused with what to do instead.
    """
    data, kind, per_class = _measured_data(layer, kind)
    # A snapshot of a labels layer in memory: the user may paint while it is measured.
    if len(data.shape) - per_class == 2:
        return read_later(data, snapshot=True), kind, None
    plane = min(int(dims.current_step[-3]), data.shape[-3] - 1)
    index = (slice(None), plane) if per_class else (plane,)
    return read_later(data, index, snapshot=True), kind, plane


def planes_to_measure(layer: Layer, kind: str) -> tuple[list[Callable[[], np.ndarray]], str]:
    """How to read each plane of a stack ``layer`` to measure (in the worker), and its kind.

    As :func:`map_to_measure` reads the plane in view, for every plane: one
    function per plane, a lazy layer's plane read only when it is called.
    ValueError for a layer that is one 2D map (or no map at all).
    """
    data, kind, per_class = _measured_data(layer, kind)
    if len(data.shape) - per_class == 2:
        raise ValueError("it is one 2D map, not a stack: Measure grains measures it.")
    if isinstance(layer, Labels) and type(data) is np.ndarray:
        data = np.array(data)  # a snapshot: the user may paint while the planes are measured
    planes = data.shape[-3]
    return [read_later(data, (slice(None), z) if per_class else (z,)) for z in range(planes)], kind


def stack_depth_of(layer: Layer | None, kind: str) -> int | None:
    """The planes of a stack ``layer`` to measure; None for a 2D map or no map (reads nothing)."""
    try:
        data, _, per_class = _measured_data(layer, kind)
    except (ValueError, AttributeError, KeyError):  # no layer, no map, a plane too large
        return None
    return int(data.shape[-3]) if len(data.shape) - per_class == 3 else None


def _measured_data(layer: Layer, kind: str) -> tuple[object, str, bool]:
    """``layer``'s full-resolution data, the kind it holds, whether a class axis leads."""
    if getattr(layer, "rgb", False):
        raise ValueError("it is an RGB image, not a map to measure.")
    # The full resolution: NumPy would read a multiscale layer's coarsest level.
    data = finest(layer)
    role = role_of(layer)
    if kind == "auto" and role == "prediction":
        kind = "classes"
    per_class = role == "probabilities" and "each class" in str(
        layer.metadata["napari_finetune"].get("shows", "")
    )
    if kind == "auto" and role == "probabilities":
        kind = "probabilities" if per_class else "boundary"
    spatial = len(data.shape) - (1 if per_class else 0)
    if spatial not in (2, 3):
        raise ValueError(f"its shape {tuple(data.shape)} is neither a 2D map nor a stack of them.")
    check_plane_fits(tuple(data.shape), "measure")
    return data, kind, per_class
