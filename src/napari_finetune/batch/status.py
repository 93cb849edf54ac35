"""What the dock says while a folder run goes on: one short line per event (standard library only).

The dock shows these in its status line and beside napari's progress bar; the
command line prints its own, longer lines (:mod:`napari_finetune.cli_predict`).
"""

from __future__ import annotations

from pathlib import Path

from napari_finetune.batch.events import FileDone, FileFailed, FolderStarted
from napari_finetune.batch.summary import FolderSummary

STOPPING = "Folder: stopping after the image being predicted…"
STOP_TRAINING_FIRST = "Stop training before applying to a folder: the model is changing."


def found(total: int) -> str:
    """Before the first event: the images found (the model may take a moment to load)."""
    return f"Folder: {total} images found, starting…"


def time_left(seconds: float) -> str:
    """``'40 s left'``, ``'3 min left'``, or ``'done'`` when nothing is left."""
    if seconds <= 0:
        return "done"
    if seconds < 120:
        return f"{seconds:.0f} s left"
    return f"{seconds / 60:.0f} min left"


def model_words(model: object, current: bool) -> str:
    """The model of a folder run in words: the session's current one, or the start model.

    Parameters
    ----------
    model : SegmentationModel, str or Path
        The model the run uses, or the name or file it loads.
    current : bool
        Whether it is the session's current model.
    """
    if current:
        return "the current model"
    name = getattr(model, "name", None) or Path(str(model)).name
    return f"{name} (not fine-tuned on your painting yet)"


def started(event: FolderStarted, model: str) -> str:
    """The run begins: how many images, with which model, how many skipped.

    Parameters
    ----------
    event : FolderStarted
        The run's first event.
    model : str
        The model in words, e.g. ``'the current model'`` or ``'voronoi-unet'``.
    """
    if not event.to_do:
        return f"Folder: nothing to predict, all {event.total} images have their outputs."
    said = f"Folder: predicting {event.to_do} of {event.total} images with {model}"
    if event.skipped:
        said += f" ({event.skipped} skipped: their outputs exist)"
    return said + "…"


def progress(event: FileDone | FileFailed) -> str:
    """Beside the progress bar: files handled of those to do, and the time left."""
    return f"Folder: {event.index}/{event.to_do} files, {time_left(event.time_left)}"


def file_handled(event: FileDone | FileFailed, failed: int) -> str:
    """The status line after each file, e.g. ``'Folder: 3/50 files, 1 failed, 40 s left'``.

    Parameters
    ----------
    event : FileDone or FileFailed
        The file just handled.
    failed : int
        Files of this run that failed so far, this one included.
    """
    said = f"Folder: {event.index}/{event.to_do} files"
    if failed:
        said += f", {failed} failed"
    if isinstance(event, FileFailed):
        said += f" ({event.path.name}: {event.message})"
    return f"{said}, {time_left(event.time_left)}"


def stopped(handled: int, failed: int, to_do: int) -> str:
    """After *Stop*: what was done, and that running again resumes.

    Parameters
    ----------
    handled : int
        Files predicted or failed before the run stopped.
    failed : int
        Of those, the ones that failed.
    to_do : int
        Files the run was to predict.
    """
    done = handled - failed
    failures = f", {failed} failed" if failed else ""
    return (
        f"Folder run stopped: {done} of {to_do} images done{failures}. Their outputs "
        "are complete; apply to the same folder again to do the rest (done images are skipped)."
    )


def finished(summary: FolderSummary) -> str:
    """The end of the run in one line: counts, time and where the outputs are."""
    return f"Folder: {summary.line()}"
