"""*Export CSV…* and *Save report (PNG)…* of the Measure grains dock.

A map with grains writes the grain CSV (with its summary and intercept
segments) and the grain report; a map of phases only (no class is a boundary)
writes its phases' area fractions (:mod:`~napari_finetune.measure.phase_export`):
one row per phase, and a page with the map and the fractions' bars. Files are
written whole or not at all; the image under the report is read in the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from napari.layers import Image
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info

from napari_finetune._widgets._layers import finest, plane_in_view, read_later, spatial_shape
from napari_finetune.measure.export import write_grain_csv
from napari_finetune.measure.figure import write_grain_report
from napari_finetune.measure.measuring import NO_BOUNDARY_CLASS
from napari_finetune.measure.phase_export import write_phase_csv, write_phase_report

if TYPE_CHECKING:
    from napari_finetune._widgets.measure_grains import MeasureGrainsWidget


def export_csv(dock: MeasureGrainsWidget) -> None:
    """Ask where, then write the measurement's CSV(s) and say what was written."""
    found, name = dock.measurement, dock._source_name
    if found is None:
        return
    grains = found.report is not None
    default = f"{name} grains.csv" if grains else f"{name} phase fractions.csv"
    path = dock._ask_path(default, "CSV (*.csv)")
    if not path:
        return
    try:
        if grains:
            table, summary = write_grain_csv(
                {name: found.report}, path, extra={name: found.phase_columns()}
            )
            said = f"Wrote {table.name}, {summary.name} and the intercept segments."
        else:
            written = write_phase_csv(
                {name: found.phases}, path, {name: found.particles}, found.unit
            )
            said = f"Wrote {written.name} (a row per phase)."
    except (OSError, ValueError) as err:
        dock._report_error(err)
        return
    dock.status.value = said
    show_info(said)


def save_report(dock: MeasureGrainsWidget) -> None:
    """Ask where, then draw the report page in a worker (the image is read there)."""
    found, name = dock.measurement, dock._source_name
    if found is None:
        return
    grains = found.report is not None
    path = dock._ask_path(f"{name} {'grains' if grains else 'phases'}.png", "PNG (*.png)")
    if not path:
        return
    read = None
    for layer in dock._viewer.layers:
        if isinstance(layer, Image) and layer.name == name:
            # Read in the worker: the image may be lazy (its plane is as large as the map).
            read = read_later(finest(layer), _plane_measured(layer, dock))
    if grains:
        write, drawn = write_grain_report, (found.grains, found.report)
    else:
        lines = _report_lines(found, dock.measured_plane)
        write, drawn = write_phase_report, (found.classes, found.phases, lines, dock.phase_colours)
    worker = create_worker(
        _read_and_write, write, path, read, *drawn, _start_thread=False, _ignore_errors=True
    )
    worker.returned.connect(lambda done: setattr(dock.status, "value", f"Wrote {done.name}."))
    worker.errored.connect(dock._report_error)
    dock._report_worker = worker
    worker.start()


def _read_and_write(write: Callable[..., Path], path: str, read, *drawn: object) -> Path:
    """In the worker: read the image plane under the map (may be lazy), then draw the page."""
    return write(path, read() if read is not None else None, *drawn)


def _plane_measured(layer: Image, dock: MeasureGrainsWidget) -> tuple[int, ...]:
    """The image's plane under the map measured: that plane of a stack, not the one in view.

    The user may have moved the slider since *Measure grains*.
    """
    index = plane_in_view(layer, dock._viewer)
    if dock.measured_plane is not None and len(index) == 1:
        return (min(dock.measured_plane, spatial_shape(layer)[0] - 1),)
    return index


def _report_lines(found: object, plane: int | None) -> list[str]:
    """The phase report's title: its fractions, and which plane of a stack."""
    lines = [line for line in found.lines() if not line.startswith(NO_BOUNDARY_CLASS)]
    return lines if plane is None else [f"Plane {plane} of the stack.", *lines]
