"""One image of a folder run, start to end: read, predict, write its outputs, measure.

:func:`predict_file` is all the work one image gets, whoever runs it: the
single-process run (:mod:`~napari_finetune.batch.folder_run`) calls it in a
loop, and on a Dask cluster (:mod:`~napari_finetune.batch.folder_cluster`)
each image is one task that calls it on a worker. Whatever a folder run does
per image (predicting, writing, measuring grains) goes here, so that both
runs do it, and write the same bytes.

It returns a small :class:`FileOutcome`, never the image or its
probabilities: memory holds one image while it works, nothing after, and on a
cluster only a few numbers travel back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from napari_finetune.batch.discovery import is_zarr_store
from napari_finetune.batch.events import FileDone, FileFailed
from napari_finetune.batch.measurements import measure_prediction
from napari_finetune.batch.ome_zarr import read_ome_zarr
from napari_finetune.batch.planning import FolderPlan, PlannedFile
from napari_finetune.batch.stack_file import open_deep_stack, write_plane_by_plane
from napari_finetune.batch.summary import DONE, FAILED, FileRow
from napari_finetune.data.io import read_specimen, write_image
from napari_finetune.inference.predict import labels_from_probabilities, predict
from napari_finetune.models.model import SegmentationModel


@dataclass(frozen=True)
class FileOutcome:
    """What became of one image: done or not, its shape, the seconds it took.

    ``message`` says why it failed, or is a note on an image done all the
    same (e.g. that its grains could not be measured; empty if none).
    """

    done: bool
    shape: tuple[int, ...]
    seconds: float
    message: str = ""

    def row(self, file: PlannedFile) -> FileRow:
        """The image's row of the run's summary."""
        if self.done:
            return FileRow(file.image, DONE, file.outputs, self.shape, self.seconds, self.message)
        return FileRow(file.image, FAILED, (), self.shape, self.seconds, self.message)

    def event(
        self, file: PlannedFile, index: int, to_do: int, time_left: float
    ) -> FileDone | FileFailed:
        """The event a run yields for the image, the ``index``-th of ``to_do`` it handled."""
        if self.done:
            return FileDone(
                file.image,
                file.outputs,
                self.seconds,
                index,
                to_do,
                time_left,
                self.shape,
                self.message,
            )
        return FileFailed(file.image, self.message, index, to_do, time_left, self.seconds)


def read_input(path: Path) -> tuple[np.ndarray, int]:
    """An input image, and the rows of its instrument's data bar that were cropped (0: none).

    TIFF/PNG via :func:`~napari_finetune.data.io.read_specimen` (an FEI/Thermo
    SEM's data bar is cropped, as the viewer's *Open SEM TIFF* does, so that a
    model sees the specimen normalised as it was in training), or Zarr whole.
    """
    return (read_ome_zarr(path), 0) if is_zarr_store(path) else read_specimen(path)


def with_data_bar(
    probabilities: np.ndarray, labels: np.ndarray, rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """The outputs of a cropped specimen grown back by ``rows`` rows of "not predicted".

    A folder run's outputs cover the input image pixel for pixel: the data
    bar's rows are label 0 (as unpainted) and probability 0 for every class.
    Measuring leaves them out (:mod:`~napari_finetune.batch.measurements`).
    """
    if rows <= 0:
        return probabilities, labels
    pad = [(0, 0)] * probabilities.ndim
    pad[-2] = (0, rows)
    label_pad = [(0, rows) if axis == labels.ndim - 2 else (0, 0) for axis in range(labels.ndim)]
    return np.pad(probabilities, pad), np.pad(labels, label_pad)


def predict_file(
    model: SegmentationModel,
    file: PlannedFile,
    plan: FolderPlan,
    backend: str,
    device: str | None = None,
) -> FileOutcome:
    """Read, predict and write the outputs of one planned image (and measure its grains).

    Parameters
    ----------
    model : SegmentationModel
        The model.
    file : PlannedFile
        The image and its outputs (:func:`~napari_finetune.batch.plan_predictions`).
    plan : FolderPlan
        The run's options: ``probabilities``, ``measure``, ``calibration``,
        ``average_views`` and ``output_dir`` (its ``files`` are not used).
    backend : str
        A resolved backend (``'torch'`` or ``'onnxruntime'``).
    device : str, optional
        Where the network runs (:mod:`napari_finetune.models.device`; default:
        where the model's weights are). Resolved here, on the machine that
        predicts: ``'auto'`` on a cluster worker takes that worker's GPU.

    Returns
    -------
    FileOutcome
        Done (every output written, each by rename: complete or absent), or
        failed with one line saying why: an image that cannot be read or
        predicted (corrupt, colour for a grey model, too small, too large).

    Raises
    ------
    OSError
        When an output cannot be written (a full disk): the run stops, since
        every later image would fail the same.
    """
    began = time.perf_counter()
    shape: tuple[int, ...] = ()
    # What made them, so that a later run resumes on them only if it would make the same.
    # The prediction is written last: its record then vouches for the image's other
    # outputs (a run stopped half-way leaves an older prediction, refused on resume).
    stamp = plan.made_by.metadata(model.classes) if plan.made_by is not None else None
    try:
        stack = open_deep_stack(file.image)
        if stack is not None:  # never read, predicted nor held whole (batch/stack_file.py)
            shape = tuple(stack.shape)
            note = write_plane_by_plane(
                model,
                stack,
                file.image.name,
                file.outputs[: 2 if plan.probabilities else 1],
                stamp,
                backend=backend,
                device=device,
                average_views=plan.average_views,
                measure=_measure(file, plan, model) if plan.measure else None,
            )
            return FileOutcome(True, shape, time.perf_counter() - began, note)
        image, bar = read_input(file.image)
        shape = (image.shape[0] + bar, *image.shape[1:])
        probs = predict(
            model, image, backend=backend, device=device, average_views=plan.average_views
        )
        del image  # the probabilities are written from here on: one image in memory
    except (ValueError, MemoryError, torch.cuda.OutOfMemoryError) as err:
        # A GPU too small for this image fails this image, not the run.
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        return FileOutcome(False, shape, time.perf_counter() - began, message)
    probs, labels = with_data_bar(probs, labels_from_probabilities(probs), bar)
    if plan.probabilities:
        write_image(file.outputs[1], probs, stamp)
    note = _measure(file, plan, model)(probs, "probabilities") if plan.measure else ""
    write_image(file.outputs[0], labels, stamp)
    return FileOutcome(True, shape, time.perf_counter() - began, note)


def _measure(file: PlannedFile, plan: FolderPlan, model: SegmentationModel):
    # A stack is measured plane by plane, each plane a row (batch/measurements.py).
    def measure(measured: np.ndarray, kind: str) -> str:
        return measure_prediction(measured, file.image, plan, model.classes, kind)

    return measure
