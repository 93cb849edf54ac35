"""Letting go of a training worker when its dock is closed, without losing its clean-up."""

from __future__ import annotations

from collections.abc import Callable


def release_worker(worker: object, close_events: Callable[[], None]) -> None:
    """Disconnect ``worker`` from the closed dock, stop it and close its events once it ends.

    The generator stays suspended in the worker; closing it once the worker has
    let go of it runs the engine's clean-up (kept weights, provenance). A worker
    that has already ended (its signals are gone) needs nothing more.
    """
    try:
        for signal in (worker.yielded, worker.errored, worker.finished):
            signal.disconnect()
    except RuntimeError:  # the worker has ended and its signals are gone
        return
    worker.quit()
    worker.finished.connect(close_events)
