"""Pictures of a grain report: the size histogram with its log-normal fit, and a PNG page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter
from scipy import stats
from skimage.segmentation import find_boundaries

from napari_finetune.measure.report import GrainReport


def draw_size_histogram(ax: object, report: GrainReport, colour: str = "#4fc3f7") -> None:
    """ECD histogram on a log axis, with the log-normal fit scaled to the counts."""
    ecd = report.counted["ecd"].to_numpy()
    draw_diameters(ax, ecd, report.calibration.unit, report.lognormal, colour)


def draw_diameters(
    ax: object,
    ecd: np.ndarray,
    unit: str,
    lognormal: tuple[float, float] | None,
    colour: str = "#4fc3f7",
) -> None:
    """Histogram of equivalent-circle diameters on a log axis, with a log-normal fit.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    ecd : numpy.ndarray
        The diameters (one image's counted grains, or a stack's planes pooled).
    unit : str
        Their length unit.
    lognormal : tuple or None
        ``(median, sigma)`` of the fit
        (:func:`~napari_finetune.measure.size_distribution.lognormal_fit`), drawn
        scaled to the counts; None draws none.
    colour : str
        The bars' colour.
    """
    ax.set_xlabel(f"equivalent-circle diameter ({unit})", fontsize=8)
    ax.set_ylabel("grains", fontsize=8)
    if ecd.size == 0:
        return
    low, high = max(ecd.min(), 1e-9), ecd.max()
    bins = np.geomspace(low, high * 1.0001, max(5, min(30, int(np.sqrt(ecd.size)) + 2)))
    ax.hist(ecd, bins=bins, color=colour, alpha=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    if lognormal is not None:
        median, sigma = lognormal
        x = np.geomspace(bins[0], bins[-1], 200)
        # Expected count per log-bin: N * pdf(log x) * bin width in log x.
        width = np.log(bins[1] / bins[0])
        y = ecd.size * stats.norm.pdf(np.log(x), np.log(median), sigma) * width
        ax.plot(x, y, color="#ffb74d", label=f"log-normal: median {median:.3g}, σ {sigma:.2f}")
        ax.legend(fontsize=7)


def write_grain_report(
    path: str | Path, image: np.ndarray | None, grains: np.ndarray, report: GrainReport
) -> Path:
    """A one-page PNG: grains over the image with the E112 pattern, histogram, numbers."""
    fig = Figure(figsize=(12, 5.2))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=(1.1, 1))
    if image is not None:
        left.imshow(image, cmap="gray")
    edges = find_boundaries(grains, mode="inner")
    overlay = np.zeros((*grains.shape, 4))
    overlay[edges] = (1.0, 0.2, 0.6, 0.9)
    left.imshow(overlay)
    for line in _pattern_lines(report):
        left.plot(line[:, 1], line[:, 0], color="#ffd54f", linewidth=1)
    left.set_axis_off()
    left.set_title(f"{len(report.table)} grains and the ASTM E112 test pattern", fontsize=10)
    draw_size_histogram(right, report)
    right.set_title("grain size distribution", fontsize=10)
    fig.suptitle("\n".join(report.lines()[:3]), fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=90)
    return path


def _pattern_lines(report: GrainReport) -> list[np.ndarray]:
    from napari_finetune.measure.intercepts import e112_pattern

    shape = (int(report.table.attrs.get("rows", 0)), int(report.table.attrs.get("cols", 0)))
    if not all(shape):
        return []
    lines = []
    for line in e112_pattern(shape):
        points = line.points
        lines.append(np.vstack([points, points[:1]]) if line.closed else points[[0, -1]])
    return lines
