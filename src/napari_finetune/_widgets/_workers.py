"""Letting go of the worker of a dock that is closing: stop it, disconnect it, close its bar."""

from __future__ import annotations

import contextlib
import threading

# The worker signals the docks connect to (a function worker has no ``yielded``).
SIGNALS = ("yielded", "returned", "errored", "finished")


def disconnect_worker(worker: object | None) -> None:
    """Disconnect every slot from the worker's signals: what it still emits reaches no one.

    For a dock whose Qt widgets are gone. superqt's own bookkeeping (its
    private ``_finished`` signal) stays connected, so the worker is still
    released when it ends.

    Parameters
    ----------
    worker : napari worker or None
        A function or generator worker, running or ended; None does nothing.
    """
    if worker is None:
        return
    for name in SIGNALS:
        # RuntimeError: it ended and its signals are gone; TypeError: nothing was
        # connected; AttributeError: a function worker has no yielded.
        with contextlib.suppress(RuntimeError, TypeError, AttributeError):
            getattr(worker, name).disconnect()


def let_go(worker: object | None, bar: object | None, stop: threading.Event | None = None) -> None:
    """The dock is gone: ask the run to stop, disconnect the worker, close the progress bar.

    Parameters
    ----------
    worker : napari worker or None
        The dock's running worker, if any (:func:`disconnect_worker`).
    bar : TrainingProgress or None
        Its progress bar, if open.
    stop : threading.Event, optional
        Set, so that the run ends after its current step instead of running on unseen.
    """
    if stop is not None:
        stop.set()
    disconnect_worker(worker)
    if bar is not None:
        bar.close()
