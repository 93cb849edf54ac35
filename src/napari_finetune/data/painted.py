"""Painted layers -> 2D training planes, with clear messages for bad input.

Accepted pairs (image, labels): 2D grey (rows, cols); RGB (rows, cols, 3);
a 3D stack (planes, rows, cols), grey or RGB, painted on some planes only.
A grey image with its channel axis of 1, ``(rows, cols, 1)`` or ``(planes, rows,
cols, 1)``, is grey, its labels given with or without that axis
(:func:`~napari_finetune.data.channel_axis.without_grey_axes`, in :func:`as_pairs`).
Labels: 0 = unpainted (ignored), 1..K = classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from napari_finetune.data.channel_axis import without_grey_axes
from napari_finetune.data.normalize import Normalization

MIN_SIDE = 16
# More classes than this is not a painting: most likely grain or cell ids.
MAX_CLASSES = 16


@dataclass(frozen=True)
class PaintedPlane:
    """One 2D plane to learn from.

    Attributes
    ----------
    image : numpy.ndarray
        Normalised float32 ``(rows, cols, channels)``.
    labels : numpy.ndarray
        int64 ``(rows, cols)``: 0 unpainted, 1..K classes.
    source : int
        Index of the (image, labels) pair it came from.
    plane : int or None
        Index of the plane within a 3D stack, None for 2D images.
    """

    image: np.ndarray
    labels: np.ndarray
    source: int
    plane: int | None = None


def as_pairs(images: object, labels: object) -> list[tuple[np.ndarray, np.ndarray]]:
    """Accept one array each, or two equally long sequences of arrays, as NumPy pairs.

    Every training entry point pairs its images and labels here, so that a grey
    image with its channel axis of 1 is grey from here on (shape checks,
    messages, validation, provenance): ``(rows, cols, 1)`` as ``(rows, cols)``,
    its labels given as ``(rows, cols)`` or ``(rows, cols, 1)``
    (:func:`~napari_finetune.data.channel_axis.without_grey_axes`).
    """
    if isinstance(images, np.ndarray) or hasattr(images, "__array__"):
        images, labels = [images], [labels]
    if not isinstance(images, Sequence) or not isinstance(labels, Sequence):
        raise ValueError("images and labels must be arrays or lists of arrays.")
    if len(images) != len(labels):
        raise ValueError(f"got {len(images)} images but {len(labels)} label arrays.")
    if not images:
        raise ValueError("no images given.")
    pairs = (without_grey_axes(np.asarray(i), lab) for i, lab in zip(images, labels, strict=True))
    return [(image, np.asarray(lab)) for image, lab in pairs]


def _split_planes(
    index: int, image: np.ndarray, labels: np.ndarray
) -> tuple[list[tuple[np.ndarray, np.ndarray, int | None]], int]:
    """Planes of one pair and its channel count; ValueError naming the problem."""
    name = f"image {index}"
    if labels.ndim not in (2, 3):
        raise ValueError(f"labels of {name} have shape {labels.shape}: expected 2D or 3D.")
    if image.shape == labels.shape:
        channels = 1
    elif (
        image.ndim == labels.ndim + 1
        and image.shape[:-1] == labels.shape
        and (image.shape[-1] in (3, 4))
    ):
        # RGBA: the alpha channel is display information, not signal.
        image, channels = image[..., :3], 3
    else:
        raise ValueError(
            f"{name} has shape {image.shape} but its labels have shape {labels.shape}: "
            "they must cover the same pixels (RGB or RGBA images may add a last axis "
            "of 3 or 4)."
        )
    if labels.ndim == 2:
        planes = [(image, labels, None)]
    else:
        planes = [(image[z], labels[z], z) for z in range(labels.shape[0])]
    rows, cols = labels.shape[-2:]
    if min(rows, cols) < MIN_SIDE:
        raise ValueError(
            f"{name} is {rows} × {cols} px: the model needs at least {MIN_SIDE} px per side."
        )
    return planes, channels


@dataclass(frozen=True)
class PaintedPairs:
    """Validated painted planes, not yet normalised (see :func:`collect_painted`).

    ``planes`` hold the raw image of each painted plane as ``(rows, cols,
    channels)`` (a view where possible): normalising is left to the caller,
    who may only know the model, and so its normalisation, once it has seen
    ``n_classes`` and ``channels``.
    """

    planes: list[PaintedPlane]
    n_classes: int
    channels: int
    painted_classes: frozenset[int] = frozenset()

    def normalized(self, normalization: Normalization | None = None) -> list[PaintedPlane]:
        """The planes with normalised float32 images (default: 1st-99.5th percentile)."""
        normalization = normalization or Normalization()
        return [
            PaintedPlane(normalization(p.image), p.labels, p.source, p.plane) for p in self.planes
        ]


def collect_painted(images: object, labels: object) -> PaintedPairs:
    """Validate painted pairs and gather the planes that have painted pixels.

    Parameters
    ----------
    images, labels : array or list of arrays
        Images and their sparse labels (0 = unpainted, 1..K = classes).

    Returns
    -------
    PaintedPairs
        Raw painted planes (only planes with painted pixels), K and the
        channel count (1 grey, 3 RGB).

    Raises
    ------
    ValueError
        Shape mismatch, NaN or infinite values, images under 16 px, non-integer
        or negative labels, nothing painted, only one class painted, or grey and
        colour images both painted (an unpainted image of the other kind is left out).
    """
    planes: list[PaintedPlane] = []
    channel_counts = set()
    painted_classes: set[int] = set()
    for index, (image, lab) in enumerate(as_pairs(images, labels)):
        # By kind: NumPy counts timedelta as an integer and complex as a number.
        if lab.dtype.kind not in "biu":
            raise ValueError(f"labels of image {index} are {lab.dtype}, not integers.")
        if lab.size and lab.min() < 0:
            raise ValueError(f"labels of image {index} contain negative values.")
        if image.dtype.kind not in "biuf":
            raise ValueError(f"image {index} has dtype {image.dtype}, not numbers.")
        pieces, channels = _split_planes(index, image, lab)
        # Only painted planes train: an unpainted colour image beside grey paintings is no mix.
        pieces = [piece for piece in pieces if piece[1].any()]
        if pieces:
            channel_counts.add(channels)
        for plane_image, plane_labels, z in pieces:
            if not np.all(np.isfinite(plane_image)):
                where = f"image {index}" + (f", plane {z}" if z is not None else "")
                raise ValueError(f"{where} contains NaN or infinite values.")
            painted_classes.update(_class_ids(index, z, plane_labels))
            data = plane_image if channels == 3 else plane_image[..., None]
            planes.append(PaintedPlane(data, plane_labels.astype(np.int64), index, z))
    if len(channel_counts) > 1:
        raise ValueError("mix of grey and RGB images: give all grey or all RGB.")
    if not planes:
        raise ValueError(
            "no painted pixels: paint at least two classes (e.g. 1 = grain interior, "
            "2 = boundary) before training."
        )
    if len(painted_classes) < 2:
        (only,) = painted_classes
        raise ValueError(
            f"only class {only} is painted: paint at least two classes so the model "
            "can learn to tell them apart."
        )
    return PaintedPairs(
        planes, max(painted_classes), channel_counts.pop(), frozenset(painted_classes)
    )


def held_out_planes(painted: PaintedPairs, held_out: object) -> list[np.ndarray]:
    """Per painted plane, its part of ``held_out`` (masks given per image, like the labels).

    Raises
    ------
    ValueError
        When the masks are not one per image, or a mask does not cover its labels.
    """
    if isinstance(held_out, np.ndarray) or hasattr(held_out, "__array__"):
        held_out = [held_out]
    masks = [np.asarray(m, bool) for m in held_out]
    sources = 1 + max(p.source for p in painted.planes)
    if len(masks) < sources:
        raise ValueError(f"{len(masks)} held-out masks for at least {sources} images.")
    out = []
    for plane in painted.planes:
        mask = masks[plane.source]
        mask = mask if plane.plane is None else mask[plane.plane]
        if mask.shape != plane.labels.shape:
            raise ValueError(
                f"the held-out mask of image {plane.source} has shape {mask.shape}, "
                f"its labels {plane.labels.shape}."
            )
        out.append(mask)
    return out


def _class_ids(index: int, plane: int | None, labels: np.ndarray) -> set[int]:
    """The painted class values of one plane; ValueError if they cannot be classes.

    Checked before ``np.unique`` sorts a huge id range and before a model with
    thousands of output channels is built (one stray pixel of id 5000 once made
    a five-step run take 400 s and 12 GB).
    """
    top = int(labels.max())
    where = f"image {index}" + (f", plane {plane}" if plane is not None else "")
    if top > MAX_CLASSES:
        count = int(np.count_nonzero(labels == top))
        raise ValueError(
            f"labels of {where} contain the value {top} ({count} px): painted classes "
            f"are numbered 1..K with K at most {MAX_CLASSES}. Is this a layer of grain "
            "or cell ids rather than a painting?"
        )
    return {int(c) for c in np.unique(labels) if c}


def check_class_ids(painted: set[int] | frozenset[int], known: set[int] | None = None) -> None:
    """ValueError naming the gap if the painted classes skip values the model cannot know.

    Classes are 1..K; painting 1 and 7 only would silently build a 7-class model
    that predicts five classes nobody painted. A class the start model already
    has (``known``) counts as present.

    Parameters
    ----------
    painted : set of int
        Class values painted over all images.
    known : set of int, optional
        Classes of the model training starts from (None: a fresh model).
    """
    present = set(painted) | set(known or ())
    missing = [k for k in range(1, max(painted) + 1) if k not in present]
    if missing:
        listed = ", ".join(str(k) for k in missing)
        raise ValueError(
            f"classes {', '.join(str(k) for k in sorted(painted))} are painted but "
            f"{listed} {'is' if len(missing) == 1 else 'are'} not: number classes 1..K "
            "without gaps (relabel the painting, or paint the missing classes)."
        )


def prepare_planes(
    images: object, labels: object, normalization: Normalization | None = None
) -> tuple[list[PaintedPlane], int, int]:
    """Validate painted pairs and turn them into normalised training planes.

    Parameters
    ----------
    images, labels : array or list of arrays
        Images and their sparse labels (0 = unpainted, 1..K = classes).
    normalization : Normalization, optional
        Per-plane normalisation (default: 1st-99.5th percentile).

    Returns
    -------
    planes : list of PaintedPlane
        Only planes with painted pixels.
    n_classes : int
        K, the largest painted class value.
    channels : int
        1 (grey) or 3 (RGB).

    Raises
    ------
    ValueError
        As :func:`collect_painted`.
    """
    painted = collect_painted(images, labels)
    return painted.normalized(normalization), painted.n_classes, painted.channels
