"""A one-page PNG report of a fine-tuning run (for the headless ``demo`` job)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from napari_finetune.choices import report_format
from napari_finetune.data.safe_write import atomic_write

PAINT_COLOURS = {1: (0.0, 0.78, 1.0), 2: (1.0, 0.18, 0.77)}


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """RGB picture of a grey image with painted classes drawn on top."""
    lo, hi = np.percentile(image, (0.5, 99.5))
    grey = np.clip((image - lo) / max(hi - lo, 1e-9), 0, 1)
    rgb = np.dstack([grey] * 3)
    for cls, colour in PAINT_COLOURS.items():
        where = labels == cls
        rgb[where] = (1 - alpha) * rgb[where] + alpha * np.array(colour)
    return rgb


def write_report(
    path: str | Path,
    image: np.ndarray,
    painted: np.ndarray,
    predicted: np.ndarray,
    history: list[dict],
    title: str,
    truth: np.ndarray | None = None,
) -> Path:
    """Image with strokes, prediction, optional ground truth and learning curves.

    Parameters
    ----------
    path : str or Path
        PNG to write.
    image : numpy.ndarray
        The grey image.
    painted, predicted : numpy.ndarray
        Painted labels and predicted labels (1 interior, 2 boundary).
    history : list of dict
        Epoch records from :func:`napari_finetune.fit`.
    title : str
        Headline (e.g. the scores).
    truth : numpy.ndarray, optional
        Exact boundary mask, shown for comparison.

    Returns
    -------
    Path
        The written file.
    """
    panels = 4 if truth is not None else 3
    # A Figure on an Agg canvas: no display, and no change to the process-wide
    # matplotlib backend (napari and other plugins may use Qt's).
    fig = Figure(figsize=(4.2 * panels, 4.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, panels)
    axes[0].imshow(overlay(image, painted))
    axes[0].set_title(f"painted: {(painted > 0).mean():.1%} of pixels")
    axes[1].imshow(overlay(image, np.where(predicted == 2, 2, 0), alpha=0.6))
    axes[1].set_title("predicted boundaries")
    if truth is not None:
        axes[2].imshow(overlay(image, np.where(truth > 0, 2, 0), alpha=0.6))
        axes[2].set_title("exact boundaries")
    for ax in axes[:-1]:
        ax.set_axis_off()
    curve = axes[-1]
    epochs = [h["epoch"] for h in history]
    # Markers: a run whose budget fits one epoch has a single point per curve,
    # which a line alone does not draw (the panel looked empty).
    style = {"marker": "o", "markersize": 4}
    curve.plot(epochs, [h["train_loss"] for h in history], label="train loss", **style)
    if any(h.get("validation_loss") is not None for h in history):
        curve.plot(
            epochs, [h["validation_loss"] for h in history], label="validation loss", **style
        )
        scores = [h["validation_score"] for h in history]
        curve.plot(epochs, scores, label="validation F1 (2 px band)", **style)
        # Over the epochs that have a range (after a fold-in the later ones have none).
        banded = [
            (e, h)
            for e, h in zip(epochs, history, strict=True)
            if h.get("validation_low") is not None
        ]
        if banded:
            ranges = [(e, h["validation_low"], h["validation_high"]) for e, h in banded]
            at, lows, highs = zip(*ranges, strict=True)
            curve.fill_between(at, lows, highs, alpha=0.2, color=curve.lines[-1].get_color())
    curve.set_xlabel("epoch")
    curve.legend()
    curve.set_title("learning curves")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    # Under a temporary name, renamed when complete. The format is named, not
    # guessed from that name: a path without a suffix still gets a PNG.
    with atomic_write(path) as temporary:
        fig.savefig(temporary, dpi=90, format=report_format(path.name))
    return path
