"""*Compare strategies…* in the Fine-tune dock: the strategy advisor on the user's paintings.

The core (:mod:`napari_finetune.training.advisor`) plans the comparison (which
painted regions are held out, the nested subsets), trains and scores every
run, and recommends; this panel takes the dock's painted pairs, start model,
augmentation and device, drives the comparison in a napari worker with a
progress bar and Stop, redraws the figure after every run, and sets the
recommended strategy, the start model it was measured from, its BatchNorm and
pseudo-labels with one click.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from magicgui.widgets import CheckBox, Container, PushButton, SpinBox
from matplotlib.figure import Figure
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info, show_warning

from napari_finetune._widgets._advisor_options import ComparisonOptions
from napari_finetune._widgets._advisor_use import apply_pick
from napari_finetune._widgets._controls import button_row, form, wrapping_label
from napari_finetune._widgets._progress import open_bar
from napari_finetune._widgets._training_plot import BACKGROUND, DockCanvas
from napari_finetune._widgets._workers import let_go
from napari_finetune.choices import STRATEGY_CHOICES
from napari_finetune.session.advisor_pick import MeasuredOn, compare_measured
from napari_finetune.session.policy import resolve_start
from napari_finetune.session.stopping import until_stopped
from napari_finetune.training.advisor import (
    ComparisonFinished,
    ComparisonStarted,
    RunDone,
    RunProgress,
)
from napari_finetune.training.advisor_candidates import estimated_seconds, planned_runs
from napari_finetune.training.advisor_plot import draw_comparison
from napari_finetune.training.advisor_result import StrategyComparison
from napari_finetune.training.events import Preparing

if TYPE_CHECKING:
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

PLANNING = "Planning: which painted regions are held out…"


def _compare(
    stop: threading.Event, start: object, current: object, pairs: list, **kw: object
) -> Iterator[object]:
    """In the worker: load the start (a checkpoint), read and hash the paintings, run."""
    model = resolve_start(start, current, "finetune")[0]
    yield from until_stopped(compare_measured(start, current, model, pairs, **kw), stop)


class StrategyAdvisor(Container):
    """Short runs of each strategy on the dock's paintings; plot, pick, one click to use it.

    Parameters
    ----------
    dock : FineTuneWidget
        Whose painted pairs, start model, augmentation and device are compared,
        and whose strategy the pick is set in.
    """

    def __init__(self, dock: FineTuneWidget) -> None:
        super().__init__(labels=False)
        self._dock = dock
        self._worker = self._progress = None
        self._runs: list = []
        self._held_out, self._grouping = 0, ""
        self._caution: str | None = None
        self.intro = wrapping_label(
            "Each strategy trains briefly on 25, 50 and 100 % of your painted regions, "
            "with two seeds; every run is scored on the same painted regions held out "
            "from training."
        )
        self.seconds = SpinBox(value=8, min=2, max=600, label="seconds per run")
        self.seeds = SpinBox(value=2, min=2, max=10, label="seeds")
        self.choose = {
            name: CheckBox(value=True, text=name, tooltip=f"compare '{name}'")
            for name in STRATEGY_CHOICES
        }
        self.also = ComparisonOptions(dock)
        self.estimate = wrapping_label()
        self.start = PushButton(text="Compare")
        self.stop = PushButton(text="Stop", enabled=False)
        self.plot = DockCanvas(Figure(figsize=(4.2, 3.8), facecolor=BACKGROUND))
        self.plot.setMinimumHeight(360)
        self.verdict = wrapping_label()
        self.use = PushButton(text="Use the recommended strategy", enabled=False)
        self.extend(
            [
                self.intro,
                form(self.seconds, self.seeds),
                button_row(*self.choose.values()),
                *self.also.boxes,
                self.estimate,
                button_row(self.start, self.stop),
                self.verdict,
                button_row(self.use),
            ]
        )
        layout = self.native.layout()
        layout.insertWidget(layout.indexOf(self.estimate.native) + 1, self.plot)
        self._pick = None  # the Recommendation shown
        self._compared_starts: tuple[str, ...] = ()  # the other starts the runs used
        self._measured: MeasuredOn | None = None  # the dock's start and paintings at the runs
        self._plan: tuple = ((), (), ())  # candidates, seeds, subsets' px (ComparisonStarted)
        self._errored = False
        self._stop_asked = threading.Event()
        # Closing the panel mid-run: the comparison stops, and its signals no
        # longer reach the deleted widgets.
        self.native.destroyed.connect(self._on_destroyed)
        for widget in (
            self.seconds,
            self.seeds,
            *self.also.boxes,
            self._dock.settings.source,
            *self.choose.values(),
        ):
            widget.changed.connect(self._update_estimate)
        self.start.changed.connect(self._on_start)
        self.stop.changed.connect(self._on_stop)
        self.use.changed.connect(self._on_use)
        self._update_estimate()

    def strategies(self) -> tuple[str, ...]:
        """The strategies ticked."""
        return tuple(name for name, box in self.choose.items() if box.value)

    @property
    def running(self) -> bool:
        """Whether a comparison is going on."""
        return self._worker is not None

    def _update_estimate(self, _value: object = None) -> None:
        offered = self.also.starts_offered()
        self.also.other_starts.text = f"also start from {', '.join(offered)}"
        self.also.other_starts.visible = bool(offered)
        if not self.strategies():
            self.estimate.value = "Tick at least one strategy."
            return
        runs = planned_runs(
            self.strategies(),
            self.also.bn_modes(),
            self.seeds.value,
            starts=self.also.start_count(),
            pseudo_labels=self.also.pseudo_label_choices(),
        )
        seconds = estimated_seconds(runs, self.seconds.value)
        self.estimate.value = f"{runs} runs, about {seconds / 60:.1f} min on a 2-core CPU."

    def _on_start(self) -> None:
        if self.running:
            return
        if (other := self._dock.busy()) is not None:
            self._say_error(ValueError(f"{other} is running: wait for it or stop it first."))
            return
        try:
            # The paintings copied here; hashing them, planning, loading the model: in the worker.
            pairs = self._dock.pairs.session_pairs()
            options = self._dock.settings.options(None, None)
            class_names = self._dock.pairs.named_classes()  # which classes score as thin
            if not self.strategies():
                raise ValueError("Tick at least one strategy to compare.")
        except ValueError as err:
            self._say_error(err)
            return
        others = self.also.chosen_starts()
        self._compared_starts, self._measured = others, None  # measured in the worker
        self._runs, self._pick, self._errored, self._caution = [], None, False, None
        self.use.enabled, self.use.text = False, "Use the recommended strategy"
        self.verdict.value = PLANNING
        self.start.enabled, self.stop.enabled = False, True
        self._stop_asked = threading.Event()
        worker = create_worker(
            _compare,
            self._stop_asked,
            options.start,
            self._dock.model,
            pairs,  # every painted plane of a stack, as a round trains
            strategies=self.strategies(),
            seeds=tuple(range(self.seeds.value)),
            seconds=float(self.seconds.value),
            augmentation=options.augmentation,
            device=options.device,
            bn_modes=self.also.bn_modes(),
            other_starts=others,
            class_names=class_names,
            pseudo_labels=self.also.pseudo_label_choices(options.semi_supervised),
            _start_thread=False,
            _ignore_errors=True,
        )
        worker.yielded.connect(self._on_event)
        worker.errored.connect(self._say_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _on_event(self, event: object) -> None:
        if isinstance(event, Preparing):  # a lazy image or a deep stack's planes being read
            self.verdict.value = f"Preparing: {event.stage}…"
        elif isinstance(event, MeasuredOn):  # the paintings hashed in the worker, before any run
            self._measured = event
            self.verdict.value = PLANNING
        elif isinstance(event, ComparisonStarted):
            self._held_out, self._grouping = event.held_out_pixels, event.grouping
            self._caution = event.caution
            self._plan = (event.strategies, event.seeds, event.painted_pixels)
            if event.caution:
                # Said at once, before any run: the user may stop and give more seconds.
                self.estimate.value = f"Caution: {event.caution}"
                show_warning(f"Compare strategies: {event.caution}")
            # Opening the bar processes Qt events: open_bar keeps the updates meanwhile.
            open_bar(self, "_progress", self._dock._viewer, 1000, "Compare strategies")
        elif isinstance(event, RunProgress):
            # Said before the bar moves: moving napari's bar processes Qt events, which may
            # deliver the comparison's last events, whose pick this must not overwrite.
            self.verdict.value = (
                f"Run {event.index} of {event.runs}: {event.candidate} on "
                f"{event.painted_pixels:,} painted px, seed {event.seed}…"
            )
            if self._progress is not None:
                self._progress.update(int(1000 * event.progress), 1000)
        elif isinstance(event, RunDone):
            self._runs.append(event.result)
            self._draw()
        elif isinstance(event, ComparisonFinished):
            self._show_pick(event.comparison)

    def _comparison(self) -> StrategyComparison:
        return StrategyComparison(
            tuple(self._runs), self._held_out, self._grouping, self._caution, *self._plan
        )

    def _draw(self) -> None:
        draw_comparison(self.plot.figure, self._comparison(), dark=True)
        self.plot.draw_idle()

    def _show_pick(self, comparison: StrategyComparison) -> None:
        pick = comparison.recommendation()
        self._pick = pick
        self.verdict.value = pick.text
        self.use.text = f"Use '{pick.candidate}'"
        self.use.enabled = pick.complete  # the best so far of a stopped comparison is no pick
        show_info(f"Compare strategies: {pick.text}")

    def _on_use(self) -> None:
        if self._pick is None:
            return
        note = apply_pick(self._dock, self._pick, self._measured, self._compared_starts)
        if note is not None:  # the paintings or the current model changed since the runs
            self.use.enabled = False
            self.verdict.value = f"{self.verdict.value} Not used: {note}"

    def _on_stop(self) -> None:
        if self._worker is not None:
            self._stop_asked.set()
            self.verdict.value = "Stopping after this step…"

    def _on_finished(self) -> None:
        if self._progress is not None:
            self._progress.close()
        self._worker = self._progress = None
        self.start.enabled, self.stop.enabled = True, False
        if self._errored:
            return  # the error stays said
        if self._pick is None and self._runs:
            # Stopped: what the runs so far say, if any was scored.
            try:
                self._show_pick(self._comparison())
                self.verdict.value = f"Stopped after {len(self._runs)} runs. {self.verdict.value}"
            except ValueError:
                self.verdict.value = f"Stopped after {len(self._runs)} runs, none scored."
        elif self._pick is None:
            self.verdict.value = "Stopped before any run finished."

    def _on_destroyed(self, _object: object = None) -> None:
        # The panel is gone: the comparison stops after its current step, unseen,
        # and the dock's start model no longer updates its deleted widgets.
        self._dock.settings.source.changed.disconnect(self._update_estimate)
        worker, bar, self._worker, self._progress = self._worker, self._progress, None, None
        let_go(worker, bar, self._stop_asked)

    def _say_error(self, err: BaseException) -> None:
        self._errored = True
        self.verdict.value = f"Error: {err}"
        show_error(f"Compare strategies: {err}")
