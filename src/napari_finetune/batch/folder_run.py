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

Everything one image gets is :func:`~napari_finetune.batch.file_prediction.predict_file`;
given a Dask ``client``, each image is a task that calls it on a worker
(:mod:`~napari_finetune.batch.folder_cluster`), and the events are the same.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from napari_finetune.batch.discovery import Source
from napari_finetune.batch.events import FileDone, FileFailed, FolderFinished, FolderStarted
from napari_finetune.batch.file_prediction import predict_file
from napari_finetune.batch.made_by import MadeBy, check_made_alike
from napari_finetune.batch.measurement_table import with_measurement_table
from napari_finetune.batch.planning import FolderPlan, plan_predictions
from napari_finetune.batch.summary import SKIPPED, FileRow, FolderSummary
from napari_finetune.inference.runtime import DEFAULT_BACKEND, resolve_backend, run_device
from napari_finetune.models.model import SegmentationModel

if TYPE_CHECKING:
    from distributed import Client

FolderEvent = FolderStarted | FileDone | FileFailed | FolderFinished


def predict_files(
    model: SegmentationModel | str | os.PathLike[str],
    inputs: Source | Iterable[Source],
    output_dir: str | os.PathLike[str],
    *,
    probabilities: bool = False,
    backend: str = DEFAULT_BACKEND,
    device: str | None = None,
    overwrite: bool = False,
    measure: bool = False,
    calibration: tuple[float, str] | None = None,
    client: Client | None = None,
    average_views: bool = False,
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
    device : str, optional
        ``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``'mps'``
        (:mod:`napari_finetune.models.device`; default: where the model's
        weights are). Checked at the call; on a cluster, on each worker.
    overwrite : bool
        Predict images whose outputs exist again (default: skip them, so a
        stopped run resumes).
    measure : bool
        Also measure the grains of each image from its probabilities: its grain
        CSVs (``<name>_grains.csv`` and companions) and, at the end,
        ``measurements.csv`` with one row per image or plane of a stack (see
        :mod:`napari_finetune.batch.measurements`).
    calibration : tuple of (float, str), optional
        ``(pixel size, unit)`` for measuring every image, instead of the pixel
        size in each image's instrument tags.
    client : distributed.Client, optional
        Predict on this Dask cluster, one task per image (see
        :mod:`~napari_finetune.batch.folder_cluster`): the images and the
        output folder must be on a file system every worker mounts. Needs
        ``pip install "napari-finetune[cluster]"``.
    average_views : bool
        Average each prediction over the flipped and rotated views the model's
        training allowed (up to 8× the time; :mod:`~napari_finetune.inference.views`).

    Returns
    -------
    iterator of events
        :class:`FolderStarted`, then a :class:`FileDone` or :class:`FileFailed`
        per image predicted, then :class:`FolderFinished` with the summary.

    Raises
    ------
    ValueError
        At the call, for inputs or outputs refused by
        :func:`~napari_finetune.batch.plan_predictions`, an unknown backend,
        or a ``client`` that is closed or whose workers cannot see the files;
        :class:`~napari_finetune.batch.made_by.StaleOutputs` (a ValueError) when
        outputs it would skip as done were made by another model or with other
        options (each prediction records what made it).

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
        average_views=average_views,
    )
    return predict_plan(model, plan, backend=backend, device=device, client=client)


