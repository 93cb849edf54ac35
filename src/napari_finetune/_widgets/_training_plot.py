"""Live plots in the dock: per-epoch learning curves and per-round active learning."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# napari's dark theme, so the plot does not glare in the dock.
BACKGROUND, FOREGROUND = "#262930", "#d6d0ce"


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


class TrainingPlot(DockCanvas):
    """Loss and score per epoch; call :meth:`add_epoch`, then it redraws when idle."""

    def __init__(self) -> None:
        figure = Figure(figsize=(3.6, 2.4), facecolor=BACKGROUND, layout="constrained")
        super().__init__(figure)
        self.loss_axes = figure.add_subplot()
        self.score_axes = self.loss_axes.twinx()
        self.setMinimumHeight(170)
        self.clear()

    def clear(self) -> None:
        """Forget all epochs (a new run)."""
        self.epochs: list[int] = []
        self.train: list[float] = []
        self.validation: list[float | None] = []
        self.score: list[float | None] = []
        self._redraw()

    def add_epoch(
        self, epoch: int, train_loss: float, validation_loss: float | None, score: float | None
    ) -> None:
        """Append one epoch and schedule a redraw (never blocks the GUI)."""
        self.epochs.append(epoch)
        self.train.append(train_loss)
        self.validation.append(validation_loss)
        self.score.append(score)
        self._redraw()

    def _redraw(self) -> None:
        loss, score = self.loss_axes, self.score_axes
        loss.clear()
        score.clear()
        for ax in (loss, score):
            self.style(ax)
        loss.set_xlabel("epoch", color=FOREGROUND, fontsize=8)
        loss.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        loss.set_ylabel("loss", color=FOREGROUND, fontsize=8)
        score.set_ylabel("validation F1", color="#7fd87f", fontsize=8)
        score.set_ylim(0, 1)
        if self.epochs:
            loss.plot(self.epochs, self.train, color="#5fa8ff", marker=".", label="train loss")
            held = [
                (e, v) for e, v in zip(self.epochs, self.validation, strict=True) if v is not None
            ]
            if held:
                loss.plot(
                    *zip(*held, strict=True), color="#ff9f40", marker=".", label="validation loss"
                )
            scored = [
                (e, s) for e, s in zip(self.epochs, self.score, strict=True) if s is not None
            ]
            if scored:
                score.plot(
                    *zip(*scored, strict=True),
                    color="#7fd87f",
                    linestyle="--",
                    marker=".",
                    label="validation F1",
                )
            lines = loss.get_lines() + score.get_lines()
            loss.legend(
                lines,
                [line.get_label() for line in lines],
                fontsize=7,
                facecolor=BACKGROUND,
                labelcolor=FOREGROUND,
                loc="upper right",
            )
        self.draw_idle()


class RoundsPlot(DockCanvas):
    """Active learning: best validation F1 against painted pixels, one point per round."""

    def __init__(self) -> None:
        figure = Figure(figsize=(3.6, 1.8), facecolor=BACKGROUND, layout="constrained")
        super().__init__(figure)
        self.axes = figure.add_subplot()
        self.setMinimumHeight(120)
        self.points: list[tuple[int, float]] = []
        self._redraw()

    def set_rounds(self, points: list[tuple[int, float]]) -> None:
        """Replace the points ``(painted pixels, best validation F1)``."""
        self.points = list(points)
        self._redraw()

    def _redraw(self) -> None:
        ax = self.axes
        ax.clear()
        self.style(ax)
        ax.set_xlabel("painted pixels", color=FOREGROUND, fontsize=8)
        ax.set_ylabel("best val. F1", color=FOREGROUND, fontsize=8)
        if self.points:
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
