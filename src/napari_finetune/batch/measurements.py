"""Grain measurements of a folder run: the grain CSVs of each image, and one table of all.

With ``measure``, every predicted image is measured from its probabilities by
:func:`napari_finetune.measure.measure_map` (grains, ASTM E112 G by two
methods, phase fractions for three or more classes) and gets the CSVs the
*Measure grains* dock exports (:func:`napari_finetune.measure.export.write_grain_csv`):
``<name>_grains.csv`` (one row per grain), ``<name>_grains_summary.csv``
(one row: the numbers, the calibration used, the warnings) and
``<name>_grains_segments.csv`` (the E112 pattern's intercepts). They are
outputs of the image like its prediction, so a resumed run skips an image
whose CSVs exist; the run's ``measurements.csv`` is rebuilt at its end from
the summaries present, so it covers skipped images as well.

Lengths are in the unit of the image's instrument tags (FEI/Thermo, Zeiss;
:mod:`napari_finetune.data.calibration`), of a pixel size given for the run,
or else in pixels with no G; the ``calibration`` column says which.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from napari_finetune.batch.events import FileFailed, FolderFinished
from napari_finetune.batch.planning import FolderPlan, measurement_paths
from napari_finetune.data.calibration import read_instrument_calibration
from napari_finetune.data.io import TIFF_SUFFIXES
from napari_finetune.data.safe_write import atomic_write
from napari_finetune.measure import Calibration, GrainMeasurement, measure_map
from napari_finetune.measure.export import write_grain_csv

if TYPE_CHECKING:
    from napari_finetune.batch.folder_run import FolderEvent

# The columns of measurements.csv, in order; the phase fractions (``fraction
# <class>`` and ``fraction <class> 95% CI``, models of three or more classes)
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
FRACTION_PREFIX = "fraction "
UNCALIBRATED = "none: lengths in px"
GIVEN = "given for the run"


@dataclass(frozen=True)
class ImageCalibration:
    """The calibration a folder run measures one image with, and where it came from.

    ``source`` is ``'FEI/Thermo tags'`` or ``'Zeiss tags'`` (the image file's
    own), ``'given for the run'``, or ``'none: lengths in px'``;
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
        return ImageCalibration(calibration, f"{tags.instrument} tags", bar)
    return ImageCalibration(Calibration(), UNCALIBRATED)


