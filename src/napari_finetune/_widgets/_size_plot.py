"""The *Measure grains* dock's plot: grain size histogram with its log-normal fit.

One image's (or plane's) grains, or after *Every plane* a stack's planes pooled;
for a map of phases only, the phases' area fractions with their 95 % intervals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from napari_finetune._widgets._training_plot import BACKGROUND, FOREGROUND, DockCanvas
from napari_finetune.measure import GrainMeasurement
from napari_finetune.measure.figure import draw_diameters, draw_size_histogram
from napari_finetune.measure.phase_export import Colours, draw_phase_fractions


class SizePlot(DockCanvas):
    """The grain size histogram with its log-normal fit, or a phase map's fractions."""

    def __init__(self) -> None:
        figure = Figure(figsize=(3.6, 2.2), facecolor=BACKGROUND, layout="constrained")
        super().__init__(figure)
        self.axes = figure.add_subplot()
        self.setMinimumHeight(160)
        self.style(self.axes)

    def show(self, measurement: GrainMeasurement | None) -> None:
        """Redraw for ``measurement`` (None: empty)."""
        self._redraw(lambda: draw_size_histogram(self.axes, measurement.report), measurement)

    def show_phases(
        self, phases: pd.DataFrame, colours: Colours | None = None, title: str = ""
    ) -> None:
        """Redraw as bars of each phase's area fraction (a map, or a stack, without grains)."""

        def draw() -> None:
            draw_phase_fractions(self.axes, phases, colours)
            for label in self.axes.get_yticklabels():
                label.set_color(FOREGROUND)
            self.axes.set_title(title, fontsize=8)
            self.axes.title.set_color(FOREGROUND)

        self._redraw(draw, phases)

    def show_pooled(
        self,
        ecd: np.ndarray,
        unit: str,
        lognormal: tuple[float, float] | None,
        planes: int,
    ) -> None:
        """Redraw for the diameters of a stack's ``planes`` pooled, with their own fit."""

        def draw() -> None:
            draw_diameters(self.axes, ecd, unit, lognormal)
            self.axes.set_title(f"{ecd.size:,} grains of {planes} planes", fontsize=8)
            self.axes.title.set_color(FOREGROUND)

        self._redraw(draw, ecd)

    def _redraw(self, draw: Callable[[], None], shown: object) -> None:
        self.axes.clear()
        self.style(self.axes)
        if shown is not None:
            draw()
            self.axes.xaxis.label.set_color(FOREGROUND)
            self.axes.yaxis.label.set_color(FOREGROUND)
        self.draw_idle()
