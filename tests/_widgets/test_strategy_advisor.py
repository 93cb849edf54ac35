"""*Compare strategies…*: the advisor panel on the dock's paintings, Stop, and one-click use."""

import pytest

from napari_finetune._widgets import _advisor_use
from napari_finetune._widgets import _strategy_advisor as module
from napari_finetune._widgets._advisor_use import measured_now
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.training.advisor_result import RunResult


def head_runs(field, **scores_by_value):
    """Runs of 'head' on 900 px, one candidate per value of ``field``, one run per seed's score."""
    return [
        RunResult("head", 1.0, 900, seed, score, **{field: value})
        for value, scores in scores_by_value.items()
        for seed, score in enumerate(scores)
    ]


def test_the_button_opens_one_panel_that_estimates_its_time(painted):
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    assert dock.advisor.open() is panel  # a second click shows the same panel
    assert panel.estimate.value.startswith("24 runs, about 3.8 min")
    panel.choose["scratch"].value = False
    panel.seeds.value = 3
    assert panel.estimate.value.startswith("27 runs")
    assert panel.strategies() == ("head", "finetune", "gradual")


def test_stop_shows_the_runs_so_far_and_use_sets_the_dock_strategy(painted, qtbot):
    dock = FineTuneWidget(painted)
    before = painted.layers["grains painted"].data.copy()
    panel = dock.advisor.open()
    panel.seconds.value = 2
    for name in ("scratch", "head", "finetune", "gradual"):
        panel.choose[name].value = name == "head"
    panel.start.clicked.emit()
    assert not panel.start.enabled and panel.stop.enabled
    # Both seeds on the smallest share: a pick there, the larger shares missing.
    qtbot.waitUntil(lambda: len(panel._runs) >= 2, timeout=120_000)
    panel.stop.clicked.emit()
    qtbot.waitUntil(lambda: panel._worker is None, timeout=60_000)
    assert panel.start.enabled and not panel.stop.enabled
    assert panel.verdict.value.startswith("Stopped after")
    assert "head: held-out F1" in panel.verdict.value
    assert panel.plot.figure.axes[0].has_data()
    assert panel.use.enabled and panel.use.text == "Use 'head'"
    assert "Stopped before head ran every seed" in panel.verdict.value
    dock.strategy.value = "scratch"
    panel.use.clicked.emit()
    assert dock.strategy.value == "head" and dock.settings.chosen_by_user
    assert (painted.layers["grains painted"].data == before).all()


def test_too_few_painted_regions_are_said_and_nothing_runs(painted, monkeypatch, qtbot):
    errors = []
    monkeypatch.setattr(module, "show_error", errors.append)
    layer = painted.layers["grains painted"]
    layer.data[:] = 0
    layer.data[10:20, 10:20], layer.data[200:210, 200:210] = 1, 2
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: not panel.running, timeout=30_000)
    assert panel.start.enabled and panel._runs == []
    # The error stays said: the end of the worker does not turn it into "Stopped".
    assert panel.verdict.value.startswith("Error: only 2 painted regions: paint at least 2")
    assert errors and errors[0].startswith("Compare strategies: only 2 painted regions")


def test_closing_the_panel_stops_the_comparison_and_training_waits_for_it(painted, qtbot):
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    panel.seconds.value = 60
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: panel._progress is not None, timeout=60_000)
    worker = panel._worker
    dock.train.clicked.emit()  # refused while the comparison runs
    assert dock._worker is None and "Compare strategies is running" in dock.status.value
    assert dock.busy()
    panel.native.close()
    panel.native.deleteLater()
    qtbot.waitUntil(lambda: dock.advisor.panel is None, timeout=10_000)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=30_000)  # well before 60 s runs
    assert not dock.advisor.running
    dock.settings.source.value = "world-unet"  # reaches no deleted panel widget


def test_a_pick_from_runs_is_shown_in_words(painted):
    panel = FineTuneWidget(painted).advisor.open()
    panel._runs = [RunResult("gradual", 1.0, 900, s, 0.8 + s / 100) for s in (0, 1)]
    panel._held_out = 300
    panel._show_pick(panel._comparison())
    assert panel.verdict.value.startswith("gradual: held-out F1 0.805 (0.800–0.810 over 2 seeds)")
    assert panel.use.text == "Use 'gradual'"


def test_a_stopped_comparison_offers_no_pick_that_barely_ran(painted):
    panel = FineTuneWidget(painted).advisor.open()
    panel._plan = (("scratch", "head"), (0, 1), (300, 900))
    panel._runs = [RunResult("head", 1.0, 300, s, 0.8) for s in (0, 1)]
    panel._runs += [RunResult("scratch", 1.0, 300, s, 0.5) for s in (0, 1)]
    panel._runs.append(RunResult("scratch", 1.0, 900, 0, 0.99))  # alone with all labels
    panel._show_pick(panel._comparison())
    assert panel.use.text == "Use 'head'" and panel.use.enabled
    assert "Stopped before scratch, head ran every seed" in panel.verdict.value
    panel._runs = panel._runs[:1]  # one seed of one candidate: the best so far only
    panel._show_pick(panel._comparison())
    assert not panel.use.enabled and "not a pick" in panel.verdict.value


