"""A trained model over a folder of images, one file at a time, as a generator of events.

Each image is read, predicted and its outputs written before the next is
read, so memory holds one image and its probabilities whatever the folder's
size, and images of different sizes or kinds are simply predicted one by one.
An image that cannot be read or predicted (corrupt, colour for a grey model,
too small) is reported in one line and the run carries on; an error writing an
output (a full disk) stops the run, since every later file would fail the same.

Stop = the consumer stops asking (closes the generator): the generator only
pauses between files, after their outputs were renamed into place, so a
stopped run leaves complete files only, and the next run skips them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from napari_finetune.batch.discovery import Source, is_zarr_store
from napari_finetune.batch.events import FileDone, FileFailed, FolderFinished, FolderStarted
from napari_finetune.batch.measurements import measure_prediction, with_measurement_table
from napari_finetune.batch.ome_zarr import read_ome_zarr
from napari_finetune.batch.planning import FolderPlan, plan_predictions
from napari_finetune.batch.summary import DONE, FAILED, SKIPPED, FileRow, FolderSummary
from napari_finetune.data.io import read_image, write_image
from napari_finetune.inference.predict import labels_from_probabilities, predict
from napari_finetune.inference.runtime import DEFAULT_BACKEND, resolve_backend
from napari_finetune.models.model import SegmentationModel

FolderEvent = FolderStarted | FileDone | FileFailed | FolderFinished


def predict_files(
    model: SegmentationModel | str | os.PathLike[str],
    inputs: Source | Iterable[Source],
    output_dir: str | os.PathLike[str],
    *,
    probabilities: bool = False,
    backend: str = DEFAULT_BACKEND,
    overwrite: bool = False,
    measure: bool = False,
    calibration: tuple[float, str] | None = None,
) -> Iterator[FolderEvent]:
    """Predict every image of a folder (or pattern, or list); yield an event per file.

    The inputs and outputs are checked when this function is called, before
    any image is read; predicting starts when the first event is asked for.

    Parameters
    ----------
    model : SegmentationModel, str or Path
        A model, a shipped name such as ``'voronoi-unet'`` or a checkpoint.
    inputs : str, Path or iterable of them
        A folder, a glob pattern such as ``'data/*.tif'``, image files or
        OME-Zarr stores, or a list of those.
    output_dir : str or Path
        Folder for ``<name>_prediction.tif`` (labels 1..K, uint8); made if
        missing; not the folder of an input.
    probabilities : bool
        Also write ``<name>_probabilities.tif`` (float32 ``(K, rows, cols)``).
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network (see :func:`napari_finetune.predict`).
    overwrite : bool
        Predict images whose outputs exist again (default: skip them, so a
        stopped run resumes).
    measure : bool
        Also measure the grains of each image from its probabilities: its grain
        CSVs (``<name>_grains.csv`` and companions) and, at the end,
        ``measurements.csv`` with one row per image (see
        :mod:`napari_finetune.batch.measurements`).
    calibration : tuple of (float, str), optional
        ``(pixel size, unit)`` for measuring every image, instead of the pixel
        size in each image's instrument tags.

    Returns
    -------
    iterator of events
        :class:`FolderStarted`, then a :class:`FileDone` or :class:`FileFailed`
        per image predicted, then :class:`FolderFinished` with the summary.

    Raises
    ------
    ValueError
        At the call, for inputs or outputs refused by
        :func:`~napari_finetune.batch.plan_predictions`, or an unknown backend.

    Examples
    --------
    >>> for event in predict_files("voronoi-unet", "data/*.tif", "out"):  # doctest: +SKIP
    ...     print(event)
    """
    plan = plan_predictions(
        inputs,
        output_dir,
        probabilities=probabilities,
        overwrite=overwrite,
        measure=measure,
        calibration=calibration,
    )
    return predict_plan(model, plan, backend=backend)


def predict_plan(
    model: SegmentationModel | str | os.PathLike[str],
    plan: FolderPlan,
    *,
    backend: str = DEFAULT_BACKEND,
) -> Iterator[FolderEvent]:
    """Run a checked :class:`FolderPlan` (see :func:`predict_files`, which makes one).

    Parameters
    ----------
    model : SegmentationModel, str or Path
        A model, a shipped name or a checkpoint.
    plan : FolderPlan
        From :func:`~napari_finetune.batch.plan_predictions`; whether grains are
        measured is the plan's (``measure``): the grain CSVs are among the
        outputs it checked and skips on.
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network.

    Returns
    -------
    iterator of events
        As :func:`predict_files`.
    """
    if not isinstance(model, SegmentationModel):
        from napari_finetune.models.registry import load_model

        model = load_model(model)
    events = _run(model, plan, resolve_backend(backend))
    return with_measurement_table(events, plan) if plan.measure else events


def predict_folder(
    model: SegmentationModel | str | os.PathLike[str],
    inputs: Source | Iterable[Source],
    output_dir: str | os.PathLike[str],
    *,
    probabilities: bool = False,
    backend: str = DEFAULT_BACKEND,
    overwrite: bool = False,
    measure: bool = False,
    calibration: tuple[float, str] | None = None,
) -> FolderSummary:
    """Blocking form of :func:`predict_files`: run it to the end, return the summary.

    Parameters
    ----------
    model, inputs, output_dir, probabilities, backend, overwrite, measure, calibration
        As :func:`predict_files`.

    Returns
    -------
    FolderSummary
        One row per image (done, skipped or failed); ``summary.table()`` prints it.
    """
    events = predict_files(
        model,
        inputs,
        output_dir,
        probabilities=probabilities,
        backend=backend,
        overwrite=overwrite,
        measure=measure,
        calibration=calibration,
    )
    for event in events:
        if isinstance(event, FolderFinished):
            return event.summary
    raise RuntimeError("the folder run ended without a summary")


def read_input(path: Path) -> np.ndarray:
    """An input image whole: TIFF/PNG via :func:`~napari_finetune.data.io.read_image`, or Zarr."""
    return read_ome_zarr(path) if is_zarr_store(path) else read_image(path)


def _run(model: SegmentationModel, plan: FolderPlan, backend: str) -> Iterator[FolderEvent]:
    started = time.perf_counter()
    to_do = plan.to_do
    rows = {file.image: FileRow(file.image, SKIPPED, file.outputs) for file in plan.skipped}
    yield FolderStarted(len(plan.files), len(to_do), len(plan.skipped), plan.output_dir)
    spent: list[float] = []  # seconds of each file predicted, for the time left
    for index, file in enumerate(to_do, start=1):
        began = time.perf_counter()
        shape: tuple[int, ...] = ()
        try:
            image = read_input(file.image)
            shape = image.shape
            probs = predict(model, image, backend=backend)
        except (ValueError, MemoryError) as err:
            image = None  # a large image that failed to predict is not kept while paused
            seconds = time.perf_counter() - began
            message = str(err) or type(err).__name__
            rows[file.image] = FileRow(file.image, FAILED, (), shape, seconds, message)
            left = _time_left(spent or [seconds], len(to_do) - index)
            yield FileFailed(file.image, message, index, len(to_do), left, seconds)
            continue
        del image  # only one image in memory at a time, even while paused at a yield
        write_image(file.outputs[0], labels_from_probabilities(probs))
        if plan.probabilities:
            write_image(file.outputs[1], probs)
        note = measure_prediction(probs, file.image, plan, model.classes) if plan.measure else ""
        del probs
        seconds = time.perf_counter() - began
        spent.append(seconds)
        rows[file.image] = FileRow(file.image, DONE, file.outputs, shape, seconds, note)
        left = _time_left(spent, len(to_do) - index)
        yield FileDone(file.image, file.outputs, seconds, index, len(to_do), left, shape, note)
    summary = FolderSummary(
        tuple(rows[file.image] for file in plan.files),
        plan.output_dir,
        time.perf_counter() - started,
    )
    yield FolderFinished(summary)


def _time_left(seconds: list[float], files_left: int) -> float:
    return sum(seconds) / len(seconds) * files_left
