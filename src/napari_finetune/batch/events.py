"""Small events that a folder run yields: the command line and the dock consume the same."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from napari_finetune.batch.summary import FolderSummary


@dataclass(frozen=True)
class FolderStarted:
    """The run's plan was checked; predicting is about to begin.

    ``total`` images were found; ``skipped`` of them already have all their
    outputs (a run resumed after a crash or Stop) and ``to_do`` will be predicted.
    """

    total: int
    to_do: int
    skipped: int
    output_dir: Path


@dataclass(frozen=True)
class FileDone:
    """One image was predicted and its outputs written (each complete, by rename).

    ``index`` counts the files this run has handled so far, failures included,
    out of ``to_do``; ``time_left`` is the mean seconds of the files done so
    far times the files still to do. ``message`` is a note on an image done
    all the same, e.g. that its grains could not be measured (empty if none).
    """

    path: Path
    outputs: tuple[Path, ...]
    seconds: float
    index: int
    to_do: int
    time_left: float
    shape: tuple[int, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class FileFailed:
    """One image could not be read or predicted; the run carries on with the next.

    ``message`` is one line saying why (unreadable file, an RGB image for a grey
    model, too small, ...); ``index`` and ``to_do`` as in :class:`FileDone`.
    """

    path: Path
    message: str
    index: int
    to_do: int
    time_left: float
    seconds: float = 0.0


@dataclass(frozen=True)
class FolderFinished:
    """Every image was handled: one row each, done, skipped or failed."""

    summary: FolderSummary
