"""A TIFF read only where it is sliced: a memory map, or a Zarr view of its tiles.

A 30 000² mosaic saved as one TIFF does not fit a PC's memory as float32 and
need not: an uncompressed TIFF with contiguous pixels is memory-mapped
(``tifffile.memmap``: slicing reads those bytes only); any other TIFF (tiled,
compressed, strips) is opened through tifffile's Zarr interface
(``imread(aszarr=True)``), which decodes only the tiles or strips a slice
touches. Both come from tifffile; nothing here reads pixels by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

TIFF_SUFFIXES = (".tif", ".tiff")


def is_tiff(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a TIFF file by its suffix (``.tif``, ``.tiff``, ``.ome.tif``)."""
    return Path(path).suffix.lower() in TIFF_SUFFIXES


def open_tiff_lazily(path: str | os.PathLike[str]) -> object:
    """The first image of a TIFF as an array that reads only what is sliced.

    Parameters
    ----------
    path : str or Path
        A TIFF file.

    Returns
    -------
    numpy.memmap or zarr.Array
        A read-only memory map when the pixels are stored uncompressed and
        contiguous, else a Zarr array over the file's tiles or strips (its
        full-resolution level for a pyramidal TIFF).

    Raises
    ------
    ValueError
        For a missing or unreadable file, said with its name.
    """
    import tifffile

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file.")
    try:
        return tifffile.memmap(path, mode="r")
    except ValueError:
        pass  # compressed, tiled or not contiguous: read through Zarr
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{path.name} cannot be read as a TIFF: {err}") from None
    try:
        import zarr
    except ImportError:
        raise ValueError(
            f"{path.name} is compressed or tiled: reading it lazily needs zarr "
            '(pip install "napari-finetune[zarr]").'
        ) from None
    try:
        node = zarr.open(tifffile.imread(path, aszarr=True), mode="r")
    except (OSError, tifffile.TiffFileError) as err:
        raise ValueError(f"{path.name} cannot be read as a TIFF: {err}") from None
    return node if isinstance(node, zarr.Array) else node["0"]  # pyramid: level 0