def test_use_sets_the_start_the_pick_was_measured_from_or_refuses(painted):
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    dock.settings.source.value = "voronoi-unet"
    panel._measured = measured_now(dock, dock.pairs.session_pairs())
    panel._runs = [RunResult("head", 1.0, 900, s, 0.8 + s / 100) for s in (0, 1)]
    panel._show_pick(panel._comparison())
    dock.settings.source.value = "world-unet"  # switched after the runs
    panel.use.clicked.emit()
    assert dock.settings.source.value == "voronoi-unet" and dock.strategy.value == "head"
    # A stroke painted after the runs: the pick measured other labels.
    dock.strategy.value = "scratch"
    data = painted.layers["grains painted"].data
    data[5, 5] = 1 if data[5, 5] != 1 else 2
    panel.use.clicked.emit()
    assert not panel.use.enabled and dock.strategy.value == "scratch"
    assert "Not used: your paintings changed after the comparison" in panel.verdict.value


def test_pseudo_labels_on_and_off_are_compared_and_use_sets_the_dock_box(painted):
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    # Until compared both ways, the runs train as the dock would: auto, or the user's click.
    assert panel.also.pseudo_label_choices(dock.settings.options(None, None).semi_supervised) == (
        "auto",
    )
    assert panel.also.pseudo_label_choices(False) == ("off",)
    panel.also.pseudo_labels.value = True
    assert panel.estimate.value.startswith("42 runs")  # scratch once, 3 strategies both ways
    assert panel.also.pseudo_label_choices(False) == ("off", "on")
    panel._measured = measured_now(dock, dock.pairs.session_pairs())
    panel._runs = head_runs("pseudo_labels", on=(0.80, 0.81), off=(0.84, 0.86))
    panel._show_pick(panel._comparison())
    assert panel.use.text == "Use 'head (no pseudo-labels)'"
    assert dock.semi_supervised.value and not dock.settings.semi_chosen_by_user  # strokes: auto on
    panel.use.clicked.emit()
    assert dock.strategy.value == "head" and not dock.semi_supervised.value
    # The user's choice now, said so, and what the next round trains with.
    assert dock.settings.semi_chosen_by_user and "(your choice)" in dock.semi_supervised_info.value
    assert dock.settings.options(None, None).semi_supervised is False


def test_compare_runs_with_the_dock_s_own_pseudo_label_choice(painted, qtbot, monkeypatch):
    asked = []

    def recorded(start, current, model, pairs, **kwargs):
        asked.append(kwargs["pseudo_labels"])
        yield from ()

    monkeypatch.setattr(module, "compare_measured", recorded)
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    panel.start.clicked.emit()  # strokes, box untouched: the painting decides
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    dock.semi_supervised.value = False  # the user's click: off
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    panel.also.pseudo_labels.value = True
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    assert asked == [("auto",), ("off",), ("off", "on")]
    assert panel.also.pseudo_label_choices(True) == ("off", "on")
    panel.also.pseudo_labels.value = False
    assert panel.also.pseudo_label_choices(True) == ("on",)
    # A pick the painting decided leaves the box to it.
    panel._measured = measured_now(dock, dock.pairs.session_pairs())
    fresh = FineTuneWidget(painted)
    panel._runs = [RunResult("head", 1.0, 900, s, 0.8) for s in (0, 1)]
    panel._show_pick(panel._comparison())
    _advisor_use.apply_pick(fresh, panel._pick, panel._measured, ())
    assert fresh.strategy.value == "head" and not fresh.settings.semi_chosen_by_user


# Slow: a comparison from two starts; the core's is in tests/training/test_advisor.py,
# Use in the test above.
@pytest.mark.slow
def test_other_start_models_are_offered_run_and_set_in_the_dock(painted, qtbot):
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    assert panel.also.other_starts.text == "also start from voronoi-unet"
    panel.also.other_starts.value = True
    # scratch once per share and seed, every pretrained strategy from both starts.
    assert panel.estimate.value.startswith("42 runs")
    dock.settings.source.value = "voronoi-unet"
    assert panel.also.other_starts.text == "also start from world-unet"
    panel.seconds.value = 2
    for name in ("scratch", "head", "finetune", "gradual"):
        panel.choose[name].value = name == "head"
    assert panel.estimate.value.startswith("12 runs")
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: len(panel._runs) >= 2, timeout=120_000)
    panel.stop.clicked.emit()
    qtbot.waitUntil(lambda: panel._worker is None, timeout=60_000)
    assert {r.start for r in panel._runs[:2]} == {"voronoi-unet", "world-unet"}
    # A pick from world-unet: Use switches the dock's start model as well.
    panel._runs = head_runs("start", **{"voronoi-unet": (0.80, 0.81), "world-unet": (0.84, 0.86)})
    panel._show_pick(panel._comparison())
    assert panel.use.text == "Use 'head from world-unet'"
    panel.use.clicked.emit()
    assert dock.settings.source.value == "world-unet" and dock.strategy.value == "head"
    assert "head from world-unet" in dock.status.value


