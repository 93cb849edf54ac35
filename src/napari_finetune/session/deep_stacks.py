"""Deep stacks in the viewer: a round reads only the planes that matter.

A stack of :data:`~napari_finetune.session.lazy_rule.LAZY_PIXELS` pixels or
more in all (64 × 1024², 16 × 2048², a FIB-SEM run of 1000 × 2048²) is *deep*
(:func:`~napari_finetune.session.lazy_rule.is_deep_stack`). Handled like a small
one, a round read it whole (a Dask or Zarr stack: into memory) and then
predicted every plane, keeping float32 probabilities of all of them: a
200 × 1024² uint8 Dask stack took 2.5 GB and 104 s for a round of 4 steps,
and 1000 × 2048² with three classes would need 48 GB and about half an hour.
So a round reads only a deep stack's painted planes (to train on) and the
plane in view (live previews, suggestions), and at its end predicts those
planes (:func:`round_planes`) one by one
(:mod:`~napari_finetune.session.deep_stack_prediction`, which also has
*Predict*'s run through every plane).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from napari_finetune.session.lazy_rule import is_deep_stack
from napari_finetune.training.events import Preparing

if TYPE_CHECKING:
    from napari_finetune.session.pairs import Pair


def painted_planes(labels: np.ndarray) -> list[int]:
    """Indices of the planes of a painting with painted pixels, in order.

    Parameters
    ----------
    labels : numpy.ndarray
        A ``(planes, rows, cols)`` painting (0 = unpainted).

    Returns
    -------
    list of int
    """
    flat = np.asarray(labels).reshape(len(labels), -1)
    return [int(z) for z in np.flatnonzero(flat.any(axis=1))]


def painting_copy(labels: object) -> np.ndarray:
    """A copy of a painting for a round, which the user may paint on meanwhile.

    Of a deep stack only the painted planes are written: the rest of the copy
    are zero pages the system hands out when first touched, so the click
    copies a few planes of a 1000-plane painting, not all of it (a 4 GB
    painting of 1000 × 2048² copied whole took 4 GB more, on the GUI thread).

    Parameters
    ----------
    labels : array-like
        The painted labels (a layer's data).

    Returns
    -------
    numpy.ndarray
        Equal to ``labels``, sharing no memory with it.
    """
    labels = np.asarray(labels)
    if not is_deep_stack(labels.shape):
        return np.array(labels)
    copy = np.zeros(labels.shape, labels.dtype)  # np.zeros: zero pages, not written
    for z in painted_planes(labels):
        copy[z] = labels[z]
    return copy


def round_planes(pair: Pair) -> list[int]:
    """The planes of a deep stack a round predicts at its end: painted ones and the one in view.

    Parameters
    ----------
    pair : Pair
        A stack's pair (its ``plane`` is the plane in view).

    Returns
    -------
    list of int
        In order, each once.
    """
    return sorted({*painted_planes(pair.labels), int(pair.plane)})


def training_inputs(
    pairs: list[Pair],
) -> Generator[Preparing, None, tuple[list[np.ndarray], list[np.ndarray]]]:
    """The images and labels a round trains on: of a lazy deep stack, only its painted planes read.

    A lazy deep stack's painted planes are read into an array of the stack's
    shape whose other planes are zero pages the system hands out when first
    touched (training looks only at painted planes), so the planes keep their
    indices: which regions of neighbouring planes validation holds out
    together (:mod:`~napari_finetune.data.split`) and the plane an error names
    are the stack's own. Any other pair's image is given as it is (a deep
    stack in memory included, and a deep stack with nothing painted, unread;
    others were read whole before, by
    :func:`~napari_finetune.session.pairs.read_pairs`). A generator: before
    reading a stack's planes it yields a
    :class:`~napari_finetune.training.events.Preparing` event (the status line
    says what takes the time; Stop is honoured between images).

    Parameters
    ----------
    pairs : list of Pair
        The painted pairs, in training order.

    Returns
    -------
    tuple of list
        The images and the labels to train on (the generator's return value).

    Raises
    ------
    ValueError
        When a plane cannot be read (its file gone, a network share down), naming the image.
    """
    images = []
    for pair in pairs:
        if not pair.deep or isinstance(pair.image, np.ndarray):
            images.append(pair.image)
            continue
        planes = painted_planes(pair.labels)
        if not planes:  # nothing painted: nothing to read (a comparison keeps such pairs)
            images.append(pair.image)
            continue
        yield Preparing(f"reading the {len(planes)} painted plane(s) of '{pair.name}'", 0.1)
        image = np.zeros(np.shape(pair.image), pair.image.dtype)  # np.zeros: zero pages
        image[planes] = read_planes(pair.image, planes, pair.name)
        images.append(image)
    return images, [pair.labels for pair in pairs]


def read_planes(image: object, planes: list[int], name: str) -> np.ndarray:
    """Planes of a stack, in memory, read one at a time.

    Parameters
    ----------
    image : array-like
        A stack, in memory or lazy.
    planes : list of int
        Which planes, in this order.
    name : str
        The image's name, for errors.

    Returns
    -------
    numpy.ndarray
        ``(len(planes), rows, cols[, C])``.

    Raises
    ------
    ValueError
        When a plane cannot be read, naming the image.
    """
    try:
        return np.stack([np.asarray(image[z]) for z in planes])
    except (OSError, ValueError) as err:
        raise ValueError(f"image '{name}' could not be read: {err}") from None
