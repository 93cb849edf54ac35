"""Every output of a folder run named and checked before any work (standard library only).

A folder run refuses at once, in one line, what would end badly an hour later:
an output folder that cannot be written, outputs written among the inputs (the
next run over that folder would take the predictions for images), two images
whose outputs share a name, or an output over an input. It skips images whose
outputs all exist: they were written by rename, so an existing output is a
complete one, and a run stopped or crashed half-way resumes where it was.
With ``measure``, each image's grain CSVs are outputs like its prediction: an
image counts as done only when they exist too.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from napari_finetune.batch.discovery import Source, find_images, output_stem
from napari_finetune.batch.made_by import MadeBy
from napari_finetune.batch.pixel_size import checked_pixel_size
from napari_finetune.cli_checks import check_not_inputs
from napari_finetune.data.safe_write import check_writable_file, check_writable_folder

PREDICTION_SUFFIX = "_prediction.tif"
PROBABILITIES_SUFFIX = "_probabilities.tif"
OUTPUT_FOLDER_SUFFIX = "_predictions"
# The grain CSVs of one image, named as measure.export names a table's companions
# (``<table>_summary.csv``, ``<table>_segments.csv``), and the run's table of them.
GRAINS_SUFFIXES = ("_grains.csv", "_grains_summary.csv", "_grains_segments.csv")
MEASUREMENTS_CSV = "measurements.csv"
GRAIN_SIZE_CSV = "grain_size.csv"
PHASE_FRACTIONS_CSV = "phase_fractions.csv"


@dataclass(frozen=True)
class PlannedFile:
    """One image, the files it will write, and whether they exist already (``skip``)."""

    image: Path
    outputs: tuple[Path, ...]
    skip: bool


@dataclass(frozen=True)
class FolderPlan:
    """The images of a folder run and their outputs, checked.

    ``outputs`` of each file are the labels (``<name>_prediction.tif``),
    ``<name>_probabilities.tif`` when ``probabilities`` is set, and the grain
    CSVs (:func:`measurement_paths`) when ``measure`` is set; ``calibration``
    is the ``(pixel size, unit)`` given for every image, or None to read each
    image's instrument tags; ``average_views``: predictions averaged over the
    flipped and rotated views the model trained with
    (:mod:`~napari_finetune.inference.views`); ``made_by``: what the run's
    model and options are, stamped into every prediction it writes (set by
    :func:`~napari_finetune.batch.predict_plan` once the model is known).
    """

    files: tuple[PlannedFile, ...]
    output_dir: Path
    probabilities: bool
    overwrite: bool
    measure: bool = False
    calibration: tuple[float, str] | None = None
    average_views: bool = False
    made_by: MadeBy | None = None

    @property
    def measurements_csv(self) -> Path | None:
        """The run's grain measurements, a row per image or plane (None unless ``measure``)."""
        return self.output_dir / MEASUREMENTS_CSV if self.measure else None

    @property
    def grain_size_csv(self) -> Path | None:
        """ASTM E112 G over the run's images as fields (None unless ``measure``)."""
        return self.output_dir / GRAIN_SIZE_CSV if self.measure else None

    @property
    def phase_fractions_csv(self) -> Path | None:
        """Phase area fractions over the run's images as fields (None unless ``measure``)."""
        return self.output_dir / PHASE_FRACTIONS_CSV if self.measure else None

    @property
    def to_do(self) -> list[PlannedFile]:
        """The files this run predicts."""
        return [file for file in self.files if not file.skip]

    @property
    def skipped(self) -> list[PlannedFile]:
        """The files whose outputs all exist (kept, unless ``overwrite``)."""
        return [file for file in self.files if file.skip]

    def redoing(self, predictions: Iterable[Path]) -> FolderPlan:
        """The plan with the images of ``predictions`` predicted again (``StaleOutputs.paths``).

        Raises
        ------
        ValueError
            When one of their outputs cannot be replaced (read-only).
        """
        again = {Path(path) for path in predictions}
        files = []
        for file in self.files:
            if file.skip and file.outputs[0] in again:
                for path in file.outputs:
                    check_writable_file(path)
                file = PlannedFile(file.image, file.outputs, False)
            files.append(file)
        return replace(self, files=tuple(files))


def output_paths(
    image: Path, output_dir: Path, probabilities: bool = False, measure: bool = False
) -> tuple[Path, ...]:
    """Where a folder run writes the outputs of ``image``.

    Parameters
    ----------
    image : Path
        An input image file or OME-Zarr store.
    output_dir : Path
        The run's output folder.
    probabilities : bool
        Whether the class probabilities are written too.
    measure : bool
        Whether the grain CSVs are written too.

    Returns
    -------
    tuple of Path
        ``<name>_prediction.tif`` (labels 1..K), then ``<name>_probabilities.tif``
        if asked for, then :func:`measurement_paths` if asked for; ``<name>`` is
        :func:`~napari_finetune.batch.output_stem`.
    """
    stem = output_stem(image)
    suffixes = (PREDICTION_SUFFIX, PROBABILITIES_SUFFIX) if probabilities else (PREDICTION_SUFFIX,)
    paths = tuple(output_dir / f"{stem}{suffix}" for suffix in suffixes)
    return paths + measurement_paths(image, output_dir) if measure else paths


