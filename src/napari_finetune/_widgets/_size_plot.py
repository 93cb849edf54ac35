"""The *Measure grains* dock's plot: grain size histogram with its log-normal fit."""

from __future__ import annotations

from matplotlib.figure import Figure

from napari_finetune._widgets._training_plot import BACKGROUND, FOREGROUND, DockCanvas
from napari_finetune.measure import GrainMeasurement
from napari_finetune.measure.figure import draw_size_histogram


class SizePlot(DockCanvas):
    """The grain size histogram with its log-normal fit."""

    def __init__(self) -> None:
        figure = Figure(figsize=(3.6, 2.2), facecolor=BACKGROUND, layout="constrained")
        super().__init__(figure)
        self.axes = figure.add_subplot()
        self.setMinimumHeight(160)
        self.style(self.axes)

    def show(self, measurement: GrainMeasurement | None) -> None:
        """Redraw for ``measurement`` (None: empty)."""
        self.axes.clear()
        self.style(self.axes)
        if measurement is not None:
            draw_size_histogram(self.axes, measurement.report)
            self.axes.xaxis.label.set_color(FOREGROUND)
            self.axes.yaxis.label.set_color(FOREGROUND)
        self.draw_idle()
