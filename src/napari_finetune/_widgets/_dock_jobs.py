"""The Fine-tune dock's long jobs: which one is running, and stopping them all.

One job at a time: two would share the cores (and torch's process-wide thread
count), so a time-budgeted round beside another would not mean what it says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


def running_job(dock: FineTuneWidget) -> str | None:
    """The job going on in ``dock``, in words (``'Predict'``...), or None."""
    files = dock.files
    jobs = {
        "Fine-tune": dock.stop.enabled,  # training's Stop is enabled while it runs
        "Compare strategies": dock.advisor.running,
        "The band-by-band prediction": files.lazy.running,
        "The plane-by-plane prediction": files.stack.running,
        "The folder run": files.folder.running,
        "Predict": not files.predict_button.enabled,  # disabled while it runs
    }
    return next((job for job, running in jobs.items() if running), None)


def stop_jobs(dock: FineTuneWidget) -> list[str]:
    """Ask each long job of ``dock`` to stop as its own Stop does; those running, in words.

    Training keeps the best model so far; a band-by-band prediction keeps the
    bands done, a plane-by-plane one the planes done; a folder run keeps the
    images done. An in-memory Predict and Compare strategies (its own panel,
    with its own Stop) are left to finish.
    """
    files = dock.files
    jobs = [
        ("training", dock.stop.enabled, dock.stop.clicked.emit),
        ("the band-by-band prediction", files.lazy.running, files.lazy.stop),
        ("the plane-by-plane prediction", files.stack.running, files.stack.stop),
        ("the folder run", files.folder.running, files.folder.stop.clicked.emit),
    ]
    stopped = []
    for name, running, stop in jobs:
        if running:
            stop()
            stopped.append(name)
    return stopped
