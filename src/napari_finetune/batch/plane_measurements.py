"""A stack measured plane by plane: one row of numbers per plane, each a field of the specimen.

Serial sections or FIB-SEM slices are each a section through the specimen,
a field as ASTM E112 counts them. :class:`PlaneTables` measures one plane at
a time (:meth:`PlaneTables.add`: the stack may be a memory-mapped file or a
lazy layer larger than memory) and keeps what the grain CSVs need: the
report of each plane (its grains ``'<name> plane <z>'``) and its row of
numbers (``measurements.csv``'s columns, with its ``plane``). A folder run's
``--measure`` (:mod:`~napari_finetune.batch.measurements`) and the *Measure
grains* dock's *Every plane* export both fill one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from napari_finetune.measure import GrainOptions, measure_map
from napari_finetune.measure.export import write_grain_csv
from napari_finetune.measure.measuring import NO_BOUNDARY_CLASS, not_measured
from napari_finetune.measure.report import GrainReport
from napari_finetune.measure.specimen import SpecimenSize, specimen_sizes
from napari_finetune.measure.specimen_phases import SpecimenFraction, specimen_fractions
from napari_finetune.measure.table import Calibration


@dataclass
class PlaneTables:
    """The grain reports and rows of a stack's planes measured so far.

    Parameters
    ----------
    name : str
        The stack's name: plane ``z``'s grains are ``'<name> plane <z>'``.
    planes : int
        How many planes the stack has (for the note).
    columns : dict
        More columns of every plane's row (e.g. where the calibration came from).
    """

    name: str
    planes: int
    columns: dict[str, object] = field(default_factory=dict)
    reports: dict[str, GrainReport | None] = field(default_factory=dict)
    rows: dict[str, dict[str, object]] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)  # planes without grain numbers, why

    def add(
        self,
        z: int,
        plane: np.ndarray,
        kind: str,
        options: GrainOptions | None = None,
        calibration: Calibration | None = None,
        border: str = "half",
        class_names: dict[int, str] | None = None,
    ) -> None:
        """Measure plane ``z``'s 2D map (:func:`~napari_finetune.measure.measure_map`).

        A plane that cannot be measured gets its row with the reason; the
        others keep their numbers.
        """
        from napari_finetune.batch.measurements import grain_numbers  # its columns

        key, row = f"{self.name} plane {z}", {"plane": z, **self.columns}
        try:
            measured = measure_map(
                np.asarray(plane), kind, options, calibration, border, dict(class_names or {})
            )
        except (ValueError, MemoryError) as err:
            self.said.append(not_measured(err))
            self.reports[key], self.rows[key] = None, {**row, "warnings": self.said[-1]}
            return
        self.reports[key], self.rows[key] = measured.report, {**row, **grain_numbers(measured)}
        report = measured.report
        if report is not None and len(report.table) < 2 and report.warnings:
            self.said.append(report.warnings[0])  # no grains: the whole plane is one

    def note(self) -> str:
        """What the run's summary says of the stack: ``''`` when every plane has grains."""
        if self.said:
            return f"{len(self.said)} of {self.planes} planes: {self.said[0]}"
        return NO_BOUNDARY_CLASS if all(r is None for r in self.reports.values()) else ""

    def write(self, path: str | Path) -> tuple[Path, Path]:
        """Write the grain CSV, its summary (a row per plane) and the segments; their paths."""
        return write_grain_csv(self.reports, path, extra=self.rows)

    def pooled_diameters(self) -> tuple[np.ndarray, str] | None:
        """The counted grains' equivalent-circle diameters of every plane together, and their unit.

        The stack's size distribution: each plane a field, all its counted grains
        drawn from one specimen. Planes without grains (none measured, or the
        whole plane one grain) add none; None when no plane has grains.
        """
        found = [r for r in self.reports.values() if r is not None and len(r.table) >= 2]
        if not found:
            return None
        ecd = np.concatenate([r.counted["ecd"].to_numpy() for r in found])
        return ecd, found[0].calibration.unit

    def specimen_fractions(self) -> list[SpecimenFraction]:
        """Each phase's area fraction over the planes as fields (planes without it left out)."""
        return specimen_fractions(pd.DataFrame(list(self.rows.values())))

    def specimen_sizes(self) -> list[SpecimenSize]:
        """G by each method over the planes as E112 fields (planes without a G left out)."""
        return specimen_sizes(pd.DataFrame(list(self.rows.values())))
