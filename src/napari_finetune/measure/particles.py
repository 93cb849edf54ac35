"""Second-phase particles of a phase map: number, size and spacing (ASTM E1245's measures).

A phase map's area fractions (:mod:`~napari_finetune.measure.phases`) say how
much of each phase there is; a superalloy's γ′ or a steel's inclusions are also
judged by how many particles there are, how large and how far apart. ASTM
E1245 measures these on each field by image analysis:

- ``N_A``, particles per unit area: particles cut by the frame count one half
  (as E112 counts grains cut by the frame), divided by the classified area (the
  image's, but for pixels of class 0, which are no specimen, as for A_A);
- ``Ā = A_A / N_A``, the mean particle area;
- ``N_L``, interceptions per unit length of test line: runs of the phase along
  every pixel row and column;
- ``λ = (1 − A_A) / N_L``, the mean free path: the mean distance through the
  other phases between particles along a line.

The mean equivalent-circle diameter of the particles not cut by the frame is
given beside them (a cut particle's visible part is smaller than it). Only
discrete phases have particles: a phase whose largest connected piece spans the
image, edge to opposite edge (a superalloy's γ matrix, a band), is continuous and
gets none.
Pieces under ``min_size`` pixels are specks of a prediction, not particles:
left out of the count, the interceptions and the A_A of Ā and λ (the phase's
area fraction keeps them). A particle beside unclassified pixels (class 0, no
specimen) is cut by the field's edge, as one at the frame is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from napari_finetune.measure.table import Calibration

# Pieces smaller than this (px) are not counted as particles.
MIN_PARTICLE_PX = 4


def phase_particles(
    classes: np.ndarray,
    phases: pd.DataFrame,
    calibration: Calibration | None = None,
    min_size: int = MIN_PARTICLE_PX,
) -> pd.DataFrame:
    """Number, size and spacing of each discrete phase's particles in one map.

    Parameters
    ----------
    classes : numpy.ndarray
        2D class map (1..K; 0 unclassified).
    phases : pandas.DataFrame
        Its :func:`~napari_finetune.measure.phases.phase_fractions` (``class``,
        ``name``, ``fraction``): which classes are phases, and their A_A.
    calibration : Calibration, optional
        Pixel size and unit; None: pixels.
    min_size : int
        Pieces of fewer pixels are left out of the count (not of A_A).

    Returns
    -------
    pandas.DataFrame
        One row per discrete phase: ``class``, ``name``, ``particles`` (of at
        least ``min_size`` px), ``cut by frame`` (of those), ``per area`` (N_A,
        per unit², the cut ones counted one half),
        ``mean area`` (Ā = A_A / N_A, unit²), ``mean ECD`` (of the particles not
        cut, unit), ``mean free path`` (λ, unit); empty when no phase is discrete.
        A_A here is the particles' share of the classified pixels (specks left out).
    """
    calibration = calibration or Calibration()
    size = calibration.pixel_size
    # Over the classified pixels, as A_A is (a map's 0 is no specimen): every pixel is
    # a unit of area, and a unit of test line along its row and along its column.
    unclassified = classes == 0
    classified = max(int(classes.size - unclassified.sum()), 1)
    area = classified * size**2
    line_length = 2 * classified * size
    # The field's edge: the frame, and pixels beside unclassified ones.
    beside_nothing = ndi.binary_dilation(unclassified, np.ones((3, 3), bool)) & ~unclassified
    out = []
    for _, phase in phases.iterrows():
        mask = classes == int(phase["class"])
        pieces, n = ndi.label(mask, structure=np.ones((3, 3), bool))
        areas = np.bincount(pieces.ravel(), minlength=n + 1)[1:]
        if n == 0 or any(_spans(pieces, k) for k in np.flatnonzero(areas == areas.max()) + 1):
            continue  # absent, or continuous (a matrix): no particles
        kept = areas >= min_size
        frame = [pieces[0], pieces[-1], pieces[:, 0], pieces[:, -1], pieces[beside_nothing]]
        edge = np.unique(np.concatenate(frame))
        cut = np.zeros(n, bool)
        cut[edge[edge > 0] - 1] = True
        counted = float((kept & ~cut).sum() + 0.5 * (kept & cut).sum())
        whole = areas[kept & ~cut] * size**2
        particle_pixels = np.isin(pieces, np.flatnonzero(kept) + 1)  # specks are none
        fraction = float(particle_pixels.sum() / classified)  # A_A of the particles
        per_area = counted / area
        per_length = _interceptions(particle_pixels) / line_length
        out.append(
            {
                "class": int(phase["class"]),
                "name": phase["name"],
                "particles": int(kept.sum()),
                "cut by frame": int((kept & cut).sum()),
                "per area": per_area,
                "mean area": fraction / per_area if per_area else None,
                "mean ECD": float(np.sqrt(4 * whole / np.pi).mean()) if whole.size else None,
                "mean free path": (1 - fraction) / per_length if per_length else None,
            }
        )
    return pd.DataFrame(out)


def _spans(pieces: np.ndarray, label: int) -> bool:
    """Whether piece ``label`` touches two opposite edges of the image (it percolates)."""
    rows, cols = pieces.shape
    top, bottom = (pieces[0] == label).any(), (pieces[-1] == label).any()
    left, right = (pieces[:, 0] == label).any(), (pieces[:, -1] == label).any()
    return bool((rows > 1 and top and bottom) or (cols > 1 and left and right))


def _interceptions(mask: np.ndarray) -> int:
    """Runs of ``mask`` along every row and every column (each run one interception)."""
    padded = np.pad(mask, 1).astype(np.int8)
    along_rows = int((np.diff(padded, axis=1) == 1).sum())
    along_cols = int((np.diff(padded, axis=0) == 1).sum())
    return along_rows + along_cols


def particle_lines(particles: pd.DataFrame, unit: str) -> list[str]:
    """The particles in words, one phase a sentence; ``[]`` without discrete phases."""
    lines = []
    for _, row in particles.iterrows():
        if not row["particles"]:  # specks only: the table says 0, the words nothing
            continue
        cut = f", {row['cut by frame']} cut by the frame counted one half" * (
            row["cut by frame"] > 0
        )
        said = [f"{row['particles']} particles ({row['per area']:.3g} per {unit}²{cut})"]
        if row["mean ECD"] is not None and not pd.isna(row["mean ECD"]):
            said.append(f"mean ECD {_length(row['mean ECD'])} {unit}")
        if row["mean free path"] is not None and not pd.isna(row["mean free path"]):
            said.append(f"mean free path {_length(row['mean free path'])} {unit}")
        lines.append(f"{row['name']}: " + ", ".join(said) + " (ASTM E1245).")
    return lines


def _length(value: float) -> str:
    """Three significant digits, never in powers of ten: 1,490 px, not 1.49e+03."""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
