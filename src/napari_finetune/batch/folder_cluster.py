"""A folder run on a Dask cluster: one task per image, events as tasks finish.

Each planned image is a task that runs
:func:`~napari_finetune.batch.file_prediction.predict_file`, the function the
single-process run calls, on a worker: it reads the image, predicts it, writes
its outputs under temporary names and renames them (and measures its grains,
if asked). The model is held by every worker, those that join later too
(:mod:`~napari_finetune.batch.model_on_workers`). Dask schedules the tasks;
this generator yields a :class:`~napari_finetune.batch.events.FileDone` or
:class:`~napari_finetune.batch.events.FileFailed` as each finishes
(``distributed.as_completed``), so ``index`` counts images in the order they
finished, and ``time_left`` is the wall-clock time per image so far (which
counts the workers' parallelism) times the images left.

The images and the output folder must be on a file system every worker
mounts, under the same absolute paths: the tasks get absolute paths, and the
run checks, before it starts, that the workers see the first image, see the
output folder (a marker written here) and can write in it, and can import
this package and the backend (:mod:`~napari_finetune.batch.worker_checks`).

A corrupt image fails its own task's row and the rest go on; a worker that
dies on an image (out of memory, say) fails that image (Dask retries it on
other workers first); an image whose task was cancelled (the cluster
restarted, say) fails that image; an error writing an output stops the run, as it does
in one process. Stop (closing the generator) cancels every task not finished:
Dask cannot interrupt a task that is running, so the images being predicted
at that moment are still written, whole, a moment later (by rename: an
output is complete or absent), and the next run skips them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from napari_finetune.batch.cluster import (
    check_client,
    check_workers_see,
    import_distributed,
    worker_device,
)
from napari_finetune.batch.events import FolderFinished, FolderStarted
from napari_finetune.batch.file_prediction import FileOutcome, predict_file
from napari_finetune.batch.planning import FolderPlan, PlannedFile
from napari_finetune.batch.summary import SKIPPED, FileRow, FolderSummary
from napari_finetune.batch.worker_checks import check_workers_write
from napari_finetune.models.model import SegmentationModel

if TYPE_CHECKING:
    from distributed import Client, Future

    from napari_finetune.batch.folder_run import FolderEvent


def check_cluster(client: object, plan: FolderPlan, backend: str = "torch") -> Client:
    """ValueError unless ``client`` is open and its workers can do the plan.

    Waits for a first worker, then asks the workers: the packages, the plan's
    first image, and the output folder (shared and writable).

    Parameters
    ----------
    client : object
        What was given as ``client=``.
    plan : FolderPlan
        The run's plan.
    backend : str
        A resolved backend, which the workers must be able to import.

    Returns
    -------
    distributed.Client
        The client.
    """
    client = check_client(client, backend)
    if plan.to_do:
        shared = "the images and the output folder"
        check_workers_see(client, plan.to_do[0].image, shared)
        check_workers_write(client, plan.output_dir, shared)
    return client


def run_on_cluster(
    client: Client,
    model: SegmentationModel,
    plan: FolderPlan,
    backend: str,
    device: str | None = None,
) -> Iterator[FolderEvent]:
    """The events of a folder run whose images are tasks on ``client``'s cluster.

    Parameters
    ----------
    client : distributed.Client
        An open client (:func:`check_cluster`).
    model : SegmentationModel
        The model, held by every worker (those joining later too).
    plan : FolderPlan
        The checked plan.
    backend : str
        A resolved backend.
    device : str, optional
        Where each worker runs the network, resolved on the worker
        (:func:`~napari_finetune.batch.cluster.worker_device`).

    Yields
    ------
    FolderStarted, FileDone, FileFailed, FolderFinished
        As the single-process run (:func:`~napari_finetune.batch.predict_files`).
    """
    distributed = import_distributed()
    started = time.perf_counter()
    to_do = plan.to_do
    rows = {file.image: FileRow(file.image, SKIPPED, file.outputs) for file in plan.skipped}
    yield FolderStarted(len(plan.files), len(to_do), len(plan.skipped), plan.output_dir)
    if to_do:
        from napari_finetune.batch.model_on_workers import forget_model, ship_model

        shipped = ship_model(client, model)
        futures = client.map(
            _predict_task,
            [_absolute(file) for file in to_do],
            model=shipped,
            # The options only: the list of files would travel with every task.
            plan=replace(plan, files=(), output_dir=plan.output_dir.absolute()),
            backend=backend,
            device=worker_device(device, backend),
            pure=False,
        )
        file_of = {future.key: file for future, file in zip(futures, to_do, strict=True)}
        began = time.perf_counter()
        try:
            # This client's loop: it need not be the default Dask client.
            finished = distributed.as_completed(futures, loop=client.loop)
            for index, future in enumerate(finished, start=1):
                file = file_of[future.key]
                outcome = _outcome(future, distributed)
                rows[file.image] = outcome.row(file)
                left = (time.perf_counter() - began) / index * (len(to_do) - index)
                yield outcome.event(file, index, len(to_do), left)
        finally:
            # Stop, or an error writing: no task that has not started will.
            client.cancel(futures)
            forget_model(client, shipped)
    yield FolderFinished(FolderSummary.of_run(plan, rows, time.perf_counter() - started, model))


def _predict_task(
    file: PlannedFile,
    model: str,
    plan: FolderPlan,
    backend: str,
    device: str | None = None,
) -> FileOutcome:
    """On a worker: :func:`predict_file` with the model shipped as ``model``."""
    import dask

    from napari_finetune.batch.model_on_workers import model_here

    # An OME-Zarr input is read through dask: computed here, not as new tasks
    # waiting for this worker's only thread.
    with dask.config.set(scheduler="synchronous"):
        return predict_file(model_here(model), file, plan, backend, device)


def _absolute(file: PlannedFile) -> PlannedFile:
    # Workers do not share this process's working folder.
    return replace(
        file,
        image=file.image.absolute(),
        outputs=tuple(Path(path).absolute() for path in file.outputs),
    )


def _outcome(future: Future, distributed: object) -> FileOutcome:
    """The task's outcome; a worker lost on this image fails the image, not the run."""
    try:
        return future.result()
    except distributed.KilledWorker as err:
        message = f"the Dask worker predicting it died (out of memory?): {err}"
    except CancelledError:
        # Not by this run (it cancels only once it stops asking): the scheduler
        # forgot the task, e.g. the cluster was restarted.
        message = "its Dask task was cancelled on the cluster (restarted?): run again to do it"
    return FileOutcome(False, (), 0.0, message.splitlines()[0])