def measurement_paths(image: Path, output_dir: Path) -> tuple[Path, Path, Path]:
    """The grain CSVs of ``image``: per grain, its summary row, its E112 intercept segments.

    ``<name>_grains.csv``, ``<name>_grains_summary.csv`` and
    ``<name>_grains_segments.csv``: the files the *Measure grains* dock
    exports for a table named ``<name>_grains.csv``.
    """
    stem = output_stem(image)
    table, summary, segments = (output_dir / f"{stem}{suffix}" for suffix in GRAINS_SUFFIXES)
    return table, summary, segments


def default_output_dir(input_dir: str | os.PathLike[str]) -> Path:
    """The output folder offered for a folder of images: ``<folder>_predictions`` beside it.

    Beside, not inside: outputs among the inputs would be read as images by the
    next run over that folder.

    Parameters
    ----------
    input_dir : str or Path
        The folder of images.

    Returns
    -------
    Path
        ``<parent>/<name>_predictions`` (a trailing separator or ``.`` is ignored).
    """
    folder = Path(os.path.abspath(input_dir))
    return folder.with_name(f"{folder.name}{OUTPUT_FOLDER_SUFFIX}")


def plan_predictions(
    inputs: Source | Iterable[Source],
    output_dir: str | os.PathLike[str],
    *,
    probabilities: bool = False,
    overwrite: bool = False,
    what: str = "output folder",
    measure: bool = False,
    calibration: tuple[float, str] | None = None,
    average_views: bool = False,
) -> FolderPlan:
    """Find the images, name their outputs, and refuse what cannot end well.

    Parameters
    ----------
    inputs : str, Path or iterable of them
        A folder, a glob pattern, image files, or a list of those
        (see :func:`~napari_finetune.batch.find_images`).
    output_dir : str or Path
        Folder for the outputs; made if missing. It may not be the folder of
        any input.
    probabilities : bool
        Also write ``<name>_probabilities.tif``.
    overwrite : bool
        Predict images whose outputs exist again, replacing them (default:
        skip them).
    what : str
        What the output folder is called, for messages (``'--output'`` on the
        command line).
    measure : bool
        Also measure the grains of each image: its grain CSVs
        (:func:`measurement_paths`) and the run's ``measurements.csv``.
    calibration : tuple of (float, str), optional
        ``(pixel size, unit)`` for every image (unit µm, um, nm or mm), instead
        of each image's instrument tags; only with ``measure``.
    average_views : bool
        Average each prediction over the flipped and rotated views the model's
        training allowed (up to 8× the time; :mod:`~napari_finetune.inference.views`).

    Returns
    -------
    FolderPlan
        Every image with its outputs, those already done marked ``skip``.

    Raises
    ------
    ValueError
        In one line naming the file or folder: no images found, an output
        folder that cannot be written or that holds inputs, two images with
        one output name, an output over an input, a read-only output, or a
        calibration that is not a positive length in a known unit.
    """
    calibration = _checked_calibration(calibration, measure)
    images = find_images(inputs)
    output_dir = check_writable_folder(output_dir, what)
    for image in images:
        if _same_folder(image.parent, output_dir):
            raise ValueError(
                f"{what} {output_dir} is the folder of the input {image.name}: predictions "
                "there would be read as images by the next run. Choose another folder."
            )
    first_with_stem: dict[str, Path] = {}
    for image in images:
        stem = output_stem(image)
        # A.tif and a.png are one output on macOS and Windows disks (and é in
        # its two Unicode forms on macOS): compared as those file systems do.
        key = unicodedata.normalize("NFC", stem).casefold()
        if key in first_with_stem:
            raise ValueError(
                f"{first_with_stem[key]} and {image} would both write "
                f"{stem}{PREDICTION_SUFFIX} (names differing only in case are one file "
                "on many disks): rename one, or run them into separate folders."
            )
        first_with_stem[key] = image
    files = []
    for image in images:
        outputs = output_paths(image, output_dir, probabilities, measure)
        skip = not overwrite and all(path.is_file() for path in outputs)
        if not skip:
            for path in outputs:
                check_writable_file(path)
        files.append(PlannedFile(image, outputs, skip))
    plan = FolderPlan(
        tuple(files), output_dir, probabilities, overwrite, measure, calibration, average_views
    )
    written = [path for file in files for path in file.outputs]
    if plan.measurements_csv is not None:  # rewritten by every run, skipped files or not
        written.append(check_writable_file(plan.measurements_csv))
        written.append(check_writable_file(plan.grain_size_csv))
        written.append(check_writable_file(plan.phase_fractions_csv))
    check_not_inputs(written, images, "predict")
    return plan


def _checked_calibration(
    calibration: tuple[float, str] | None, measure: bool
) -> tuple[float, str] | None:
    if calibration is None:
        return None
    if not measure:
        raise ValueError("a pixel size is for measuring grains: ask for measurements too.")
    try:
        size, unit = calibration
    except (TypeError, ValueError):
        raise ValueError(
            f"calibration {calibration!r} must be (pixel size, unit), e.g. (0.5, 'um')."
        ) from None
    return checked_pixel_size(size, unit)


def _same_folder(a: Path, b: Path) -> bool:
    if not (a.exists() and b.exists()):
        return False
    return os.path.samefile(a, b)
