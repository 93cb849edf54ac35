"""Phase area fractions of one map to files: a CSV of its phases, a PNG page, a bar chart.

A map whose classes are phases only (a superalloy's matrix and γ′) has no
grains, so the grain CSV and report (:mod:`~napari_finetune.measure.export`,
:mod:`~napari_finetune.measure.figure`) have nothing to list; its result is the
phases' area fractions with their 95 % intervals over the image's fields
(:func:`~napari_finetune.measure.phases.phase_fractions`). These write them: one
row per phase, with an ``image`` column and columns like those of a folder run's
``phase_fractions.csv`` (where each image is a field instead), and a page with the
map over the image beside the fractions' bars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from napari_finetune.data.safe_write import atomic_write
from napari_finetune.measure.measuring import percent as as_percent
from napari_finetune.measure.specimen_phases import SpecimenFraction

Colours = Mapping[int, Sequence[float]]  # class value -> RGBA in 0..1


def phase_rows(
    image: str, phases: pd.DataFrame, particles: pd.DataFrame | None = None, unit: str = "px"
) -> list[dict[str, object]]:
    """The rows of :func:`write_phase_csv` for one image's ``phase_fractions`` table.

    ``particles`` (:func:`~napari_finetune.measure.particles.phase_particles`, lengths
    in ``unit``) add their columns to the discrete phases' rows.
    """
    counted = {}
    if particles is not None and len(particles):
        counted = {int(row["class"]): row for _, row in particles.iterrows()}
    rows = []
    for _, phase in phases.iterrows():
        fraction, half = float(phase["fraction"]), phase["ci95"]
        known = half is not None and not pd.isna(half)
        row = {
            "image": image,
            "phase": phase["name"],
            "class": int(phase["class"]),
            "area fraction": fraction,
            # The interval's ends within [0, 1], as phase_fractions.csv gives them.
            "95% low": max(fraction - float(half), 0.0) if known else None,
            "95% high": min(fraction + float(half), 1.0) if known else None,
            "%RA": phase["relative_accuracy"],
            "fields": int(phase["fields"]),
        }
        if particles is not None:  # a continuous phase (the matrix) has none: empty cells
            found = counted.get(int(phase["class"]))
            for column, named in _particle_columns(unit).items():
                row[named] = None if found is None else found[column]
        rows.append(row)
    return rows


def _particle_columns(unit: str) -> dict[str, str]:
    """Particle table column -> CSV column, with its unit."""
    return {
        "particles": "particles",
        "cut by frame": "particles cut by frame",
        "per area": f"particles per {unit}²",
        "mean area": f"mean particle area ({unit}²)",
        "mean ECD": f"mean particle ECD ({unit})",
        "mean free path": f"mean free path ({unit})",
    }


def specimen_frame(
    fractions: Sequence[SpecimenFraction], names: Mapping[int, str] | None = None
) -> pd.DataFrame:
    """Phases' fractions over several fields as :func:`draw_phase_fractions` takes them.

    ``names`` (class value -> name, the model's) give each phase its class, and so its
    colour; a phase they do not name is read as ``'class N'`` (what
    :func:`~napari_finetune.measure.phases.phase_fractions` calls it), else takes its
    place in the list.
    """
    classes = {name: cls for cls, name in (names or {}).items()}
    return pd.DataFrame(
        [
            {
                "class": classes.get(f.phase, _unnamed_class(f.phase, index + 1)),
                "name": f.phase,
                "fraction": f.statistic.mean,
                "ci95": f.statistic.ci95,
                "relative_accuracy": f.statistic.relative_accuracy,
                "fields": f.statistic.n,
            }
            for index, f in enumerate(fractions)
        ]
    )


def _unnamed_class(phase: str, otherwise: int) -> int:
    number = phase.removeprefix("class ")
    return int(number) if phase.startswith("class ") and number.isdigit() else otherwise


def write_phase_csv(
    fractions: Mapping[str, pd.DataFrame],
    path: str | Path,
    particles: Mapping[str, pd.DataFrame | None] | None = None,
    unit: str = "px",
) -> Path:
    """One row per image and phase: its area fraction, 95 % interval, %RA and fields.

    Parameters
    ----------
    fractions : dict
        Image name -> its :func:`~napari_finetune.measure.phases.phase_fractions`.
    path : str or Path
        The CSV, replaced whole (an old file stays if writing fails).
    particles : dict, optional
        Image name -> its :func:`~napari_finetune.measure.particles.phase_particles`:
        number, size and spacing columns for each discrete phase.
    unit : str
        The particles' length unit (in the column names).

    Returns
    -------
    Path
        The CSV written.

    Raises
    ------
    ValueError
        When no image has phases to write.
    """
    particles = particles or {}
    rows = [
        row
        for name, phases in fractions.items()
        for row in phase_rows(name, phases, particles.get(name), unit)
    ]
    if not rows:
        raise ValueError("no phase fractions to write.")
    table = pd.DataFrame(rows)
    for column in ("particles", "particles cut by frame"):  # counts: 56, not 56.0
        if column in table:
            table[column] = table[column].astype("Int64")
    path = Path(path)
    with atomic_write(path) as temporary:
        table.to_csv(temporary, index=False)
    return path


def phase_colours(phases: pd.DataFrame, given: Colours | None = None) -> dict[int, tuple]:
    """Each phase's colour: ``given`` (a labels layer's), else a qualitative palette's."""
    palette = colormaps["tab10"]
    colours = {}
    for index, cls in enumerate(phases["class"]):
        chosen = (given or {}).get(int(cls))
        if chosen is not None and to_rgba(chosen)[3] == 0:  # hidden in its layer
            chosen = None
        colours[int(cls)] = tuple(to_rgba(chosen if chosen is not None else palette(index % 10)))
    return colours


