"""Live plots in the dock: per-epoch learning curves and per-round active learning."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# napari's dark theme, so the plot does not glare in the dock.
BACKGROUND, FOREGROUND = "#262930", "#d6d0ce"
TRAIN, VALIDATION, SCORE = "#5fa8ff", "#ff9f40", "#7fd87f"


class DockCanvas(FigureCanvasQTAgg):
    """A matplotlib canvas styled for napari's dark dock, safe to close any time."""

    def draw(self) -> None:
        """Draw now; a redraw scheduled just before the dock closed is dropped."""
        try:
            super().draw()
        except RuntimeError:  # the Qt widget was deleted while a draw_idle was pending
            return

    @staticmethod
    def style(ax: object) -> None:
        """Dark background, light ticks and spines."""
        ax.set_facecolor(BACKGROUND)
        ax.tick_params(colors=FOREGROUND, labelsize=7)
        for spine in ax.spines.values():
            spine.set_color(FOREGROUND)


def placeholder(ax: object, text: str) -> None:
    """Say in an empty plot what it will show."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", color=FOREGROUND, fontsize=8)


class TrainingPlot(DockCanvas):
    """Loss and score per epoch; call :meth:`add_epoch`, then it redraws when idle."""

    def __init__(self) -> None:
        figure = Figure(figsize=(3.6, 2.4), facecolor=BACKGROUND, layout="constrained")
        super().__init__(figure)
        self.loss_axes = figure.add_subplot()
        self.score_axes = self.loss_axes.twinx()
        self.setMinimumHeight(190)
        self.clear()

    def clear(self) -> None:
        """Forget all epochs (a new run)."""
        self.epochs: list[int] = []
        self.train: list[float] = []
        self.validation: list[float | None] = []
        self.score: list[float | None] = []
        self.folded_after: int | None = None  # the held-out pixels train after this epoch
        self._redraw()

    def add_epoch(
        self,
        epoch: int,
        train_loss: float,
        validation_loss: float | None,
        score: float | None,
        folded_in: bool = False,
    ) -> None:
        """Append one epoch and schedule a redraw (never blocks the GUI).

        ``folded_in``: the held-out pixels train from the next epoch on, so the
        validation curves end here; a dotted line marks it.
        """
        if folded_in:
            self.folded_after = epoch
        self.epochs.append(epoch)
        self.train.append(train_loss)
        self.validation.append(validation_loss)
        self.score.append(score)
        self._redraw()

    def settle_fold_in(self, folded_after: int | None) -> None:
        """The run's last word on the fold-in (its round's ``Round.folded_after``).

        A fold-in that no step followed is withdrawn by the engine: its line goes.
        """
        if folded_after != self.folded_after:
            self.folded_after = folded_after
            self._redraw()

    def _redraw(self) -> None:
        loss, score = self.loss_axes, self.score_axes
        loss.clear()
        score.clear()
        for ax in (loss, score):
            self.style(ax)
        # Clearing a twin axis puts its ticks and label back on the left, over the loss ones.
        score.yaxis.tick_right()
        score.yaxis.set_label_position("right")
        score.tick_params(axis="y", colors=SCORE)
        loss.set_xlabel("epoch", color=FOREGROUND, fontsize=8, labelpad=1)
        loss.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        loss.set_ylabel("loss", color=FOREGROUND, fontsize=8)
        score.set_ylabel("validation F1", color=SCORE, fontsize=8)
        score.set_ylim(0, 1)
        self.figure.legends.clear()
        if not self.epochs:
            placeholder(loss, "loss and validation F1 per epoch")
        else:
            loss.plot(self.epochs, self.train, color=TRAIN, marker=".", label="train loss")
            held = [
                (e, v) for e, v in zip(self.epochs, self.validation, strict=True) if v is not None
            ]
            if held:
                epochs, losses = zip(*held, strict=True)
                loss.plot(epochs, losses, color=VALIDATION, marker=".", label="val. loss")
            scored = [
                (e, s) for e, s in zip(self.epochs, self.score, strict=True) if s is not None
            ]
            if scored:
                score.plot(
                    *zip(*scored, strict=True),
                    color=SCORE,
                    linestyle="--",
                    marker=".",
                    label="val. F1",
                )
            if self.folded_after is not None:
                loss.axvline(
                    self.folded_after + 0.5,
                    color=FOREGROUND,
                    linestyle=":",
                    linewidth=1,
                    label="held-out px train",
                )
            lines = loss.get_lines() + score.get_lines()
            # Above the axes, in one row: it never hides a curve.
            self.figure.legend(
                lines,
                [line.get_label() for line in lines],
                loc="outside upper center",
                ncols=len(lines),
                fontsize=7,
                frameon=False,
                labelcolor=FOREGROUND,
                handlelength=1.5,
                columnspacing=1.0,
            )
        self.draw_idle()


class RoundsPlot(DockCanvas):
    """Active learning: the kept model's validation F1 against painted pixels, per round."""

    def __init__(self) -> None:
        figure = Figure(figsize=(3.6, 1.8), facecolor=BACKGROUND, layout="constrained")
        super().__init__(figure)
        self.axes = figure.add_subplot()
        self.setMinimumHeight(120)
        self.points: list[tuple[int, float]] = []
        self._redraw()

    def set_rounds(self, points: list[tuple[int, float]]) -> None:
        """Replace the points ``(painted pixels, validation F1 of the kept model)``."""
        self.points = list(points)
        self._redraw()

    def _redraw(self) -> None:
        ax = self.axes
        ax.clear()
        self.style(ax)
        ax.set_xlabel("painted pixels", color=FOREGROUND, fontsize=8, labelpad=1)
        ax.set_ylabel("val. F1", color=FOREGROUND, fontsize=8)
        if not self.points:
            placeholder(ax, "validation F1 of each round's model")
        else:
            ax.margins(x=0.08, y=0.25)  # round numbers beside the end points stay inside
            xs, ys = zip(*self.points, strict=True)
            ax.plot(xs, ys, color="#ffd54f", marker="o")
            for k, (x, y) in enumerate(self.points, start=1):
                ax.annotate(
                    f"{k}",
                    (x, y),
                    color=FOREGROUND,
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        self.draw_idle()
