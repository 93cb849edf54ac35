"""Grain measurements of a folder run: the grain CSVs of each image, and one table of all.

With ``measure``, every predicted image is measured from its probabilities by
:func:`napari_finetune.measure.measure_map` (grains, ASTM E112 G by two
methods, phase fractions for three or more classes) and gets the CSVs the
*Measure grains* dock exports (:func:`napari_finetune.measure.export.write_grain_csv`):
``<name>_grains.csv`` (one row per grain), ``<name>_grains_summary.csv``
(one row, a row per plane of a stack: the numbers, the calibration used,
the warnings) and
``<name>_grains_segments.csv`` (the E112 pattern's intercepts). They are
outputs of the image like its prediction, so a resumed run skips an image
whose CSVs exist; the run's ``measurements.csv`` is rebuilt at its end from
the summaries present, so it covers skipped images as well.

Lengths are in the unit of the image's instrument tags (FEI/Thermo, Zeiss,
OME-XML, ImageJ; :mod:`napari_finetune.data.calibration`), of a pixel size given for the run,
or else in pixels with no G; the ``calibration`` column says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from napari_finetune.batch.plane_measurements import PlaneTables
from napari_finetune.batch.planning import FolderPlan, measurement_paths
from napari_finetune.data.calibration import read_instrument_calibration
from napari_finetune.data.io import TIFF_SUFFIXES
from napari_finetune.measure import Calibration, GrainMeasurement, measure_map
from napari_finetune.measure.export import write_grain_csv
from napari_finetune.measure.measuring import NO_BOUNDARY_CLASS, not_measured
from napari_finetune.measure.stack_maps import map_planes, stack_depth

UNCALIBRATED = "none: lengths in px"
GIVEN = "given for the run"


@dataclass(frozen=True)
class ImageCalibration:
    """The calibration a folder run measures one image with, and where it came from.

    ``source`` is the image file's own tags as
    :attr:`~napari_finetune.data.calibration.InstrumentCalibration.source` says
    them (``'FEI/Thermo tags'``, ``'Zeiss tags'``, ``'OME-XML tags'``,
    ``'ImageJ tags'``), ``'given for the run'``, or ``'none: lengths in px'``;
    ``data_bar_rows`` is the height of the instrument's data bar under the
    image, which is left out of the measurement.
    """

    calibration: Calibration
    source: str
    data_bar_rows: int = 0


def image_calibration(image: Path, given: tuple[float, str] | None = None) -> ImageCalibration:
    """The pixel size for measuring ``image``: given for the run, else its TIFF tags, else px.

    Parameters
    ----------
    image : Path
        The input image (TIFF tags are read; other files have none).
    given : tuple of (float, str), optional
        ``(pixel size, unit)`` for every image of the run; it wins over the tags.

    Returns
    -------
    ImageCalibration
        The calibration, its source in words, and the data-bar height (from the
        tags even when a pixel size is given: the bar is not specimen).
    """
    tags = None
    if image.suffix.lower() in TIFF_SUFFIXES:
        try:
            tags = read_instrument_calibration(image)
        except ValueError:  # it was read as an image, so only its tags are odd: px
            tags = None
    bar = tags.data_bar_rows if tags is not None else 0
    if given is not None:
        return ImageCalibration(Calibration(*given), GIVEN, bar)
    if tags is not None:
        calibration = Calibration(tags.pixel_size, tags.unit)
        return ImageCalibration(calibration, tags.source, bar)
    return ImageCalibration(Calibration(), UNCALIBRATED)


def measure_prediction(
    probabilities: np.ndarray,
    image: Path,
    plan: FolderPlan,
    class_names: Mapping[int, str] | None = None,
    kind: str = "probabilities",
) -> str:
    """Measure the grains of one predicted image and write its grain CSVs.

    Parameters
    ----------
    probabilities : numpy.ndarray
        float32 ``(K, rows, cols)`` as :func:`napari_finetune.predict` gives,
        or the labels ``(rows, cols)`` with ``kind='classes'``; a stack's
        ``(K, planes, rows, cols)`` or ``(planes, rows, cols)`` is measured
        plane by plane, each plane a row of the summary (it may be a
        memory-mapped file: one plane is read at a time).
    image : Path
        The input image: its name, and its tags for the calibration.
    plan : FolderPlan
        The run: the output folder and any pixel size given for every image.
    class_names : dict, optional
        Class value -> name (the model's), for the phase-fraction columns.
    kind : {'probabilities', 'classes'}
        What ``probabilities`` holds.

    Returns
    -------
    str
        A note for the run's summary when the image has no grain numbers (no
        grain boundaries found, or a map that cannot be measured); ``''`` otherwise.

    Raises
    ------
    OSError
        When a CSV cannot be written: the run stops, as for any output.
    """
    table = measurement_paths(image, plan.output_dir)[0]  # its companions: write_grain_csv
    found = image_calibration(image, plan.calibration)
    calibration = found.calibration
    row: dict[str, object] = {
        # 12 digits: 2e-07 m read from the tags is 200 nm, not 199.99999999999997.
        "pixel size": float(f"{calibration.pixel_size:.12g}"),
        "calibration": found.source,
        "data bar rows": found.data_bar_rows,
    }
    if stack_depth(probabilities, kind) is not None:
        return _measure_planes(probabilities, kind, image.name, found, class_names, row, table)
    try:
        measured = measure_map(
            _without_data_bar(probabilities, found.data_bar_rows),
            kind,
            calibration=calibration,
            class_names=dict(class_names or {}),
        )
    except (ValueError, MemoryError) as err:
        # A map that cannot be measured is a property of the image, not of
        # this run: the image is done, its prediction kept, and its summary row
        # says why it has no numbers, so measurements.csv keeps its row and a
        # resumed run does not predict it again for the same answer.
        note = not_measured(err)
        write_grain_csv({image.name: None}, table, extra={image.name: {**row, "warnings": note}})
        return note
    row.update(grain_numbers(measured))
    if measured.report is None:
        # A model of phases only: no grains, the phase fractions in its summary row.
        write_grain_csv({image.name: None}, table, extra={image.name: row})
        return NO_BOUNDARY_CLASS
    write_grain_csv({image.name: measured.report}, table, extra={image.name: row})
    # Too few grains for E112 is a warning in the table; no grains at all (one
    # grain: the whole image) is worth a word in the run's summary as well.
    report = measured.report
    return report.warnings[0] if len(report.table) < 2 and report.warnings else ""


def _measure_planes(
    stack: np.ndarray,
    kind: str,
    name: str,
    found: ImageCalibration,
    class_names: Mapping[int, str] | None,
    row: dict[str, object],
    table: Path,
) -> str:
    """A stack's planes measured one at a time: one summary row each, a field of the specimen.

    Serial sections or FIB-SEM slices are each a section through the specimen,
    as E112 takes its fields: each plane gets its row of the summary (and of
    ``measurements.csv``, with its ``plane``), its grains ``'<name> plane <z>'``
    in the grain table. Only one plane's map is read at a time (the stack may
    be a memory-mapped file larger than memory).
    """
    tables = PlaneTables(name, stack_depth(stack, kind), row)
    # Sliced, not read: the data bar's rows are left out of every plane.
    for z, plane in map_planes(_without_data_bar(stack, found.data_bar_rows), kind):
        tables.add(z, plane, kind, calibration=found.calibration, class_names=class_names)
    tables.write(table)
    return tables.note()


def grain_numbers(measured: GrainMeasurement) -> dict[str, object]:
    """The numbers of one image for ``measurements.csv`` (its columns: ``TABLE_COLUMNS``).

    Parameters
    ----------
    measured : GrainMeasurement
        What :func:`~napari_finetune.measure.measure_map` found (given the
        model's class names: its phases are the columns).

    Returns
    -------
    dict
        Column -> value; G and its interval are None without a calibration.
    """
    report = measured.report
    if report is None:  # phases only (no class is a boundary): grain columns stay empty
        return {**measured.phase_columns(), "warnings": f"{NO_BOUNDARY_CLASS}."}
    counted = report.counted
    numbers: dict[str, object] = {
        "grains": len(report.table),
        "grains cut by frame": int(report.table["border"].sum()),
    }
    for name, size in (("G planimetric", report.planimetric), ("G intercept", report.intercept)):
        numbers[name] = size.g
        numbers[f"{name} 95% low"] = size.g_low
        numbers[f"{name} 95% high"] = size.g_high
    numbers["mean grain area"] = float(counted["area"].mean()) if len(counted) else None
    numbers["area unit"] = report.calibration.area_unit
    numbers["mean ECD"] = float(counted["ecd"].mean()) if len(counted) else None
    numbers["length unit"] = report.calibration.unit
    # One column per phase of the model (0 where absent; a boundary class is no
    # phase: its pixels went to the nearest one), named as the model names it.
    numbers.update(measured.phase_columns())
    numbers["warnings"] = " ".join(report.warnings)  # each one a sentence
    return numbers


def _without_data_bar(probabilities: np.ndarray, rows: int) -> np.ndarray:
    # The instrument's data bar (text, scale bar) is under the specimen: its
    # "grains" would be counted and its area would lower the grain density.
    if 0 < rows < probabilities.shape[-2]:
        return probabilities[..., : probabilities.shape[-2] - rows, :]
    return probabilities