def draw_phase_fractions(ax: object, phases: pd.DataFrame, colours: Colours | None = None) -> None:
    """Horizontal bars of each phase's area fraction (%) with its 95 % interval.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    phases : pandas.DataFrame
        :func:`~napari_finetune.measure.phases.phase_fractions` of one map.
    colours : dict, optional
        Class value -> colour (e.g. the prediction layer's); default a palette's.
    """
    shown = phase_colours(phases, colours)
    names = [str(n) for n in phases["name"]]
    percent = 100 * phases["fraction"].to_numpy(float)
    half = np.array([np.nan if v is None else float(v) for v in phases["ci95"]]) * 100
    positions = np.arange(len(names))[::-1]  # the first phase on top
    # Opaque bars: a labels layer's colour may be translucent.
    bar_colours = [(*shown[int(c)][:3], 1.0) for c in phases["class"]]
    ax.barh(positions, percent, color=bar_colours, height=0.6)
    known = ~np.isnan(half)
    if known.any():
        ax.errorbar(
            percent[known],
            positions[known],
            xerr=half[known],
            fmt="none",
            ecolor="#9e9e9e",
            capsize=3,
        )
    ax.set_yticks(positions, names, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("area fraction (%) and its 95 % interval", fontsize=8)
    # Each value right of its bar and interval, inside the axes.
    ends = percent + np.nan_to_num(half)
    for y, value, end in zip(positions, phases["fraction"], ends, strict=True):
        label = f"{as_percent(value)} %"
        ax.text(min(end + 1.5, 86), y, label, va="center", fontsize=7, color="#9e9e9e")


def write_phase_report(
    path: str | Path,
    image: np.ndarray | None,
    classes: np.ndarray,
    phases: pd.DataFrame,
    lines: Sequence[str] = (),
    colours: Colours | None = None,
) -> Path:
    """A one-page PNG: the phase map over the image, the fractions' bars, the numbers.

    Parameters
    ----------
    path : str or Path
        The PNG.
    image : numpy.ndarray or None
        The micrograph under the map (2D, or RGB); None draws the map alone.
    classes : numpy.ndarray
        The class map measured (1..K; 0 unclassified, left clear).
    phases : pandas.DataFrame
        Its :func:`~napari_finetune.measure.phases.phase_fractions`.
    lines : sequence of str
        What the measurement says (shown as the page's title).
    colours : dict, optional
        Class value -> colour, as :func:`draw_phase_fractions` takes it.

    Returns
    -------
    Path
        The PNG written.
    """
    shown = phase_colours(phases, colours)
    fig = Figure(figsize=(12, 5.2))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=(1.1, 1))
    if image is not None and (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] in (3, 4))):
        left.imshow(image, cmap="gray")
    else:  # a per-class stack (the user's probability layer named as the image): the map alone
        image = None
    overlay = np.zeros((*classes.shape, 4), np.float32)
    for cls, colour in shown.items():
        overlay[classes == cls] = (*colour[:3], 0.45 if image is not None else 1.0)
    left.imshow(overlay)
    left.set_axis_off()
    left.set_title(f"{len(phases)} phases", fontsize=10)
    draw_phase_fractions(right, phases, shown)
    right.set_title("phase area fractions (ASTM E562 / E1245)", fontsize=10)
    fig.suptitle("\n".join(lines), fontsize=9, wrap=True)
    fig.tight_layout()
    path = Path(path)
    with atomic_write(path) as temporary:
        fig.savefig(temporary, dpi=90, format="png")
    return path