def measure_prediction(
    probabilities: np.ndarray,
    image: Path,
    plan: FolderPlan,
    class_names: Mapping[int, str] | None = None,
) -> str:
    """Measure the grains of one predicted image and write its grain CSVs.

    Parameters
    ----------
    probabilities : numpy.ndarray
        float32 ``(K, rows, cols)`` as :func:`napari_finetune.predict` gives.
    image : Path
        The input image: its name, and its tags for the calibration.
    plan : FolderPlan
        The run: the output folder and any pixel size given for every image.
    class_names : dict, optional
        Class value -> name (the model's), for the phase-fraction columns.

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
    table, summary, segments = measurement_paths(image, plan.output_dir)
    found = image_calibration(image, plan.calibration)
    calibration = found.calibration
    row: dict[str, object] = {
        # 12 digits: 2e-07 m read from the tags is 200 nm, not 199.99999999999997.
        "pixel size": float(f"{calibration.pixel_size:.12g}"),
        "calibration": found.source,
        "data bar rows": found.data_bar_rows,
    }
    try:
        measured = measure_map(
            _without_data_bar(probabilities, found.data_bar_rows),
            "probabilities",
            calibration=calibration,
            class_names=dict(class_names or {}),
        )
    except (ValueError, MemoryError) as err:
        # A map that cannot be measured (a stack, ...) is a property of the
        # image, not of this run: the image is done, its prediction kept, and
        # its summary row says why it has no numbers, so measurements.csv keeps
        # one row per image and a resumed run does not predict it again for
        # the same answer.
        note = f"not measured: {err or type(err).__name__}"
        _write_unmeasured(image.name, (table, summary, segments), {**row, "warnings": note})
        return note
    row.update(grain_numbers(measured, probabilities.shape[0], class_names))
    write_grain_csv({image.name: measured.report}, table, extra={image.name: row})
    # Too few grains for E112 is a warning in the table; no grains at all (one
    # grain: the whole image) is worth a word in the run's summary as well.
    report = measured.report
    return report.warnings[0] if len(report.table) < 2 and report.warnings else ""


def grain_numbers(
    measured: GrainMeasurement, n_classes: int, class_names: Mapping[int, str] | None = None
) -> dict[str, object]:
    """The numbers of one image for ``measurements.csv`` (see :data:`TABLE_COLUMNS`).

    Parameters
    ----------
    measured : GrainMeasurement
        What :func:`~napari_finetune.measure.measure_map` found.
    n_classes : int
        The model's classes: with three or more, a fraction column per class
        (0 for a class absent from the image).
    class_names : dict, optional
        Class value -> name.

    Returns
    -------
    dict
        Column -> value; G and its interval are None without a calibration.
    """
    report = measured.report
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
    if measured.phases is not None and n_classes >= 3:
        names = {**{c: f"class {c}" for c in range(1, n_classes + 1)}, **(class_names or {})}
        phases = measured.phases.set_index("class")
        for value in range(1, n_classes + 1):
            present = value in phases.index
            column = f"{FRACTION_PREFIX}{names[value]}"
            numbers[column] = float(phases.loc[value, "fraction"]) if present else 0.0
            numbers[f"{column} 95% CI"] = phases.loc[value, "ci95"] if present else None
    numbers["warnings"] = " ".join(report.warnings)  # each one a sentence
    return numbers


def write_measurement_table(plan: FolderPlan, failures: Mapping[Path, str] | None = None) -> Path:
    """Write ``measurements.csv``: one row per image measured, from its summary CSV.

    Built from the files, not from memory, so images a resumed run skipped
    have their rows too. Written under a temporary name and renamed: a crash
    leaves the last complete table.

    Parameters
    ----------
    plan : FolderPlan
        The run (with ``measure``): its images, in order, and the output folder.
    failures : dict, optional
        Image -> why this run could not predict it: a row saying so (an image
        not predicted yet, as after *Stop*, has no row until a run does it).

    Returns
    -------
    Path
        The table, :attr:`FolderPlan.measurements_csv`.
    """
    path = plan.measurements_csv
    if path is None:
        raise ValueError("this folder run does not measure grains: plan it with measure=True.")
    failures = failures or {}
    rows = []
    for file in plan.files:
        summary = measurement_paths(file.image, plan.output_dir)[1]
        if summary.is_file():
            row = _read_summary(summary)
        elif file.image in failures:
            row = {"warnings": f"not measured: the prediction failed: {failures[file.image]}"}
        else:
            continue
        rows.append({**row, "file": file.image.name})
    fractions = list(
        dict.fromkeys(c for row in rows for c in row if c.startswith(FRACTION_PREFIX))
    )
    at = TABLE_COLUMNS.index("pixel size")
    columns = [*TABLE_COLUMNS[:at], *fractions, *TABLE_COLUMNS[at:]]
    table = pd.DataFrame(rows, columns=columns)
    for counts in COUNT_COLUMNS:  # whole numbers, though a row without numbers is empty
        table[counts] = table[counts].astype("Int64")
    with atomic_write(path) as temporary:
        table.to_csv(temporary, index=False)
    return path


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
    written = False
    try:
        for event in events:
            if isinstance(event, FileFailed):
                failures[event.path] = event.message
            elif isinstance(event, FolderFinished):
                table = write_measurement_table(plan, failures)
                written = True
                event = FolderFinished(replace(event.summary, measurements=table))
            yield event
    except (GeneratorExit, KeyboardInterrupt):  # Stop in the dock, Ctrl-C on the command line
        events.close()
        if not written:
            write_measurement_table(plan, failures)
        raise


def _without_data_bar(probabilities: np.ndarray, rows: int) -> np.ndarray:
    # The instrument's data bar (text, scale bar) is under the specimen: its
    # "grains" would be counted and its area would lower the grain density.
    if 0 < rows < probabilities.shape[-2]:
        return probabilities[..., : probabilities.shape[-2] - rows, :]
    return probabilities


def _read_summary(path: Path) -> dict[str, object]:
    try:
        frame = pd.read_csv(path)
    except ValueError as err:  # edited or damaged by hand: say so in its row
        return {"warnings": f"{path.name} cannot be read: {err}"}
    if frame.empty:
        return {"warnings": f"{path.name} has no row"}
    row = frame.iloc[0].to_dict()
    return {key: value for key, value in row.items() if not pd.isna(value)}


def _write_unmeasured(name: str, paths: tuple[Path, Path, Path], row: dict[str, object]) -> None:
    table, summary, segments = paths
    frames = {
        table: pd.DataFrame({"image": []}),
        segments: pd.DataFrame({"image": []}),
        summary: pd.DataFrame([{"image": name, **row}]),
    }
    for path, frame in frames.items():
        with atomic_write(path) as temporary:
            frame.to_csv(temporary, index=False)
