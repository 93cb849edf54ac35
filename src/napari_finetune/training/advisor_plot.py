"""The strategy comparison as a figure: score against painted pixels, and loss curves.

Left: the held-out score of each strategy against the painted pixels it
trained on (median over seeds, the band from worst to best seed), the
course's transfer experiment on the user's own data. Right: training and
validation loss per epoch of each strategy with all the labels (first seed),
so that an overfitting gap (validation loss rising while training loss falls)
shows. Drawn on a Matplotlib figure the caller owns (the dock's canvas, or a
PNG from the command line).
"""

from __future__ import annotations

import math

from napari_finetune.training.advisor_result import StrategyComparison

# One colour per strategy; on napari's dark theme, its background.
COLOURS = {"scratch": "#9e9e9e", "head": "#4fc3f7", "finetune": "#ffb74d", "gradual": "#81c784"}
DARK_BACKGROUND = "#262930"
# A BatchNorm variant of a strategy: its colour, another line; another start
# model: its colour, another marker; trained without pseudo-labels where they
# were compared both ways: the same marker, hollow.
VARIANT_LINE = {"frozen": ":", "adapt": "--", "adabn": "-."}
START_MARKERS = "oDvP"
# Up to this many candidates, named in up to this many characters, the legend
# sits in the scores plot (longer names, "finetune from world-unet", cover its
# curves and axis label in the dock's narrow plot); each row of a legend below
# the plots takes this share of the figure's height.
LEGEND_INSIDE, LEGEND_NAME_INSIDE, LEGEND_ROW = 4, 16, 0.06


def _styles(comparison: StrategyComparison) -> dict[str, tuple[str, str, bool]]:
    """(colour key, format, hollow) per candidate.

    Colour by strategy, marker by start, line by BatchNorm, a hollow marker
    without pseudo-labels where they were compared on and off.
    """
    starts = list(dict.fromkeys(r.start for r in comparison.runs if r.strategy != "scratch"))
    both = {"on", "off"} <= {r.pseudo_labels for r in comparison.runs}
    styles = {}
    for run in comparison.runs:
        marker = START_MARKERS[starts.index(run.start) % 4] if run.start in starts else "o"
        line = VARIANT_LINE.get(run.bn_mode, "-")
        styles[run.candidate] = (run.strategy, marker + line, both and run.pseudo_labels == "off")
    return styles


def draw_comparison(figure: object, comparison: StrategyComparison, dark: bool = False) -> None:
    """Draw ``comparison`` on a Matplotlib ``figure`` (cleared first).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        Where to draw.
    comparison : StrategyComparison
        The runs so far (a stopped comparison draws what it has).
    dark : bool
        Light text on a dark background (napari's default theme).
    """
    figure.clear()
    ink = "#d6d0ce" if dark else "#202020"
    background = DARK_BACKGROUND if dark else "white"
    scores, losses = figure.subplots(1, 2)
    table = comparison.table().dropna(subset=["median"])
    styles = _styles(comparison)
    for strategy, rows in table.groupby("strategy", sort=False):
        rows = rows.sort_values("painted_pixels")
        base, style, hollow = styles[strategy]
        colour = COLOURS.get(base, ink)
        scores.plot(
            rows["painted_pixels"],
            rows["median"],
            style,
            color=colour,
            label=strategy,
            markerfacecolor=background if hollow else colour,
        )
        scores.fill_between(
            rows["painted_pixels"], rows["low"], rows["high"], color=colour, alpha=0.2
        )
    scores.set_xlabel("painted pixels trained on")
    scores.set_ylabel("held-out F1")
    scores.set_title(f"validated on {comparison.held_out_pixels:,} held-out px", fontsize=9)
    most = max((r.painted_pixels for r in comparison.runs), default=0)
    first_seed = min((r.seed for r in comparison.runs), default=0)
    # The strategies' own curves (usual BatchNorm, the first pseudo-label choice
    # compared): variants would crowd them.
    pseudo = next((r.pseudo_labels for r in comparison.runs if r.strategy != "scratch"), "auto")
    for run in comparison.runs:
        if run.painted_pixels != most or run.seed != first_seed or not run.history:
            continue
        if run.bn_mode != "auto" or (run.strategy != "scratch" and run.pseudo_labels != pseudo):
            continue
        colour = COLOURS.get(run.strategy, ink)
        marker = styles[run.candidate][1][0] if run.start else None
        epochs = [h["epoch"] for h in run.history]
        if marker is None and len(epochs) == 1:  # a short run's one epoch: a dot, not nothing
            marker = "o"
        losses.plot(
            epochs,
            [h["train_loss"] for h in run.history],
            "-",
            color=colour,
            marker=marker,
            markersize=3,
        )
        validation = [h.get("validation_loss") for h in run.history]
        if any(v is not None for v in validation):
            losses.plot(epochs, validation, "--", color=colour, marker=marker, markersize=3)
    losses.plot([], [], "-", color=ink, label="training")
    losses.plot([], [], "--", color=ink, label="validation")
    losses.set_xlabel("epoch")
    losses.set_ylabel("loss")
    losses.set_title("with all painted labels", fontsize=9)
    handles, names = scores.get_legend_handles_labels()
    # Many or long-named candidates (start models, BatchNorm variants) would
    # cover the curves: their legend goes below both plots, two to a row.
    below = len(names) > LEGEND_INSIDE or any(len(n) > LEGEND_NAME_INSIDE for n in names)
    if below:
        figure.legend(
            handles, names, loc="lower center", ncol=2, fontsize=7, frameon=False, labelcolor=ink
        )
    for axes in (scores, losses):
        if axes.has_data() and not (below and axes is scores):
            axes.legend(fontsize=8, frameon=False, labelcolor=ink)
        axes.tick_params(colors=ink, labelsize=8)
        axes.xaxis.label.set_color(ink)
        axes.yaxis.label.set_color(ink)
        axes.title.set_color(ink)
        axes.set_facecolor(background)
        for spine in axes.spines.values():
            spine.set_color(ink)
    figure.patch.set_facecolor(background)
    rows = math.ceil(len(names) / 2) if below else 0
    figure.tight_layout(rect=(0, min(0.5, LEGEND_ROW * rows), 1, 1))
