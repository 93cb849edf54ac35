"""*Every plane (CSV)…* of the Measure grains dock: each plane of a stack measured, one CSV.

*Measure grains* measures the plane in view. A FIB-SEM run or serial sections
are measured plane by plane here (:class:`~napari_finetune.batch.plane_measurements.PlaneTables`,
as a folder run's ``--measure`` measures a stack): the grain CSV with each
plane's grains, its summary with a row per plane, and G over the planes as
ASTM E112 fields in the status line, and the size histogram of every plane's grains
together in the plot. The planes are read and measured in a
worker, one at a time; the button stops it while it runs (nothing is written
then).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import PushButton
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info

from napari_finetune._widgets._grain_layers import (
    label_colours,
    planes_to_measure,
    stack_depth_of,
)
from napari_finetune._widgets._layers import without_copy_number
from napari_finetune.batch.plane_measurements import PlaneTables
from napari_finetune.measure.phase_export import specimen_frame
from napari_finetune.measure.size_distribution import lognormal_fit
from napari_finetune.session.class_metadata import class_names_of

if TYPE_CHECKING:
    from napari_finetune._widgets.measure_grains import MeasureGrainsWidget

TEXT = "Every plane (CSV)…"
STOP_TEXT = "Stop measuring planes"
TIP = (
    "measure each plane of the stack (a FIB-SEM run, serial sections) and write one grain "
    "CSV: a summary row per plane, and G over the planes as ASTM E112 fields"
)


def measure_every_plane(
    reads: list[Callable[[], np.ndarray]], kind: str, name: str, path: str, *measure: object
) -> Generator[int, None, tuple]:
    """In the worker: read and measure each plane, yielding how many are done; write the CSVs.

    ``measure`` are :meth:`PlaneTables.add`'s options after ``kind``
    (options, calibration, border, class names). Returns the tables, the
    files written, G over the planes and the pooled diameters with their unit
    and log-normal fit (None without grains): everything the dock then shows,
    computed here rather than in the viewer's thread. Of a stack of phases: each phase's
    area fraction over the planes as fields, beside G.
    """
    tables = PlaneTables(name, len(reads))
    for z, read in enumerate(reads):
        tables.add(z, read(), kind, *measure)
        yield z + 1
    pooled = tables.pooled_diameters()  # the stack's size distribution, not one plane's
    if pooled is not None:
        pooled = (*pooled, lognormal_fit(pooled[0]))
    fractions = tables.specimen_fractions()  # each phase over the planes as fields
    return tables, tables.write(path), tables.specimen_sizes(), fractions, pooled


class EveryPlane:
    """The dock's *Every plane (CSV)…* button and its worker.

    Parameters
    ----------
    dock : MeasureGrainsWidget
        The *Measure grains* dock: its chosen layer, settings, status line and
        save dialog.
    """

    def __init__(self, dock: MeasureGrainsWidget) -> None:
        self.dock = dock
        self.button = PushButton(text=TEXT, enabled=False, tooltip=TIP)
        self.button.changed.connect(self.click)
        self._worker = None
        self._planes, self._layer, self._names = 0, None, None

    def follow(self, layer: object) -> None:
        """Enable the button for a stack layer (it stays a Stop button while running)."""
        if self._worker is None:
            self.button.enabled = stack_depth_of(layer, self.dock.kind.value) is not None

    def click(self) -> None:
        """Start measuring every plane, or stop the run under way."""
        if self._worker is not None:
            self._worker.quit()
            return
        dock, layer = self.dock, self.dock.source.value
        try:
            if layer is None:
                raise ValueError("Choose a stack of predictions, probabilities or labels.")
            reads, kind = planes_to_measure(layer, dock.kind.value)
            options, calibration = dock.settings()
        except ValueError as err:
            dock._report_error(err, layer)
            return
        # Named as Measure grains names its results: 'grains prediction' is of 'grains'.
        name = without_copy_number(layer.name).removesuffix(" prediction")
        name = name.removesuffix(" probabilities")
        path = dock._ask_path(f"{name} grains.csv", "CSV (*.csv)")
        if not path:
            return
        # The layer's colours and class names when it is done (the names measured with).
        self._planes, self._layer, self._names = len(reads), layer, class_names_of(layer.metadata)
        worker = create_worker(
            measure_every_plane,
            reads,
            kind,
            name,
            path,
            options,
            calibration,
            dock.border.value,
            self._names,  # which classes are phases, and their names
            _start_thread=False,
            _ignore_errors=True,
        )
        worker.yielded.connect(self._on_plane)
        worker.returned.connect(self._on_done)
        worker.aborted.connect(self._on_stopped)
        worker.errored.connect(lambda err: dock._report_error(err, layer))
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self.button.text = STOP_TEXT
        dock.status.value = f"Measuring every plane of '{layer.name}'…"
        worker.start()

    def _on_plane(self, done: int) -> None:
        self.dock.status.value = f"Measured plane {done} of {self._planes}…"

    def _on_done(self, result: tuple) -> None:
        tables, (table, summary), sizes, fractions, pooled = result
        lines = [f"Wrote {table.name} and {summary.name} (a row per plane of {tables.planes})."]
        if tables.note():
            lines.append(tables.note())
        lines += [f"ASTM E112 {size.describe('plane')}." for size in sizes]
        lines += [f"Area fraction: {phase.describe('plane')}." for phase in fractions]
        self.dock.status.value = "\n".join(lines)
        if pooled is not None:
            self.dock.plot.show_pooled(*pooled, tables.planes)
        elif fractions:  # a stack of phases: their fractions over the planes
            phases = specimen_frame(fractions, self._names)
            colours = label_colours(self._layer, phases["class"], self.dock._viewer)
            fields = max(phase.statistic.n for phase in fractions)
            self.dock.plot.show_phases(phases, colours, f"mean of {fields} planes")
        else:
            self.dock.plot.show(None)  # no plane has grains: no earlier plane's histogram either
        show_info(lines[0])

    def _on_stopped(self) -> None:
        self.dock.status.value = "Stopped measuring planes: nothing was written."

    def _on_finished(self) -> None:
        self._worker, self._layer = None, None  # a lazy stack is not kept alive by us
        self.button.text = TEXT
        self.follow(self.dock.source.value)
