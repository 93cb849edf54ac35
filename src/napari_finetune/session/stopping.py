"""Driving a generator of events until asked to stop, from the thread that runs it."""

from __future__ import annotations

import threading
from collections.abc import Iterator


def until_stopped(events: Iterator, stop: threading.Event) -> Iterator:
    """Yield ``events`` until ``stop`` is set, then close them (a generator function).

    The docks run this in a napari worker: Stop sets the event from the GUI
    thread, and the events are closed here, in the worker, so that their
    clean-up (restoring the kept weights and the thread count, cancelling
    cluster tasks, marking a store incomplete) never runs in the GUI thread.
    The events are closed however the loop ends, errors included.
    """
    try:
        for event in events:
            yield event
            if stop.is_set():
                return
    finally:
        events.close()
