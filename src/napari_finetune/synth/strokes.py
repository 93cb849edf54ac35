"""Simulated annotation: the few brush strokes a person paints in a few minutes.

Strokes follow what a microscopist does in napari's paint mode: trace part of a
handful of grain boundaries with a brush as wide as the boundary (class 2) and
scribble a short stroke inside a handful of grains, away from their edges
(class 1). Everything else stays 0 = unpainted.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage as ndi
from skimage.draw import line
from skimage.morphology import disk

from napari_finetune.synth.grains import GrainSample

INTERIOR, BOUNDARY = 1, 2
# People do not paint right up to triple junctions or grain edges.
TRACED_FRACTION = (0.15, 0.85)
EDGE_MARGIN_PX = 3


def paint_strokes(
    sample: GrainSample,
    n_boundary_strokes: int = 6,
    n_interior_strokes: int = 8,
    brush_radius: int = 2,
    seed: int = 0,
) -> np.ndarray:
    """Sparse labels as painted by hand on a synthetic sample.

    Parameters
    ----------
    sample : GrainSample
        The sample to annotate; its exact labels decide where strokes go.
    n_boundary_strokes : int
        Number of boundary segments traced (class 2).
    n_interior_strokes : int
        Number of grains that get a stroke inside (class 1).
    brush_radius : int
        Radius (px) of the brush used for interior strokes.
    seed : int
        Random seed: which boundaries and grains are painted.

    Returns
    -------
    numpy.ndarray
        uint8 labels: 0 unpainted, 1 grain interior, 2 boundary.
    """
    rng = np.random.default_rng(seed)
    painted = np.zeros(sample.grains.shape, np.uint8)
    _trace_boundaries(painted, sample, n_boundary_strokes, rng)
    _scribble_interiors(painted, sample, n_interior_strokes, brush_radius, rng)
    return painted


def describe_strokes(painted: np.ndarray) -> str:
    """What :func:`paint_strokes` managed to paint, in words, and if it is enough to train.

    A sample of one or two grains has no boundary long enough to trace, or no
    grain clear of the image edge to scribble in; the user must hear that
    rather than find an empty painting.
    """
    interior = int(np.count_nonzero(painted == INTERIOR))
    boundary = int(np.count_nonzero(painted == BOUNDARY))
    said = f"painted {interior:,} px grain interior and {boundary:,} px boundary"
    if interior and boundary:
        return said
    lacking = "boundary" if interior else "grain interior" if boundary else "no"
    lacking = "no strokes" if lacking == "no" else f"no {lacking} strokes"
    return (
        f"{said}: {lacking} could be placed (too few grains inside the image); "
        "generate more grains to train on this sample"
    )


def _trace_boundaries(
    painted: np.ndarray, sample: GrainSample, count: int, rng: np.random.Generator
) -> None:
    grains = sample.grains
    # Each horizontally or vertically adjacent pair of pixels with two ids is a
    # point on the interface between that pair of grains.
    points, pairs = [], []
    for axis in (0, 1):
        a = grains[:-1, :] if axis == 0 else grains[:, :-1]
        b = grains[1:, :] if axis == 0 else grains[:, 1:]
        ys, xs = np.nonzero(a != b)
        points.append(np.stack([ys, xs], axis=1))
        pairs.append(np.sort(np.stack([a[ys, xs], b[ys, xs]], axis=1), axis=1))
    points, pairs = np.concatenate(points), np.concatenate(pairs)
    if not len(points):  # a single grain: no boundary to trace
        return
    keys = pairs[:, 0].astype(np.int64) * (int(grains.max()) + 1) + pairs[:, 1]
    _, inverse, lengths = np.unique(keys, return_inverse=True, return_counts=True)
    # Long interfaces only: short facets near triple junctions are not what a
    # person picks to trace.
    candidates = np.flatnonzero(lengths >= np.percentile(lengths, 60))
    chosen = rng.choice(candidates, size=min(count, len(candidates)), replace=False)

    reach = disk(sample.params.boundary_width).astype(bool)
    for index in chosen:
        segment = points[inverse == index].astype(float)
        # Order the interface along its main direction and keep a middle stretch.
        centred = segment - segment.mean(axis=0)
        main = np.linalg.svd(centred, full_matrices=False)[2][0]
        position = centred @ main
        lo, hi = np.quantile(position, TRACED_FRACTION)
        stretch = segment[(position >= lo) & (position <= hi)].astype(int)
        footprint = np.zeros(grains.shape, bool)
        footprint[stretch[:, 0], stretch[:, 1]] = True
        footprint = ndi.binary_dilation(footprint, structure=reach)
        painted[footprint & (sample.boundaries == 1)] = BOUNDARY


def _scribble_interiors(
    painted: np.ndarray,
    sample: GrainSample,
    count: int,
    brush_radius: int,
    rng: np.random.Generator,
) -> None:
    grains = sample.grains
    rows, cols = grains.shape
    boxes = ndi.find_objects(grains)
    inner = ndi.binary_erosion(sample.boundaries == 0, structure=disk(EDGE_MARGIN_PX).astype(bool))
    # Grains cut by the image edge are skipped: a person paints whole grains.
    whole = [
        gid
        for gid, box in enumerate(boxes, start=1)
        if box is not None
        and box[0].start > 0
        and box[1].start > 0
        and box[0].stop < rows
        and box[1].stop < cols
    ]
    chosen = rng.permutation(whole)[:count]
    brush = disk(brush_radius).astype(bool)
    for gid in chosen:
        box = boxes[gid - 1]
        region = (grains[box] == gid) & inner[box]
        ys, xs = np.nonzero(region)
        if len(ys) < 10:
            continue
        # A gently bent stroke: three points through the grain's middle, each
        # snapped to a pixel that lies inside the grain.
        centre = np.array([ys.mean(), xs.mean()])
        angle = rng.uniform(0, np.pi)
        half = 0.35 * np.sqrt(len(ys))
        along = np.array([np.sin(angle), np.cos(angle)])
        bend = rng.normal(0, 0.15 * half, 2)
        targets = [centre - half * along, centre + bend, centre + half * along]
        snapped = [
            (ys[k], xs[k])
            for k in (np.argmin((ys - t[0]) ** 2 + (xs - t[1]) ** 2) for t in targets)
        ]
        stroke = np.zeros(region.shape, bool)
        for (y0, x0), (y1, x1) in itertools.pairwise(snapped):
            stroke[line(y0, x0, y1, x1)] = True
        stroke = ndi.binary_dilation(stroke, structure=brush) & region
        painted[box][stroke] = INTERIOR
