"""Reading and writing images for the command line: TIFF via tifffile, PNG/JPEG via imageio."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

import numpy as np
import tifffile
from PIL import Image
from skimage.io import imread, imsave

from napari_finetune.data.calibration import calibration_of, crop_data_bar
from napari_finetune.data.safe_write import atomic_write
from napari_finetune.data.tiff_read import TIFF_SUFFIXES, read_open_tiff, read_tiff

T = TypeVar("T")


def read_image(path: str | Path) -> np.ndarray:
    """An image file as an array, without an instrument's data bar; ValueError naming the file.

    The image of a file the plugin predicts or trains on, read as the viewer's
    *Open SEM TIFF* reads it (:func:`read_specimen`): the same pixels are
    normalised alike wherever a model meets them.

    Parameters
    ----------
    path : str or Path
        A TIFF, PNG or JPEG file.

    Returns
    -------
    numpy.ndarray
        The pixels in the file's own dtype (no scaling): ``(rows, cols)`` grey,
        ``(rows, cols, 3 | 4)`` colour, or a TIFF's stack of planes first.

    Raises
    ------
    ValueError
        Naming the file, as :func:`read_specimen` does.
    """
    return read_specimen(path)[0]


def read_specimen(path: str | Path) -> tuple[np.ndarray, int]:
    """An image file without its data bar, and how many rows the bar had (0: none).

    FEI/Thermo SEMs write a data bar (text, scale bar) under the specimen
    (:mod:`~napari_finetune.data.calibration`): its black and white pixels would
    set the percentiles the image is normalised by, so it is cropped here, as
    :func:`~napari_finetune.data.calibration.open_calibrated` does for the viewer.
    A planar RGB TIFF comes with its colour last (:mod:`~napari_finetune.data.tiff_read`).

    Parameters
    ----------
    path : str or Path
        A TIFF, PNG or JPEG file.

    Returns
    -------
    numpy.ndarray
        The pixels as :func:`read_image` gives them, the bar's rows cut off.
    int
        Rows of data bar removed from the bottom (0 when there was none, or the
        image is not one grey or colour plane).

    Raises
    ------
    ValueError
        Naming the file: missing, a folder, unreadable, empty, or a TIFF with
        channels (not grey, not RGB).
    """
    path = _existing(path)
    bar = 0
    if path.suffix.lower() in TIFF_SUFFIXES:
        # Pixels and tags from one open: a many-page file or a network share is
        # parsed once, and the bar's height is that of the pixels' version of the file.
        with ExitStack() as files:

            def decode() -> tuple[np.ndarray, tifffile.TiffFile]:
                tif = files.enter_context(tifffile.TiffFile(path))
                return read_open_tiff(tif, path)[0], tif

            data, tif = _decoded(path, decode)
            found = calibration_of(tif, path)
        bar = found.data_bar_rows if found is not None else 0
        if bar and (data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (3, 4))):
            data = crop_data_bar(data, bar)
        else:
            bar = 0
    else:
        data = _decoded(path, lambda: np.asarray(imread(path)))
    return data, bar


def read_labels(path: str | Path) -> np.ndarray:
    """A label image file as class values (0 unpainted, 1..K); ValueError naming the file.

    An indexed (palette) PNG keeps its palette indices, which are the classes:
    an ordinary image reader would turn them into the palette's RGB colours.
    A label file that is a colour image is refused: its colours are no classes.

    Parameters
    ----------
    path : str or Path
        A TIFF or PNG label file (grey or indexed).

    Returns
    -------
    numpy.ndarray
        The class of each pixel, ``(rows, cols)`` (a TIFF may hold a stack of
        planes first), in the file's dtype (uint8, uint16, ...), unconverted.

    Raises
    ------
    ValueError
        Naming the file: missing, a folder, unreadable, empty, or a colour image.
    """
    path = _existing(path)
    if path.suffix.lower() in TIFF_SUFFIXES:
        # tifffile returns a palette TIFF's indices as they are.
        data, axes = _decoded(path, lambda: read_tiff(path))
        colour = "S" in axes
    else:
        data = _decoded(path, lambda: _pillow_pixels(path))
        colour = data.ndim == 3  # a PNG or JPEG holds one plane: a third axis is colour
    if colour:
        raise ValueError(
            f"{path.name}: labels look like a colour image (shape {data.shape}); save class "
            "indices instead: a grey or indexed image, 0 = unpainted, 1, 2, ... the classes."
        )
    return data


def read_painted_pair(image: str | Path, labels: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """An image file (:func:`read_image`) and its label file (:func:`read_labels`).

    Labels painted on the whole instrument image, data bar included, lose the
    bar's rows as the image does; labels painted on the cropped image (the
    viewer's *Open SEM TIFF*) fit it as they are.

    Parameters
    ----------
    image, labels : str or Path
        The image file and its label file.

    Returns
    -------
    numpy.ndarray
        The image's pixels, without data bar (:func:`read_specimen`).
    numpy.ndarray
        Its classes (:func:`read_labels`), the bar's rows cut off when they
        were painted over the whole instrument image; otherwise as read.

    Raises
    ------
    ValueError
        Naming the file that cannot be read or is refused.
    """
    pixels, bar = read_specimen(image)
    classes = read_labels(labels)
    if bar and classes.shape[0] == pixels.shape[0] + bar:
        classes = crop_data_bar(classes, bar)
    return pixels, classes


def _pillow_pixels(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        # Mode 'P' gives the palette indices; 'L', 'I;16', 'I' their values.
        return np.asarray(picture)


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not an image file.")
    if not path.is_file():
        raise ValueError(f"{path} does not exist.")
    return path


def _decoded(path: Path, decode: Callable[[], T]) -> T:
    """What ``decode`` gives, with a decoder's error and an empty image told by the file's name."""
    try:
        decoded = decode()
    except ValueError as err:
        if path.name in str(err):  # ours, naming the file already
            raise
        raise ValueError(f"{path.name} cannot be read as an image: {err}") from None
    except Exception as err:  # any decoder error: report the file, not the decoder
        raise ValueError(f"{path.name} cannot be read as an image: {err}") from None
    data = decoded[0] if isinstance(decoded, tuple) else decoded
    # A damaged TIFF can decode to an empty array rather than fail: say so here,
    # not later as "image 0 has shape (0,)".
    if data.size == 0 or data.ndim < 2:
        raise ValueError(
            f"{path.name} holds no image data (shape {data.shape}): the file is empty, "
            "truncated or corrupt."
        )
    return decoded


def write_image(path: str | Path, data: np.ndarray, metadata: dict | None = None) -> Path:
    """Write ``data`` as TIFF (any dtype) or PNG (uint8/uint16), atomically.

    The file is written under a temporary name and renamed when complete (see
    :func:`~napari_finetune.data.safe_write.atomic_write`): an existing file is
    replaced whole or not at all. Missing parent folders are created.
    ``metadata`` (JSON-able) goes into a TIFF's description, beside its shape
    (tifffile's ``shaped_metadata`` reads it back); a PNG refuses it.

    Parameters
    ----------
    path : str or Path
        Destination; ``.tif``/``.tiff`` writes a TIFF, anything else goes to
        :func:`skimage.io.imsave` by its suffix.
    data : numpy.ndarray
        The pixels, written in their dtype and shape.
    metadata : dict, optional
        JSON-able data for a TIFF's description.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValueError
        For ``metadata`` with a file that is no TIFF, naming the file.
    """
    path = Path(path)
    is_tiff = path.suffix.lower() in TIFF_SUFFIXES
    if metadata is not None and not is_tiff:
        raise ValueError(f"{path.name}: metadata can only be written into a TIFF.")
    with atomic_write(path) as temporary:
        if is_tiff:
            # Said, not guessed: tifffile takes (3, rows, cols) for a planar RGB image
            # (3 planes of labels, 3 classes' probabilities) and will stop guessing.
            colour = np.ndim(data) == 3 and np.shape(data)[-1] in (3, 4)
            photometric = "rgb" if colour else "minisblack"
            tifffile.imwrite(temporary, data, photometric=photometric, metadata=metadata or {})
        else:
            imsave(temporary, data, check_contrast=False)
    return path
