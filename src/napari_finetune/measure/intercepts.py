"""Lineal intercepts (Heyn): test lines laid over grain ids, every segment recorded.

Two test patterns: the ASTM E112 pattern of three concentric circles and four
straight lines (two diagonals, one horizontal, one vertical), scaled to the
largest centred square of the image as NIST's Grain Size Analysis Tools lay it
(circle radii 0.7958, 0.5305 and 0.2653 of the half side, the horizontal line
5 % above the bottom, the vertical one 5 % right of the left edge); and a grid
of parallel lines at several angles, which also measures anisotropy.

Each line is sampled every ``STEP`` px (nearest pixel). A *segment* is a run
of one grain id; runs of 0 (boundary pixels, when the ids have them) separate
segments and count as test line but not as intercept. ASTM counting: every
segment is one intercept, except the partial ones at the ends of an open line,
which count one half; circles have no ends. The mean lineal intercept is the
test length over the intercepts, per line (for the confidence interval) and
over all lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Sampling step along a test line, px.
STEP = 0.25
# Shorter runs of one id are pixel staircases, not grains crossed (NIST GSAT also
# drops runs of 2 px or less).
MIN_RUN = 2.0
# ASTM E112 test pattern, as laid by NIST's Grain Size Analysis Tools.
CIRCLE_FRACTIONS = (0.7958, 0.5305, 0.2653)
EDGE_MARGIN = 0.05


@dataclass(frozen=True)
class TestLine:
    """A test line: sample points ``(row, col)`` in px, closed for circles."""

    __test__ = False  # a test *line*, not a pytest class

    name: str
    points: np.ndarray
    closed: bool
    angle: float | None = None  # degrees from the x axis, for straight lines

    @property
    def length(self) -> float:
        """Length of the line in px."""
        steps = np.diff(self.points, axis=0)
        total = float(np.hypot(steps[:, 0], steps[:, 1]).sum())
        if self.closed:
            total += float(np.hypot(*(self.points[0] - self.points[-1])))
        return total


def _segment(name: str, start: tuple[float, float], end: tuple[float, float]) -> TestLine:
    start_a, end_a = np.asarray(start, float), np.asarray(end, float)
    n = max(2, int(np.ceil(np.hypot(*(end_a - start_a)) / STEP)) + 1)
    points = start_a + np.linspace(0, 1, n)[:, None] * (end_a - start_a)
    angle = float(np.degrees(np.arctan2(-(end_a[0] - start_a[0]), end_a[1] - start_a[1])))
    return TestLine(name, points, closed=False, angle=angle % 180)


def _circle(name: str, centre: tuple[float, float], radius: float) -> TestLine:
    n = max(8, int(np.ceil(2 * np.pi * radius / STEP)))
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    points = np.stack([centre[0] + radius * np.sin(theta), centre[1] + radius * np.cos(theta)], 1)
    return TestLine(name, points, closed=True)


def e112_pattern(shape: tuple[int, int]) -> list[TestLine]:
    """The E112 three-circle and four-line pattern on the largest centred square."""
    rows, cols = shape[:2]
    side = min(rows, cols)
    top, left = (rows - side) / 2, (cols - side) / 2
    last = side - 1
    margin = round(EDGE_MARGIN * side)
    centre = (top + last / 2, left + last / 2)
    lines = [
        _segment("horizontal", (top + last - margin, left), (top + last - margin, left + last)),
        _segment("vertical", (top, left + margin), (top + last, left + margin)),
        _segment("diagonal \\", (top, left), (top + last, left + last)),
        _segment("diagonal /", (top, left + last), (top + last, left)),
    ]
    circles = [
        _circle(f"circle {k}", centre, f * last / 2)
        for k, f in enumerate(CIRCLE_FRACTIONS, start=1)
    ]
    return lines + circles


def line_grid(
    shape: tuple[int, int], angles: tuple[float, ...] = (0, 45, 90, 135), spacing: float = 60
) -> list[TestLine]:
    """Parallel lines ``spacing`` px apart at each angle (degrees from x), clipped to the image."""
    rows, cols = shape[:2]
    centre = np.array([(rows - 1) / 2, (cols - 1) / 2])
    reach = np.hypot(rows, cols) / 2
    lines = []
    for angle in angles:
        theta = np.radians(angle)
        along = np.array([-np.sin(theta), np.cos(theta)])  # (row, col) direction
        across = np.array([along[1], -along[0]])
        for k, offset in enumerate(np.arange(-reach, reach + 1e-9, spacing)):
            a, b = (
                centre + offset * across - reach * along,
                centre + offset * across + reach * along,
            )
            clipped = _clip(a, b, rows, cols)
            if clipped is not None:
                line = _segment(f"{angle:g}° #{k}", *clipped)
                lines.append(TestLine(line.name, line.points, False, float(angle) % 180))
    return lines


def _clip(a: np.ndarray, b: np.ndarray, rows: int, cols: int) -> tuple | None:
    """The part of segment a-b inside [0, rows-1] x [0, cols-1] (Liang-Barsky)."""
    d = b - a
    t0, t1 = 0.0, 1.0
    for p, q in ((-d[0], a[0]), (d[0], rows - 1 - a[0]), (-d[1], a[1]), (d[1], cols - 1 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    if t1 - t0 <= 1e-9 or np.hypot(*(d * (t1 - t0))) < 2:
        return None
    return tuple(a + t0 * d), tuple(a + t1 * d)


@dataclass(frozen=True)
class Intercepts:
    """Every segment of every test line, and the intercept counts per line.

    ``segments``: one row per segment: ``line``, ``angle``, ``grain``,
    ``length`` (px), ``complete`` (False for the cut ends of open lines).
    ``lines``: one row per test line: ``line``, ``angle``, ``closed``,
    ``test_length`` (px), ``intercepts`` (ends counted one half),
    ``mean_intercept`` (px).
    """

    segments: pd.DataFrame
    lines: pd.DataFrame

    @property
    def mean_intercept(self) -> float:
        """All test length over all intercepts, px."""
        n = float(self.lines["intercepts"].sum())
        return float(self.lines["test_length"].sum()) / n if n else float("inf")

    @property
    def n_intercepts(self) -> float:
        """The number of intercepts over all lines."""
        return float(self.lines["intercepts"].sum())


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Length (in samples) and value of each run of equal values."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(values)) + 1])
    lengths = np.diff(np.concatenate([starts, [values.size]]))
    return lengths, values[starts]


def _drop_short_runs(
    lengths: np.ndarray, ids: np.ndarray, shortest: float
) -> tuple[np.ndarray, np.ndarray]:
    """Runs shorter than ``shortest`` samples join the run before them; equal neighbours merge.

    A line nearly parallel to a pixel-staircase boundary flips between the two
    grains every few samples; each flip is not a grain boundary crossed.
    """
    if ids.size <= 1 or not (lengths < shortest).any():
        return lengths, ids
    out_lengths, out_ids = [], []
    for n, grain in zip(lengths.tolist(), ids.tolist(), strict=True):
        if out_ids and (n < shortest or grain == out_ids[-1]):
            out_lengths[-1] += n
        else:
            out_lengths.append(n)
            out_ids.append(grain)
    return np.asarray(out_lengths), np.asarray(out_ids)


def intercepts(grains: np.ndarray, lines: list[TestLine], min_run: float = MIN_RUN) -> Intercepts:
    """Lay ``lines`` over the grain ids and record every segment.

    Parameters
    ----------
    grains : numpy.ndarray
        2D grain ids; 0 = boundary pixel (not a grain).
    lines : list of TestLine
        From :func:`e112_pattern` or :func:`line_grid`.
    min_run : float
        Runs shorter than this (px) are not segments: they join the run
        before them (pixel staircases along a boundary, not crossings).

    Returns
    -------
    Intercepts
        Segments and per-line counts.
    """
    grains = np.asarray(grains)
    rows, cols = grains.shape
    segment_rows, line_rows = [], []
    for line in lines:
        r = np.clip(np.rint(line.points[:, 0]).astype(int), 0, rows - 1)
        c = np.clip(np.rint(line.points[:, 1]).astype(int), 0, cols - 1)
        values = grains[r, c]
        step = line.length / (values.size if line.closed else max(values.size - 1, 1))
        lengths, ids = _drop_short_runs(*_runs(values), min_run / step)
        if line.closed and ids.size > 1 and ids[0] == ids[-1]:
            # The run across the start point is one segment.
            lengths = np.concatenate([[lengths[0] + lengths[-1]], lengths[1:-1]])
            ids = ids[:-1]
        complete = np.ones(ids.size, bool)
        if not line.closed:
            complete[0] = complete[-1] = False
        keep = ids != 0
        if line.closed and ids.size == 1:
            keep[:] = False  # a circle inside one grain crosses no boundary
        weight = np.where(complete, 1.0, 0.5)[keep].sum()
        for grain, n, whole in zip(ids[keep], lengths[keep], complete[keep], strict=True):
            segment_rows.append((line.name, line.angle, int(grain), float(n * step), bool(whole)))
        line_rows.append(
            (
                line.name,
                line.angle,
                line.closed,
                line.length,
                float(weight),
                line.length / weight if weight else np.inf,
            )
        )
    segments = pd.DataFrame(segment_rows, columns=["line", "angle", "grain", "length", "complete"])
    per_line = pd.DataFrame(
        line_rows,
        columns=["line", "angle", "closed", "test_length", "intercepts", "mean_intercept"],
    )
    return Intercepts(segments, per_line)
