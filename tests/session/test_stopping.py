"""until_stopped: the docks' worker loop closes its events on Stop, at the end and on errors."""

import threading

import pytest

from napari_finetune.session.stopping import until_stopped


def events(log, fail_at=None):
    try:
        for k in range(5):
            if k == fail_at:
                raise ValueError("bad band")
            yield k
    finally:
        log.append("closed")


def test_stop_closes_the_events_after_the_event_in_hand():
    log, stop = [], threading.Event()
    seen = []
    for event in until_stopped(events(log), stop):
        seen.append(event)
        if event == 1:
            stop.set()
    assert seen == [0, 1] and log == ["closed"]


def test_the_events_are_closed_at_the_end_and_on_errors():
    log = []
    assert list(until_stopped(events(log), threading.Event())) == [0, 1, 2, 3, 4]
    assert log == ["closed"]
    log = []
    with pytest.raises(ValueError, match="bad band"):
        list(until_stopped(events(log, fail_at=2), threading.Event()))
    assert log == ["closed"]