def test_a_caution_about_short_runs_is_shown_before_the_first_run(painted, qtbot, monkeypatch):
    warnings = []
    monkeypatch.setattr(module, "show_warning", warnings.append)
    painted.layers["grains painted"].data[300:340, 300:340] = 3  # a third class
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    panel.seconds.value = 2
    for name in ("scratch", "head", "finetune", "gradual"):
        panel.choose[name].value = name == "head"
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: panel.estimate.value.startswith("Caution:"), timeout=60_000)
    assert "Give each run 30 s or more" in panel.estimate.value
    assert warnings and "3 classes" in warnings[0]
    qtbot.waitUntil(lambda: len(panel._runs) >= 1, timeout=60_000)
    panel.stop.clicked.emit()
    qtbot.waitUntil(lambda: panel._worker is None, timeout=60_000)
    assert "Caution: your painting has 3 classes" in panel.verdict.value


@pytest.fixture(autouse=True)
def _no_notifications(monkeypatch):
    monkeypatch.setattr(module, "show_info", lambda *a: None)


def test_the_start_model_loads_in_the_worker_not_the_gui_thread(painted, qtbot, monkeypatch):
    import threading

    threads = []

    def broken_checkpoint(start, current, strategy):
        threads.append(threading.current_thread())
        raise ValueError("checkpoint mine.ckpt is unreadable")

    monkeypatch.setattr(module, "resolve_start", broken_checkpoint)
    monkeypatch.setattr(module, "show_error", lambda *a: None)
    panel = FineTuneWidget(painted).advisor.open()
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: not panel.running, timeout=30_000)
    assert threads and threads[0] is not threading.main_thread()
    assert panel.verdict.value == "Error: checkpoint mine.ckpt is unreadable"


def test_the_paintings_are_hashed_in_the_worker_as_use_hashes_them(painted, qtbot, monkeypatch):
    import threading

    from napari_finetune.session import advisor_pick

    hashed_in_gui_thread = []
    fingerprint = advisor_pick.painting_fingerprint

    def noted(images, labels):
        hashed_in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return fingerprint(images, labels)

    monkeypatch.setattr(advisor_pick, "painting_fingerprint", noted)
    monkeypatch.setattr(_advisor_use, "painting_fingerprint", noted, raising=False)  # was there
    dock = FineTuneWidget(painted)
    panel = dock.advisor.open()
    panel.start.clicked.emit()
    assert True not in hashed_in_gui_thread  # the click hashes nothing
    qtbot.waitUntil(lambda: panel._measured is not None, timeout=60_000)
    panel.stop.clicked.emit()
    qtbot.waitUntil(lambda: panel._worker is None, timeout=60_000)
    assert hashed_in_gui_thread == [False]  # once, in the worker
    # What Use compares it with, hashed at its click: the same paintings, the same digest.
    assert panel._measured == measured_now(dock, dock.pairs.session_pairs())


def test_a_stack_is_compared_on_every_painted_plane_not_the_plane_in_view(
    make_napari_viewer, qtbot, monkeypatch
):
    import numpy as np

    import napari_finetune as nf
    from napari_finetune.session.deep_stacks import painted_planes
    from napari_finetune.synth.strokes import paint_strokes

    samples = [nf.voronoi_grains((96, 112), 8, seed=s) for s in range(5)]
    labels = np.zeros((5, 96, 112), np.uint8)
    for z in (1, 3):
        labels[z] = paint_strokes(samples[z], seed=z)
    viewer = make_napari_viewer()
    viewer.add_image(np.stack([s.image for s in samples]), name="serial sections")
    viewer.add_labels(labels, name="serial sections painted")
    viewer.dims.set_current_step(0, 0)  # an unpainted plane in view
    asked = []

    def recorded(start, current, model, pairs, **kwargs):
        asked.append(pairs)
        yield from ()

    monkeypatch.setattr(module, "compare_measured", recorded)
    panel = FineTuneWidget(viewer).advisor.open()
    panel.start.clicked.emit()
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    [[pair]] = asked
    assert pair.plane == 0 and painted_planes(pair.labels) == [1, 3]
    np.testing.assert_array_equal(pair.labels, labels)
    assert pair.labels is not viewer.layers["serial sections painted"].data  # a snapshot


def test_the_pick_stays_said_when_it_arrives_while_the_bar_moves(painted):
    from napari_finetune.training.advisor import ComparisonFinished, RunProgress

    panel = FineTuneWidget(painted).advisor.open()
    panel._runs = [RunResult("head", 1.0, 900, s, 0.8) for s in (0, 1)]
    panel._held_out = 300
    finished = ComparisonFinished(panel._comparison(), 1.0)

    class Bar:  # napari's bar processes Qt events as it moves: the last events arrive inside
        def update(self, step, total):
            panel._progress = None
            panel._on_event(finished)

    panel._progress = Bar()
    panel._on_event(RunProgress(2, 2, "head", 900, 1, 1.0, 1.0))
    assert panel.verdict.value.startswith("head: held-out F1 0.800")
