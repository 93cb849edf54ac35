"""Bring any micrograph and label array into the form albumentations handles, and back.

albumentations works on uint8 or float32 images in [0, 1] and OpenCV cannot warp
uint32 masks (and casts int64 silently). Images are therefore scaled to float32
[0, 1] with an exactly invertible map and labels are carried as int32; both
return in their original dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_INT32_MAX = np.iinfo(np.int32).max


@dataclass(frozen=True)
class IntensityMap:
    """How an image was scaled to [0, 1]: ``work = (image - offset) / span``.

    Attributes
    ----------
    dtype : numpy.dtype
        The image's dtype, which :func:`unit_to_image` gives back.
    offset : float
        The value mapped to 0, in the image's units: the dtype's minimum for
        integer images (0 for bool), the smallest value for float images.
    span : float
        The range mapped to 0..1, in the image's units, positive: the dtype's
        full range for integers, 1 for bool, max - min (1 if flat) for floats.
    """

    dtype: np.dtype
    offset: float
    span: float


def check_pair(image: np.ndarray, mask: np.ndarray) -> None:
    """Raise ValueError unless ``image`` (2D grey or RGB) and ``mask`` (2D) match.

    Parameters
    ----------
    image : numpy.ndarray
        ``(rows, cols)``, ``(rows, cols, 1)`` or ``(rows, cols, 3)``, any dtype.
    mask : numpy.ndarray
        ``(rows, cols)`` integer labels.

    Raises
    ------
    ValueError
        For another image shape, a mask of another shape, a mask that is not
        integer, or labels outside 0 .. 2**31 - 1 (int32, what OpenCV warps).
    """
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (1, 3)):
        raise ValueError(
            f"image of shape {image.shape} is not a 2D grey or RGB (rows, cols, 3) image."
        )
    if mask.ndim != 2 or mask.shape != image.shape[:2]:
        raise ValueError(
            f"labels of shape {mask.shape} do not match the image's {image.shape[:2]}."
        )
    if not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(f"labels must be integers, not {mask.dtype}.")
    if mask.size and (mask.min() < 0 or mask.max() > _INT32_MAX):
        raise ValueError("labels must lie in 0 .. 2**31 - 1.")


def image_to_unit(image: np.ndarray) -> tuple[np.ndarray, IntensityMap]:
    """float32 copy of ``image`` in [0, 1], and the map to undo it.

    Integer images use their dtype's full range (so relative intensities and
    calibration survive); float images use their own min and max.

    Parameters
    ----------
    image : numpy.ndarray
        Any shape; bool, integer or float.

    Returns
    -------
    numpy.ndarray
        float32 of ``image``'s shape, in [0, 1].
    IntensityMap
        The map :func:`unit_to_image` undoes it with.

    Raises
    ------
    ValueError
        For a float image with NaN or infinite values.
    """
    if np.issubdtype(image.dtype, np.integer) or image.dtype == bool:
        info = np.iinfo(image.dtype) if image.dtype != bool else np.iinfo(np.uint8)
        offset, span = float(info.min), float(info.max) - float(info.min)
        if image.dtype == bool:
            span = 1.0
    else:
        finite = image[np.isfinite(image)]
        if finite.size != image.size:
            raise ValueError("image contains NaN or infinite values.")
        offset = float(finite.min()) if finite.size else 0.0
        span = float(finite.max()) - offset if finite.size else 1.0
        span = span or 1.0
    work = ((image.astype(np.float32) - np.float32(offset)) / np.float32(span)).astype(np.float32)
    return work, IntensityMap(image.dtype, offset, span)


def unit_to_image(work: np.ndarray, mapping: IntensityMap) -> np.ndarray:
    """Undo :func:`image_to_unit`, rounding and clipping for integer dtypes.

    Parameters
    ----------
    work : numpy.ndarray
        Values on the [0, 1] scale of ``mapping`` (after augmentation they may
        lie outside it), any shape.
    mapping : IntensityMap
        What :func:`image_to_unit` returned for the original image.

    Returns
    -------
    numpy.ndarray
        ``work``'s shape in ``mapping.dtype``: integers rounded and clipped to
        the dtype's range, bool where ``work`` >= 0.5, floats unclipped.
    """
    values = work.astype(np.float64) * mapping.span + mapping.offset
    if mapping.dtype == bool:
        return values >= 0.5
    if np.issubdtype(mapping.dtype, np.integer):
        info = np.iinfo(mapping.dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(mapping.dtype)
    return values.astype(mapping.dtype)


def mask_to_int32(mask: np.ndarray) -> np.ndarray:
    """int32 labels for OpenCV (values already checked by :func:`check_pair`).

    Parameters
    ----------
    mask : numpy.ndarray
        Integer labels in 0 .. 2**31 - 1.

    Returns
    -------
    numpy.ndarray
        int32, same shape and values (``mask`` itself when already int32).
    """
    return mask.astype(np.int32, copy=False)
