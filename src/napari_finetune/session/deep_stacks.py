"""Deep stacks in the viewer: only the planes that matter are read and predicted at once.

A stack of :data:`~napari_finetune.session.lazy_rule.LAZY_PIXELS` pixels or
more in all (64 × 1024², 16 × 2048², a FIB-SEM run of 1000 × 2048²) is *deep*
(:func:`~napari_finetune.session.lazy_rule.is_deep_stack`). Handled like a small
one, a round read it whole (a Dask or Zarr stack: into memory) and then
predicted every plane, keeping float32 probabilities of all of them: a
200 × 1024² uint8 Dask stack took 2.5 GB and 104 s for a round of 4 steps,
and 1000 × 2048² with three classes would need 48 GB and about half an hour.
So for a deep stack:

- a round reads only its painted planes (to train on) and the plane in view
  (live previews, suggestions), and at its end predicts those planes, one by
  one (:func:`round_planes`), then says how many of the stack's planes that is
  (:class:`PlanesPredicted`): the rest is *Predict*'s;
- *Predict* goes through every plane, the one in view first
  (:func:`predict_stack`), one :class:`~napari_finetune.session.events.Prediction`
  event a plane, so that the viewer fills the labels (1 byte a pixel) as it
  goes, shows the progress and stops between planes. No probabilities of the
  whole stack are kept.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from napari_finetune.inference.predict import predict
from napari_finetune.inference.views import views_for
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import load_model
from napari_finetune.session.events import Prediction
from napari_finetune.session.lazy_rule import is_deep_stack
from napari_finetune.session.pair_names import naming
from napari_finetune.training.events import Preparing

if TYPE_CHECKING:
    from napari_finetune.session.pairs import Pair


@dataclass(frozen=True)
class PlanesPredicted:
    """The planes of the deep stack ``target`` predicted, of ``total``, by ``model``."""

    target: str
    planes: tuple[int, ...]
    total: int
    model: SegmentationModel | None = None

    def describe(self) -> str:
        """E.g. "'stack': 3 of its 400 planes predicted (…); Predict does every plane."."""
        if len(self.planes) >= self.total:
            return f"'{self.target}': all {self.total} planes predicted, one by one."
        return (
            f"'{self.target}': {len(self.planes)} of its {self.total} planes predicted "
            "(the painted ones and the one in view: the stack is too deep to predict whole "
            "after every round); Predict does every plane, one by one."
        )


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


def training_input(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """The image and labels a round trains on: of a lazy deep stack, only its painted planes read.

    Parameters
    ----------
    pair : Pair
        A painted pair, its image read (:func:`~napari_finetune.session.pairs.read_pairs`)
        unless it is a deep stack.

    The painted planes are read into an array of the stack's shape whose other
    planes are zero pages the system hands out when first touched (training
    looks only at painted planes), so the planes keep their indices: which
    regions of neighbouring planes validation holds out together
    (:mod:`~napari_finetune.data.split`) and the plane an error names are the
    stack's own. Any other pair is given as it is (a deep stack in memory
    included; an image read whole before, by
    :meth:`~napari_finetune.session.pairs.Pair.read`).

    Returns
    -------
    tuple of numpy.ndarray
        The image and the labels.

    Raises
    ------
    ValueError
        When a plane cannot be read (its file gone, a network share down), naming the image.
    """
    if not pair.deep or isinstance(pair.image, np.ndarray):
        return pair.image, pair.labels
    image = np.zeros(np.shape(pair.image), pair.image.dtype)  # np.zeros: zero pages
    planes = painted_planes(pair.labels)
    image[planes] = read_planes(pair.image, planes, pair.name)
    return image, pair.labels


def training_inputs(
    pairs: list[Pair],
) -> Generator[Preparing, None, tuple[list[np.ndarray], list[np.ndarray]]]:
    """:func:`training_input` of each pair, saying which deep stack's planes are read.

    A generator: before reading a lazy deep stack's painted planes it yields a
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
    """
    images, labels = [], []
    for pair in pairs:
        if pair.deep and not isinstance(pair.image, np.ndarray):
            count = len(painted_planes(pair.labels))
            yield Preparing(f"reading the {count} painted plane(s) of '{pair.name}'", 0.1)
        image, painted = training_input(pair)
        images.append(image)
        labels.append(painted)
    return images, labels


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


def predict_planes(
    model: SegmentationModel,
    image: object,
    name: str,
    planes: list[int],
    *,
    device: str | None = None,
    average_views: bool = False,
) -> Iterator[Prediction]:
    """Predict ``planes`` of a stack one at a time, each read only when its turn comes.

    Parameters
    ----------
    model : SegmentationModel
        The model that predicts.
    image : array-like
        A stack ``(planes, rows, cols[, C])``, in memory or lazy (Dask, Zarr).
    name : str
        The image's name: the events' target, and what errors name.
    planes : list of int
        Which planes, in this order.
    device : str, optional
        Where the network runs (default: where the model's weights are).
    average_views : bool
        Average over the flipped and rotated views the model trained with.

    Yields
    ------
    Prediction
        Final probabilities ``(K, rows, cols)`` of one plane, with its index.
    """
    views = len(views_for(model, average_views))
    classes = dict(model.classes)
    for number, z in enumerate(planes):
        plane = read_planes(image, [z], name)[0]
        with naming(name):
            probabilities = predict(model, plane, device=device, average_views=average_views)
        first = number == 0  # the planes predicted before are another run's
        yield Prediction(name, probabilities, True, z, views, classes, clears=first)


def final_planes(
    model: SegmentationModel, pair: Pair, average_views: bool = False
) -> Iterator[Prediction | PlanesPredicted]:
    """A round's final predictions of a deep stack: :func:`round_planes`, then what was done.

    Parameters
    ----------
    model : SegmentationModel
        The round's model.
    pair : Pair
        The deep stack's pair.
    average_views : bool
        Average over the model's flipped and rotated views.

    Yields
    ------
    Prediction or PlanesPredicted
        One final prediction a plane, then the planes done of the stack's.
    """
    planes = round_planes(pair)
    yield from predict_planes(model, pair.image, pair.name, planes, average_views=average_views)
    yield PlanesPredicted(pair.name, tuple(planes), int(np.shape(pair.labels)[0]), model)


def predict_stack(
    model: SegmentationModel | str | Path,
    image: object,
    name: str,
    plane: int = 0,
    *,
    device: str | None = None,
    average_views: bool = False,
) -> Iterator[Prediction | PlanesPredicted]:
    """*Predict* on a deep stack: every plane, the one in view first; a model name is loaded.

    Closing the generator stops it between planes (the planes done stay shown).

    Parameters
    ----------
    model : SegmentationModel, str or Path
        A model, or a shipped name or checkpoint to load (here, in the worker).
    image : array-like
        The stack, in memory or lazy; only read, a plane at a time.
    name : str
        The image's name.
    plane : int
        The plane in view: predicted first.
    device : str, optional
        Where the network runs.
    average_views : bool
        Average over the model's flipped and rotated views.

    Yields
    ------
    Prediction or PlanesPredicted
        One final prediction a plane, then what was done.
    """
    if not isinstance(model, SegmentationModel):
        model = load_model(model)
    total = int(np.shape(image)[0])
    plane = min(max(int(plane), 0), total - 1)
    order = [plane, *(z for z in range(total) if z != plane)]
    yield from predict_planes(
        model, image, name, order, device=device, average_views=average_views
    )
    yield PlanesPredicted(name, tuple(range(total)), total, model)
