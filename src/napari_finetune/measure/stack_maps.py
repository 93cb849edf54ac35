"""A stack of maps measured plane by plane: which planes a map has, for what it holds.

:func:`~napari_finetune.measure.measure_map` measures one 2D map: a class map
``(rows, cols)`` or probabilities ``(K, rows, cols)``. A FIB-SEM run or serial
sections give a stack of them, ``(planes, rows, cols)`` or ``(K, planes, rows,
cols)`` as ``predict`` of a stack gives: each plane is a section through the
specimen, measured on its own (a field, as ASTM E112 counts them). A folder
run's ``--measure`` and ``napari-finetune measure`` both go through here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from napari_finetune.measure.instances import guess_kind


def map_kind(data: np.ndarray, requested: str = "auto", named: bool = False) -> str:
    """What a map file holds: as asked, else a folder run's output by its dtype, else guessed.

    A folder run's outputs record their model's class names (``named``): an
    integer ``(rows, cols)`` or ``(planes, rows, cols)`` is its labels, a float
    ``(K, rows, cols)`` or ``(K, planes, rows, cols)`` its probabilities, told
    without reading a pixel (a deep stack's file may be larger than memory).
    Anything else is guessed from its values
    (:func:`~napari_finetune.measure.instances.guess_kind`).
    """
    if requested != "auto":
        return requested
    if named and np.issubdtype(data.dtype, np.integer) and np.ndim(data) in (2, 3):
        return "classes"
    if named and np.issubdtype(data.dtype, np.floating) and np.ndim(data) in (3, 4):
        return "probabilities"
    return guess_kind(np.asarray(data))


def planar_ndim(kind: str) -> int:
    """How many axes one 2D map of ``kind`` has: 3 for probabilities, else 2."""
    return 3 if kind == "probabilities" else 2


def stack_depth(data: np.ndarray, kind: str) -> int | None:
    """The planes of a stack of maps of ``kind`` (``'auto'``: guessed); None for one map.

    Parameters
    ----------
    data : array-like
        One map, or a stack of them (may be memory-mapped: only its shape is read,
        unless ``kind`` is ``'auto'``).
    kind : str
        What the map holds (:data:`~napari_finetune.measure.instances.KINDS`).

    Returns
    -------
    int or None
        The number of planes: the first axis of a stack of 2D maps, the second
        of probabilities ``(K, planes, rows, cols)``.
    """
    kind = guess_kind(data) if kind == "auto" else kind
    planar = planar_ndim(kind)
    if np.ndim(data) != planar + 1:
        return None
    return int(np.shape(data)[1 if kind == "probabilities" else 0])


def map_planes(data: np.ndarray, kind: str) -> Iterator[tuple[int | None, np.ndarray]]:
    """Each 2D map of ``data`` with its plane, read one at a time: ``(None, data)`` for one map.

    ``kind`` must be known (not ``'auto'``): it says which axis holds the planes.
    """
    depth = stack_depth(data, kind)
    if depth is None:
        yield None, data
        return
    for z in range(depth):
        yield z, np.asarray(data[:, z] if kind == "probabilities" else data[z])
