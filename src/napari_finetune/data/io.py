"""Reading and writing images for the command line: TIFF via tifffile, PNG/JPEG via imageio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from skimage.io import imread, imsave

from napari_finetune.data.safe_write import atomic_write

TIFF_SUFFIXES = (".tif", ".tiff")


def read_image(path: str | Path) -> np.ndarray:
    """An image file as an array; ValueError naming the file if it cannot be read."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not an image file.")
    if not path.is_file():
        raise ValueError(f"{path} does not exist.")
    try:
        if path.suffix.lower() in TIFF_SUFFIXES:
            data = tifffile.imread(path)
        else:
            data = np.asarray(imread(path))
    except Exception as err:  # any decoder error: report the file, not the decoder
        raise ValueError(f"{path.name} cannot be read as an image: {err}") from None
    # A damaged TIFF can decode to an empty array rather than fail: say so here,
    # not later as "image 0 has shape (0,)".
    if data.size == 0 or data.ndim < 2:
        raise ValueError(
            f"{path.name} holds no image data (shape {data.shape}): the file is empty, "
            "truncated or corrupt."
        )
    return data


def write_image(path: str | Path, data: np.ndarray, metadata: dict | None = None) -> Path:
    """Write ``data`` as TIFF (any dtype) or PNG (uint8/uint16), atomically.

    The file is written under a temporary name and renamed when complete (see
    :func:`~napari_finetune.data.safe_write.atomic_write`): an existing file is
    replaced whole or not at all. Missing parent folders are created.
    ``metadata`` (JSON-able) goes into a TIFF's description, beside its shape
    (tifffile's ``shaped_metadata`` reads it back); a PNG refuses it.
    """
    path = Path(path)
    is_tiff = path.suffix.lower() in TIFF_SUFFIXES
    if metadata is not None and not is_tiff:
        raise ValueError(f"{path.name}: metadata can only be written into a TIFF.")
    with atomic_write(path) as temporary:
        if is_tiff:
            tifffile.imwrite(temporary, data, metadata=metadata or {})
        else:
            imsave(temporary, data, check_contrast=False)
    return path
