"""Letting go of a closing dock's worker: stop asked, no slot called any more, bar closed."""

import threading

from napari.qt.threading import create_worker

from napari_finetune._widgets._workers import disconnect_worker, let_go


class Bar:
    closed = False

    def close(self):
        self.closed = True


def steps():
    yield 1
    return 2


def test_let_go_stops_disconnects_and_closes_the_bar(qtbot):
    heard = []
    generator = create_worker(steps, _start_thread=False, _ignore_errors=True)
    function = create_worker(sum, [1, 2], _start_thread=False, _ignore_errors=True)
    for worker in (generator, function):
        for name in ("returned", "errored", "finished"):
            getattr(worker, name).connect(lambda *args, name=name: heard.append(name))
    generator.yielded.connect(heard.append)
    stop, bar = threading.Event(), Bar()
    let_go(generator, bar, stop)
    disconnect_worker(function)  # a function worker has no yielded: no error
    disconnect_worker(None)
    assert stop.is_set() and bar.closed
    generator.yielded.emit(1)
    for worker in (generator, function):
        worker.returned.emit(2)
        worker.finished.emit()
    assert heard == []
