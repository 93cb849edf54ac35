"""A trained model's held-out score with its prediction averaged over views.

*Average flipped and rotated views* is a prediction choice, not a training one:
whether it helps depends on the sample (on this project's benchmarks it lifts
the EM membranes and the superalloy's phases, leaves NIST steel level and costs
synthetic grains elongated at 30°; :mod:`napari_finetune.inference.views`).
So the strategy advisor can judge it on the user's own painting at no extra
training: the kept weights of a run, scored once more on the same held-out
regions, the planes built exactly as the run's own validation built them
(:func:`~napari_finetune.training.run_setup.set_up_run`).
"""

from __future__ import annotations

from napari_finetune.data.painted import collect_painted, held_out_planes
from napari_finetune.data.split import given_split
from napari_finetune.inference.views import View, model_views
from napari_finetune.models.model import SegmentationModel
from napari_finetune.training.held_out_score import HeldOutScore
from napari_finetune.training.validation import validate


def held_out_with_views(
    model: SegmentationModel,
    images: object,
    labels: object,
    held_out: object,
    views: tuple[View, ...] | None = None,
) -> HeldOutScore:
    """Score ``model`` on the held-out painted pixels, each crop averaged over ``views``.

    Parameters
    ----------
    model : SegmentationModel
        A trained model (a run's kept weights, as
        :class:`~napari_finetune.training.events.Finished` gives them).
    images, labels : array or list of arrays
        What the run trained on, as given to :func:`~napari_finetune.finetune`.
    held_out : array or list of arrays
        The ``held_out`` masks the run validated on.
    views : tuple of View, optional
        None: the views ``model``'s recorded training augmentation allows
        (:func:`~napari_finetune.inference.views.model_views`); the identity
        alone gives the run's own validation score back.

    Returns
    -------
    HeldOutScore
        The score with its range and per-region counts, comparable region by
        region with the run's own (same regions, same order).
    """
    painted = collect_painted(images, labels)
    held = held_out_planes(painted, held_out)
    planes = painted.normalized(model.normalization)
    split = given_split(planes, held)
    views = model_views(model) if views is None else views
    return validate(model, planes, split, painted.painted_classes, views)[1]
