"""The training progress bar: napari's bar, with a spinner that steps with training."""

import warnings

from qtpy.QtGui import QMovie
from qtpy.QtWidgets import QApplication

from napari_finetune._widgets._progress import TrainingProgress, _activity_spinner


def test_spinner_turns_only_when_training_reports_progress(make_napari_viewer):
    viewer = make_napari_viewer()
    spinner = _activity_spinner(viewer)
    assert spinner is not None  # napari still has the status-bar animation
    bar = TrainingProgress(viewer, 100, "Fine-tune")
    QApplication.processEvents()
    bar.update(10, 100)
    assert spinner.state() == QMovie.MovieState.Paused  # no free-running 25 fps repaints
    frame = spinner.currentFrameNumber()
    bar.update(20, 120)
    assert spinner.currentFrameNumber() == (frame + 1) % spinner.frameCount()
    assert (bar.step, bar._bar.total) == (20, 120)
    bar.close()
    assert spinner.state() != QMovie.MovieState.Paused  # napari's own behaviour again


def test_the_spinner_is_found_through_the_viewer_proxy_napari_gives_plugins(
    make_napari_viewer_proxy,
):
    viewer = make_napari_viewer_proxy()
    with warnings.catch_warnings():
        # the proxy warns on private attributes now, and refuses them from napari 0.10
        warnings.simplefilter("error")
        spinner = _activity_spinner(viewer)
    assert isinstance(spinner, QMovie)


def test_progress_without_a_status_bar_spinner_still_counts():
    class NoWindow:
        window = None

    bar = TrainingProgress(NoWindow(), 5, "Fine-tune")
    bar.update(7, 5)
    assert (bar.step, bar._bar.total) == (7, 7)
    bar.close()


def test_training_plot_ticks_whole_epochs(qtbot):
    from napari_finetune._widgets._training_plot import TrainingPlot

    plot = TrainingPlot()
    qtbot.addWidget(plot)
    for epoch, loss in [(1, 0.9), (2, 0.5), (3, 0.4)]:
        plot.add_epoch(epoch, loss, loss + 0.1, 0.8)
    plot.figure.canvas.draw()
    low, high = plot.loss_axes.get_xlim()
    ticks = [t for t in plot.loss_axes.get_xticks() if low <= t <= high]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)


def test_a_bar_is_opened_once_though_opening_it_processes_the_event_that_asks_again(
    make_napari_viewer, monkeypatch
):
    from napari_finetune._widgets import _progress

    viewer = make_napari_viewer()
    opened = []

    class Dock:
        _progress = None

        def on_event(self):  # the dock's handler: a bar unless one is there
            if self._progress is None:
                _progress.open_bar(self, "_progress", viewer, 0, "Fine-tune")

    dock = Dock()

    class Reentrant(_progress.TrainingProgress):
        def __init__(self, *args):
            opened.append(1)
            dock.on_event()  # napari processed Qt events: the next event came in meanwhile
            super().__init__(*args)

    monkeypatch.setattr(_progress, "TrainingProgress", Reentrant)
    dock.on_event()
    assert opened == [1] and isinstance(dock._progress, Reentrant)
    dock._progress.close()


def test_a_bar_whose_job_ended_while_it_opened_is_closed_and_updates_are_kept(
    make_napari_viewer, monkeypatch
):
    from napari_finetune._widgets import _progress

    viewer = make_napari_viewer()
    closed, owner = [], type("Dock", (), {"_progress": None})()
    original = _progress.TrainingProgress

    class Reentrant(_progress.TrainingProgress):
        def __init__(self, *args):
            owner._progress.update(7, 50)  # a Started came in while napari opened the bar
            super().__init__(*args)

        def close(self):
            closed.append(self)
            super().close()

    monkeypatch.setattr(_progress, "TrainingProgress", Reentrant)
    _progress.open_bar(owner, "_progress", viewer, 0, "Fine-tune")
    assert owner._progress.step == 7 and not closed  # the update waited for the bar

    class Ending(Reentrant):
        def __init__(self, *args):
            owner._progress.close()  # the job's end: its bar closed and dropped
            owner._progress = None
            original.__init__(self, *args)

    monkeypatch.setattr(_progress, "TrainingProgress", Ending)
    owner._progress.close()
    closed.clear()
    _progress.open_bar(owner, "_progress", viewer, 0, "Fine-tune")
    assert owner._progress is None and len(closed) == 1  # not left open for the next job


def test_a_line_said_while_the_bar_moves_is_not_hidden_by_the_step_that_moved_it(painted):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
    from napari_finetune.training.events import Preparing, Step

    dock = FineTuneWidget(painted)
    later = Preparing("predicting the painted planes", 0.9)

    class Bar:  # napari's bar processes Qt events as it moves: a later event arrives inside
        def update(self, step, total):
            dock._on_event(later)

        def close(self):
            pass

    dock._progress, dock._last_refresh = Bar(), 0.0
    dock._on_event(Step(10, 100, 1, 0.3, {}, 5.0, 100.0, 55.0))
    assert dock.status.value == "Preparing: predicting the painted planes…"
