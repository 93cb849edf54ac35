"""Deep stacks predicted plane by plane: a round's planes, and *Predict* through every plane.

For a deep stack (:mod:`~napari_finetune.session.deep_stacks`) a round predicts
its painted planes and the plane in view at its end (:func:`final_planes`)
and says how many of the stack's planes that is (:class:`PlanesPredicted`);
*Predict* goes through every plane, the one in view first
(:func:`predict_stack`). Either yields one
:class:`~napari_finetune.session.events.Prediction` event a plane, so that
the viewer fills the labels (1 byte a pixel) as it goes, shows the progress
and stops between planes. No probabilities of the whole stack are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from napari_finetune.inference.predict import predict
from napari_finetune.inference.runtime import DEFAULT_BACKEND
from napari_finetune.inference.views import views_for
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import load_model
from napari_finetune.session.deep_stacks import read_planes, round_planes
from napari_finetune.session.events import Prediction
from napari_finetune.session.pair_names import naming

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


def predict_planes(
    model: SegmentationModel,
    image: object,
    name: str,
    planes: list[int],
    *,
    device: str | None = None,
    average_views: bool = False,
    backend: str = DEFAULT_BACKEND,
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
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network (a folder run's choice: :mod:`~napari_finetune.batch.stack_file`).

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
            probabilities = predict(
                model, plane, backend=backend, device=device, average_views=average_views
            )
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
