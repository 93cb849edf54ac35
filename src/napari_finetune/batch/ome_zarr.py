"""Reading an OME-Zarr image, whole or lazily, as the arrays ``predict`` takes (needs zarr).

The full-resolution level of the first multiscale image has its axes arranged
as ``predict`` expects: ``(rows, cols)``, ``(rows, cols, 3)`` for colour, or
``(planes, rows, cols)`` for a z-stack. :func:`read_ome_zarr` reads it into
memory; :func:`open_ome_zarr` gives it as a dask array that reads chunks only
when sliced, with the metadata that a labels group beside it needs
(:mod:`~napari_finetune.batch.ome_zarr_labels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class OmeImage:
    """The first multiscale image of an OME-Zarr store, opened lazily.

    ``data`` is the full-resolution level as a dask array with its axes
    arranged for ``predict``; ``multiscales`` the store's metadata of that
    image (datasets, axes, transformations), ``version`` its NGFF version
    (``'0.5'`` keeps it under the ``ome`` key, in a Zarr v3 store) and
    ``shapes`` the shape of every level, as stored.
    """

    path: Path
    data: object
    multiscales: dict
    version: str
    shapes: tuple[tuple[int, ...], ...]


def is_ome_zarr(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding Zarr metadata (a store to open with zarr)."""
    path = Path(path)
    return path.is_dir() and any(
        (path / name).is_file() for name in ("zarr.json", ".zattrs", ".zgroup", ".zarray")
    )


def open_ome_zarr(path: str | Path) -> OmeImage:
    """The full-resolution image of an OME-Zarr store, read lazily (needs zarr and dask).

    Parameters
    ----------
    path : str or Path
        A ``*.zarr`` folder holding an OME-Zarr image (NGFF 0.1 to 0.5).

    Returns
    -------
    OmeImage
        ``data`` is ``(rows, cols)``, ``(rows, cols, 3)`` or ``(planes, rows, cols)``.

    Raises
    ------
    ValueError
        Naming the store, as :func:`read_ome_zarr` does.
    """
    import dask.array as da

    path = Path(path)
    zarr = _zarr(path)
    try:
        node = zarr.open_group(str(path), mode="r")
        attrs = node.attrs.asdict()
        ome = attrs.get("ome", {})
        multiscales = attrs.get("multiscales") or ome.get("multiscales")
        if not multiscales:
            raise ValueError(_not_an_image(attrs, path))
        image = multiscales[0]
        levels = [node[d["path"]] for d in image["datasets"]]
        data = da.from_zarr(levels[0])
        axes = axis_names(image)
        version = str(ome.get("version") or image.get("version", "0.4"))
    except Exception as err:  # any store or codec error: report the store, not zarr
        raise ValueError(f"{path.name} cannot be read as OME-Zarr: {err}") from None
    shapes = tuple(tuple(level.shape) for level in levels)
    return OmeImage(path, _arranged(data, axes, path), image, version, shapes)


# What NGFF's axis types stand for here: the channel and time axes may have any name.
_TYPED = {"channel": "c", "time": "t"}


def axis_names(multiscale: dict) -> list[str]:
    """The axes of an NGFF multiscale as ``t``, ``c`` or their names (by type, then name)."""
    names = []
    for axis in multiscale.get("axes", []):
        if isinstance(axis, dict):
            names.append(_TYPED.get(axis.get("type"), axis.get("name")))
        else:
            names.append(axis)
    return names


def _not_an_image(attrs: dict, path: Path) -> str:
    # bioformats2raw, the usual converter of large mosaics, writes a collection.
    if "bioformats2raw.layout" in attrs or "bioformats2raw.layout" in attrs.get("ome", {}):
        return f"it is a bioformats2raw collection: give its first image, {path / '0'}"
    return "it has no 'multiscales' metadata (not an OME-Zarr image)"


def _zarr(path: Path) -> object:
    try:
        import zarr
    except ImportError:
        raise ValueError(
            f"{path.name} is a Zarr store: reading it needs zarr (pip install zarr)."
        ) from None
    return zarr


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
    zarr = _zarr(path)
    try:
        node = zarr.open(str(path), mode="r")
        if isinstance(node, zarr.Array):
            return _squeezed(np.asarray(node[...]))
        attrs = node.attrs.asdict()
        multiscales = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
        if not multiscales:
            raise ValueError(_not_an_image(attrs, path))
        image = multiscales[0]
        data = np.asarray(node[image["datasets"][0]["path"]][...])
        axes = axis_names(image)
    except Exception as err:  # any store or codec error: report the store, not zarr
        raise ValueError(f"{path.name} cannot be read as OME-Zarr: {err}") from None
    return _arranged(data, axes, path)


def _arranged(data: np.ndarray, axes: list[str], path: Path) -> np.ndarray:
    # NumPy or dask arrays alike (np.squeeze and np.moveaxis dispatch to dask).
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
