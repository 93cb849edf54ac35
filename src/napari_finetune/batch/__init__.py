"""Whole folders: a trained model over many image files, resumable, one file at a time.

``find_images`` turns a folder, a glob pattern or a list of files into the
image files to predict; ``plan_predictions`` checks the output folder and names
every output before any work; ``predict_files`` is the run as a generator of
events (:mod:`.events`), ``predict_folder`` its blocking form. With
``measure=True`` each image's grains are measured too: its grain CSVs and the
run's ``measurements.csv`` (:mod:`.measurements`).

Finding and planning use the standard library only, so the command line can
refuse a bad folder before it imports torch; the names that need torch and
numpy are loaded on first use (PEP 562), as in :mod:`napari_finetune`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari_finetune._lazy import lazy_getattr
from napari_finetune.batch.discovery import find_images, output_stem
from napari_finetune.batch.events import FileDone, FileFailed, FolderFinished, FolderStarted
from napari_finetune.batch.made_by import MadeBy, StaleOutputs
from napari_finetune.batch.planning import (
    FolderPlan,
    PlannedFile,
    default_output_dir,
    plan_predictions,
)
from napari_finetune.batch.summary import FileRow, FolderSummary

if TYPE_CHECKING:
    from napari_finetune.batch.folder_run import predict_files, predict_folder, predict_plan

_LAZY = {
    "predict_files": "napari_finetune.batch.folder_run",
    "predict_folder": "napari_finetune.batch.folder_run",
    "predict_plan": "napari_finetune.batch.folder_run",
}

__all__ = [
    "FileDone",
    "FileFailed",
    "FileRow",
    "FolderFinished",
    "FolderPlan",
    "FolderStarted",
    "FolderSummary",
    "MadeBy",
    "PlannedFile",
    "StaleOutputs",
    "default_output_dir",
    "find_images",
    "output_stem",
    "plan_predictions",
    "predict_files",
    "predict_folder",
    "predict_plan",
]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    """The module's names, the lazily loaded ones included."""
    return sorted({*globals(), *__all__})
