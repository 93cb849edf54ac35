"""Reading an OME-Zarr image whole, as the arrays ``predict`` takes (needs zarr).

The full-resolution level of the first multiscale image is read into memory
and its axes arranged as ``predict`` expects: ``(rows, cols)``, ``(rows, cols,
3)`` for colour, or ``(planes, rows, cols)`` for a z-stack. Reading tile by
tile, without the whole image in memory, is a later step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_ome_zarr(path: str | Path) -> np.ndarray:
    """The full-resolution image of an OME-Zarr store (or a plain Zarr array).

    Parameters
    ----------
    path : str or Path
        A ``*.zarr`` folder: an OME-Zarr image (NGFF 0.1 to 0.5) or a Zarr array.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)``, ``(rows, cols, 3)`` or ``(planes, rows, cols)``.

    Raises
    ------
    ValueError
        Naming the store, when zarr is missing, the store cannot be read, or it
        holds a time series or more than RGB channels.
    """
    path = Path(path)
    try:
        import zarr
    except ImportError:
        raise ValueError(
            f"{path.name} is a Zarr store: reading it needs zarr (pip install zarr)."
        ) from None
    try:
        node = zarr.open(str(path), mode="r")
        if isinstance(node, zarr.Array):
            return _squeezed(np.asarray(node[...]))
        attrs = node.attrs.asdict()
        multiscales = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
        if not multiscales:
            raise ValueError("it has no 'multiscales' metadata (not an OME-Zarr image)")
        image = multiscales[0]
        data = np.asarray(node[image["datasets"][0]["path"]][...])
        axes = [axis["name"] if isinstance(axis, dict) else axis for axis in image.get("axes", [])]
    except Exception as err:  # any store or codec error: report the store, not zarr
        raise ValueError(f"{path.name} cannot be read as OME-Zarr: {err}") from None
    return _arranged(data, axes, path)


def _arranged(data: np.ndarray, axes: list[str], path: Path) -> np.ndarray:
    # NGFF before 0.3 had no axes field and always five: t, c, z, y, x.
    if len(axes) != data.ndim:
        axes = ["t", "c", "z", "y", "x"][-data.ndim :] if data.ndim <= 5 else []
    if not axes:
        return _squeezed(data)
    for name in ("t", "c", "z"):
        if name in axes and data.shape[axes.index(name)] == 1:
            data = np.squeeze(data, axis=axes.index(name))
            axes.remove(name)
    if "t" in axes:
        raise ValueError(f"{path.name} is a time series ({data.shape}): predict one time point.")
    if "c" in axes:
        channels = data.shape[axes.index("c")]
        if channels not in (3, 4):
            raise ValueError(f"{path.name} has {channels} channels: give a grey or an RGB image.")
        # OME-Zarr keeps channels first; predict takes colour as the last axis.
        data = np.moveaxis(data, axes.index("c"), -1)
    return data


def _squeezed(data: np.ndarray) -> np.ndarray:
    # Leading length-1 axes (t, c, z of a 5D array) hide a plain 2D image.
    while data.ndim > 2 and data.shape[0] == 1:
        data = data[0]
    return data