def predict_plan(
    model: SegmentationModel | str | os.PathLike[str],
    plan: FolderPlan,
    *,
    backend: str = DEFAULT_BACKEND,
    device: str | None = None,
    client: Client | None = None,
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
    device : str, optional
        Where it runs, as :func:`predict_files`.
    client : distributed.Client, optional
        Predict on this Dask cluster, as :func:`predict_files`.

    Returns
    -------
    iterator of events
        As :func:`predict_files`.

    Raises
    ------
    ValueError
        At the call: an unknown backend or device, a ``client`` that cannot
        see the files, or :class:`~napari_finetune.batch.made_by.StaleOutputs`
        when outputs the plan skips were made by another model or with other
        options (:func:`made_by_model`).
    """
    if not isinstance(model, SegmentationModel):
        from napari_finetune.models.registry import load_model

        model = load_model(model)
    plan = made_by_model(plan, model)
    if client is not None:
        from napari_finetune.batch.folder_cluster import check_cluster, run_on_cluster

        # At the call, as the plan's checks.
        check_cluster(client, plan, resolve_backend(backend))
        events = run_on_cluster(client, model, plan, resolve_backend(backend), device)
    else:
        run_device(model, device, resolve_backend(backend))  # a missing GPU: said now
        events = _run(model, plan, resolve_backend(backend), device)
    return with_measurement_table(events, plan) if plan.measure else events


def made_by_model(plan: FolderPlan, model: SegmentationModel) -> FolderPlan:
    """``plan`` stamped with ``model``; refused if it would skip outputs made otherwise.

    Parameters
    ----------
    plan : FolderPlan
        A checked plan (:func:`~napari_finetune.batch.plan_predictions`).
    model : SegmentationModel
        The model that will run it.

    Returns
    -------
    FolderPlan
        The plan with ``made_by`` set: what every prediction it writes records.

    Raises
    ------
    StaleOutputs
        When outputs the plan skips record another model (or other views, or
        another pixel size for the grains): see
        :func:`~napari_finetune.batch.made_by.check_made_alike`.
    """
    made_by = MadeBy.of(model, plan.average_views, plan.measure, plan.calibration)
    stamped = 2 if plan.probabilities else 1  # the prediction, then the probabilities
    check_made_alike([f.outputs[:stamped] for f in plan.skipped], made_by, plan.output_dir)
    return replace(plan, made_by=made_by)


def predict_folder(
    model: SegmentationModel | str | os.PathLike[str],
    inputs: Source | Iterable[Source],
    output_dir: str | os.PathLike[str],
    *,
    probabilities: bool = False,
    backend: str = DEFAULT_BACKEND,
    device: str | None = None,
    overwrite: bool = False,
    measure: bool = False,
    calibration: tuple[float, str] | None = None,
    client: Client | None = None,
    average_views: bool = False,
) -> FolderSummary:
    """Blocking form of :func:`predict_files`: run it to the end, return the summary.

    Parameters
    ----------
    model, inputs, output_dir, probabilities, backend, device, overwrite, measure, calibration
        As :func:`predict_files`.
    client, average_views
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
        device=device,
        overwrite=overwrite,
        measure=measure,
        calibration=calibration,
        client=client,
        average_views=average_views,
    )
    for event in events:
        if isinstance(event, FolderFinished):
            return event.summary
    raise RuntimeError("the folder run ended without a summary")


def _run(
    model: SegmentationModel, plan: FolderPlan, backend: str, device: str | None
) -> Iterator[FolderEvent]:
    started = time.perf_counter()
    to_do = plan.to_do
    rows = {file.image: FileRow(file.image, SKIPPED, file.outputs) for file in plan.skipped}
    yield FolderStarted(len(plan.files), len(to_do), len(plan.skipped), plan.output_dir)
    spent: list[float] = []  # seconds of each file predicted, for the time left
    for index, file in enumerate(to_do, start=1):
        # Returns with the image and its probabilities gone: nothing is held while paused.
        outcome = predict_file(model, file, plan, backend, device)
        if outcome.done:
            spent.append(outcome.seconds)
        rows[file.image] = outcome.row(file)
        left = _time_left(spent or [outcome.seconds], len(to_do) - index)
        yield outcome.event(file, index, len(to_do), left)
    yield FolderFinished(FolderSummary.of_run(plan, rows, time.perf_counter() - started, model))


def _time_left(seconds: list[float], files_left: int) -> float:
    return sum(seconds) / len(seconds) * files_left
