"""Coarser levels of a result array, filled band by band as its rows are written (needs zarr).

A viewer shows a large result through a pyramid: the full resolution when
zoomed in, coarser copies when zoomed out, each read only where it is seen.
:func:`~napari_finetune.inference.lazy.predict_bands` writes the full
resolution from the top, one band of rows at a time; a :class:`BandPyramid`
then copies every ``f``-th pixel of the rows just finished into each coarser
level, so that the whole pyramid fills as the prediction goes and a stopped
run leaves every level as complete as its full resolution.

Which pixel a coarser level takes is the rule of
:func:`~napari_finetune.batch.ome_zarr_labels.fill_pyramid` (nearest, every
``f``-th pixel, ``f`` the rounded ratio of the shapes, the last row and column
repeated where the level is longer): beside an OME-Zarr image, the label
image's own levels filled here hold exactly what that function writes at the
end of a run.

Levels below the store's own are added as ``pyramid/<name>/<k>`` (``k`` = 1,
2, ...: each half the size of the one before) until the coarsest fits in
:data:`PYRAMID_TOP` pixels a side: napari reads that level whole (for the
thumbnail and the zoomed-out view), so it must stay small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Side of the coarsest level: napari materialises the coarsest level of a
# multiscale layer whole, 1 MB for uint8 labels, 4 MB for float32 maps.
PYRAMID_TOP = 1024
# Group, inside the result's group, that holds the levels added for display.
PYRAMID_GROUP = "pyramid"


@dataclass
class PyramidLevel:
    """One coarser level: its array and the step, in rows and columns, from the full one."""

    array: object
    factors: tuple[int, int]
    rows_filled: int = 0


@dataclass
class BandPyramid:
    """A full-resolution array and its coarser levels, filled from the top as rows finish.

    Attributes
    ----------
    full : zarr.Array
        The full resolution: ``(..., rows, cols)``, leading axes of length 1.
    levels : list of PyramidLevel
        Coarser levels, finest first, with the full one's leading axes.
    """

    full: object
    levels: list[PyramidLevel] = field(default_factory=list)
    rows_done: int = 0

    @property
    def arrays(self) -> list:
        """Every level's array, full resolution first (napari's multiscale order)."""
        return [self.full, *(level.array for level in self.levels)]

    def fill(self, rows_done: int) -> None:
        """Copy into every level what rows ``self.rows_done .. rows_done`` of the full one give.

        Reads only those rows of the full resolution (at most a band, whatever
        the image), once for all levels.
        """
        rows, cols = self.full.shape[-2:]
        prefix = (0,) * (self.full.ndim - 2)
        plans = []
        for level in self.levels:
            target_rows = level.array.shape[-2]
            source = _source_index(target_rows, rows, level.factors[0])
            end = target_rows if rows_done >= rows else int(np.searchsorted(source, rows_done))
            if end > level.rows_filled:
                plans.append((level, source[level.rows_filled : end], end))
        if plans:
            first = min(int(s[0]) for _, s, _ in plans)
            last = max(int(s[-1]) for _, s, _ in plans)
            block = np.asarray(self.full[(*prefix, slice(first, last + 1), slice(None))])
            for level, source, end in plans:
                columns = _source_index(level.array.shape[-1], cols, level.factors[1])
                piece = block[source - first][:, columns]
                level.array[(*prefix, slice(level.rows_filled, end), slice(None))] = piece
                level.rows_filled = end
        self.rows_done = max(self.rows_done, rows_done)


def _source_index(target: int, length: int, factor: int) -> np.ndarray:
    """Full-resolution index of each pixel of a level ``target`` long (see the module)."""
    taken = math.ceil(length / factor)
    return np.minimum(np.arange(target), taken - 1) * factor


def open_pyramid(
    group: object, name: str, levels: tuple[str, ...] = (), top: int | None = None
) -> BandPyramid:
    """The pyramid of array ``name`` of ``group``: its given levels, and new ones down to ``top``.

    Parameters
    ----------
    group : zarr.Group
        The result's group (a prediction store, or a label image beside an
        OME-Zarr image), open for writing.
    name : str
        The full-resolution array (``'labels'``, ``'uncertainty'``, ``'0'``).
    levels : tuple of str
        Coarser arrays the group has already, finest first (an OME-Zarr label
        image's other datasets); their steps are the rounded ratios of the shapes.
    top : int, optional
        Levels are added, each half the size of the coarsest so far, until
        rows and columns are at most ``top`` (default :data:`PYRAMID_TOP`).

    Returns
    -------
    BandPyramid
        With nothing filled yet.
    """
    top = PYRAMID_TOP if top is None else top
    full = group[name]
    rows, cols = full.shape[-2:]
    pyramid = BandPyramid(full)
    for path in levels:
        array = group[path]
        # fill_pyramid's rule: the rounded ratio of the shapes.
        fy, fx = (
            max(1, round(a / b)) for a, b in zip(full.shape[-2:], array.shape[-2:], strict=True)
        )
        pyramid.levels.append(PyramidLevel(array, (fy, fx)))
    coarsest = pyramid.levels[-1].array.shape[-2:] if pyramid.levels else (rows, cols)
    step = pyramid.levels[-1].factors[0] if pyramid.levels else 1
    k = 0
    while max(coarsest) > top:
        step, k = step * 2, k + 1
        shape = (*full.shape[:-2], math.ceil(rows / step), math.ceil(cols / step))
        chunks = (
            *full.chunks[:-2],
            *(min(c, s) for c, s in zip(full.chunks[-2:], shape[-2:], strict=True)),
        )
        added = group.require_group(PYRAMID_GROUP).require_group(name)
        array = added.create_array(
            str(k), shape=shape, dtype=full.dtype, chunks=chunks, fill_value=full.fill_value
        )
        array.attrs["napari_finetune"] = {"level of": name, "step": [step, step]}
        pyramid.levels.append(PyramidLevel(array, (step, step)))
        coarsest = shape[-2:]
    return pyramid


def label_image_multiscale(attrs: dict) -> dict | None:
    """The NGFF multiscale of a label image's attributes (0.4 or 0.5), None for a plain store."""
    ome = attrs.get("ome") if isinstance(attrs.get("ome"), dict) else attrs
    multiscales = ome.get("multiscales")
    return multiscales[0] if multiscales else None


def open_result_pyramids(location: object, uncertainty: bool) -> list[BandPyramid]:
    """The labels' pyramid (and the uncertainty's) of a prediction store, levels added as needed.

    Parameters
    ----------
    location : str or Path
        The store, or the label image beside an OME-Zarr image (its own
        levels, listed in its NGFF ``multiscales``, come first).
    uncertainty : bool
        Whether the store has an ``uncertainty`` array to give a pyramid too.

    Returns
    -------
    list of BandPyramid
        The labels', then the uncertainty's; nothing filled yet.
    """
    import zarr

    group = zarr.open_group(str(location), mode="r+")
    attrs = group.attrs.asdict()
    multiscale = label_image_multiscale(attrs)
    if multiscale:
        paths = [d["path"] for d in multiscale["datasets"]]
        pyramids = [open_pyramid(group, paths[0], tuple(paths[1:]))]
    else:
        pyramids = [open_pyramid(group, "labels")]
    if uncertainty:
        pyramids.append(open_pyramid(group, "uncertainty"))
    return pyramids
