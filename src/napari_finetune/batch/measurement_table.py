"""``measurements.csv`` of a folder run: a row per image (or plane), rebuilt from its summaries.

A stack has one row per plane (each plane a section through the specimen, a
field as E112 counts them), with a ``plane`` column after ``file``.

:mod:`~napari_finetune.batch.measurements` measures each image and writes
its CSVs; this module gathers their summary rows into the run's table when
the run ends or stops (:func:`with_measurement_table`), so a resumed run's
table covers the images it skipped too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from napari_finetune.batch.events import FileDone, FileFailed, FolderFinished
from napari_finetune.batch.planning import FolderPlan, measurement_paths
from napari_finetune.data.safe_write import atomic_write
from napari_finetune.measure.measuring import is_particle_count, is_phase_column
from napari_finetune.measure.specimen import SpecimenSize, specimen_sizes
from napari_finetune.measure.specimen_phases import SpecimenFraction, specimen_fractions

if TYPE_CHECKING:
    from napari_finetune.batch.folder_run import FolderEvent

# The columns of measurements.csv, in order; the phase fractions (``fraction
# <class>`` and ``fraction <class> 95% CI``, models of two or more phases)
# go before ``pixel size``. Units are columns of their own, not parts of the
# names, so that images in µm and in px share one column each.
TABLE_COLUMNS = (
    "file",
    "grains",
    "grains cut by frame",
    "G planimetric",
    "G planimetric 95% low",
    "G planimetric 95% high",
    "G intercept",
    "G intercept 95% low",
    "G intercept 95% high",
    "mean grain area",
    "area unit",
    "mean ECD",
    "length unit",
    "pixel size",
    "calibration",
    "data bar rows",
    "warnings",
)
COUNT_COLUMNS = ("grains", "grains cut by frame", "data bar rows")
PLANE_COLUMN = "plane"  # after "file", in a table with a stack's rows only


def write_measurement_table(
    plan: FolderPlan,
    failures: Mapping[Path, str] | None = None,
    done: Collection[Path] | None = None,
) -> Path:
    """Write ``measurements.csv``: a row per image measured (per plane of a stack), from its CSVs.

    Built from the files, not from memory, so images a resumed run skipped
    have their rows too. Written under a temporary name and renamed: a crash
    leaves the last complete table. ``grain_size.csv`` and
    ``phase_fractions.csv`` are written from the same rows
    (:func:`write_grain_size`, :func:`write_phase_fractions`).

    Parameters
    ----------
    plan : FolderPlan
        The run (with ``measure``): its images, in order, and the output folder.
    failures : dict, optional
        Image -> why this run could not predict it: a row saying so, whatever
        an earlier run left (an image not predicted yet, as after *Stop*, has
        no row until a run does it).
    done : collection of Path, optional
        The images this run predicted. Given, an image the plan did not skip
        has a row only if it is among them: after *Stop* in a run that
        overwrites, the older CSVs of images it did not reach are left out.
        None: every image whose summary CSV exists.

    Returns
    -------
    Path
        The table, :attr:`FolderPlan.measurements_csv`.
    """
    return _write_tables(plan, failures, done)[0]


def _write_tables(
    plan: FolderPlan, failures: Mapping[Path, str] | None, done: Collection[Path] | None = None
) -> tuple[Path, list[SpecimenSize], list[SpecimenFraction], str]:
    path = plan.measurements_csv
    if path is None:
        raise ValueError("this folder run does not measure grains: plan it with measure=True.")
    failures = failures or {}
    rows = []
    for file in plan.files:
        summary = measurement_paths(file.image, plan.output_dir)[1]
        this_run = file.skip or done is None or file.image in done
        if file.image in failures:
            found = [{"warnings": f"not measured: the prediction failed: {failures[file.image]}"}]
        elif this_run and summary.is_file():
            found = _read_summary(summary)  # a stack's: one row per plane
        else:
            continue
        rows.extend({**row, "file": file.image.name} for row in found)
    # Each phase's fraction and interval, then its particles (a model of phases only).
    fractions = list(dict.fromkeys(c for row in rows for c in row if is_phase_column(c)))
    at = TABLE_COLUMNS.index("pixel size")
    # A stack's rows say their plane; a folder of single images has no such column.
    planes = [PLANE_COLUMN] if any(PLANE_COLUMN in row for row in rows) else []
    columns = [TABLE_COLUMNS[0], *planes, *TABLE_COLUMNS[1:at], *fractions, *TABLE_COLUMNS[at:]]
    table = pd.DataFrame(rows, columns=columns)
    particles = [c for c in fractions if is_particle_count(c)]
    for counts in (*COUNT_COLUMNS, *planes, *particles):  # whole numbers, though some are empty
        table[counts] = table[counts].astype("Int64")
    with atomic_write(path) as temporary:
        table.to_csv(temporary, index=False)
    # A stack's planes are fields too: "over 70 fields", not 70 images.
    field = "field" if planes else "image"
    return path, write_grain_size(plan, table), write_phase_fractions(plan, table), field


def with_measurement_table(
    events: Iterator[FolderEvent], plan: FolderPlan
) -> Iterator[FolderEvent]:
    """A folder run's events, with ``measurements.csv`` written when the run ends or stops.

    The :class:`FolderFinished` event's summary names the table. Stop (closing
    this generator) or Ctrl-C stops the run and writes the table of the images
    done so far: the next run completes it. An error (a full disk) writes none.

    Parameters
    ----------
    events : iterator of events
        The run (:func:`~napari_finetune.batch.predict_plan` without measuring
        the table).
    plan : FolderPlan
        Its plan, planned with ``measure=True``.
    """
    failures: dict[Path, str] = {}
    done: set[Path] = set()
    written = False
    try:
        for event in events:
            if isinstance(event, FileFailed):
                failures[event.path] = event.message
            elif isinstance(event, FileDone):
                done.add(event.path)
            elif isinstance(event, FolderFinished):
                table, sizes, fractions, field = _write_tables(plan, failures, done)
                written = True
                event = FolderFinished(
                    replace(
                        event.summary,
                        measurements=table,
                        grain_size=tuple(size.describe(field) for size in sizes),
                        phase_fractions=tuple(phase.describe(field) for phase in fractions),
                    )
                )
            yield event
    except (GeneratorExit, KeyboardInterrupt):  # Stop in the dock, Ctrl-C on the command line
        events.close()
        if not written:
            write_measurement_table(plan, failures, done)
        raise


def write_phase_fractions(plan: FolderPlan, table: pd.DataFrame) -> list[SpecimenFraction]:
    """Write ``phase_fractions.csv``: each phase's area fraction over ``table``'s images.

    One row per phase (:mod:`~napari_finetune.measure.specimen_phases`); an old
    file is removed when fewer than two images have fractions.

    Returns
    -------
    list of SpecimenFraction
        What was written.
    """
    fractions = specimen_fractions(table)
    _write_rows(plan.phase_fractions_csv, [phase.row() for phase in fractions])
    return fractions


def write_grain_size(plan: FolderPlan, table: pd.DataFrame) -> list[SpecimenSize]:
    """Write ``grain_size.csv``: G over ``table``'s images (measurements.csv) as E112 fields.

    One row per method (:mod:`~napari_finetune.measure.specimen`); an old
    file is removed when no image has a G (no pixel size), so what is there
    is always this table's.

    Returns
    -------
    list of SpecimenSize
        What was written, one per method with a G.
    """
    sizes = specimen_sizes(table)
    _write_rows(plan.grain_size_csv, [size.row() for size in sizes])
    return sizes


def _write_rows(path: Path | None, rows: list[dict[str, object]]) -> None:
    """A specimen table, written whole by rename; removed when it has no rows (no old one)."""
    if path is None:
        raise ValueError("this folder run does not measure grains: plan it with measure=True.")
    if not rows:
        path.unlink(missing_ok=True)
        return
    with atomic_write(path) as temporary:
        pd.DataFrame(rows).to_csv(temporary, index=False)


def _read_summary(path: Path) -> list[dict[str, object]]:
    """The rows of one image's summary CSV: one, or one per plane of a stack."""
    try:
        frame = pd.read_csv(path)
    except ValueError as err:  # edited or damaged by hand: say so in its row
        return [{"warnings": f"{path.name} cannot be read: {err}"}]
    if frame.empty:
        return [{"warnings": f"{path.name} has no row"}]
    rows = frame.to_dict("records")
    return [{key: value for key, value in row.items() if not pd.isna(value)} for row in rows]
