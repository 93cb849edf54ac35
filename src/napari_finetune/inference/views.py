"""Prediction averaged over the flipped and rotated views the model was trained on.

A model trained with flips and 90° rotations has learned that a mirrored or
turned micrograph has the mirrored or turned answer, but each view of a pixel
still gets a slightly different guess. Averaging the class probabilities of
every view, each turned back first (test-time augmentation, which nnU-Net
does by default), removes part of that noise, but only where the views are
symmetries of the sample itself. Measured on this project's 2-core CPU
(``benchmarks/bench_levers.py --levers none --average-views``: 3 images × 4
boxes of 48², 60 s fine-tunes from ``world-unet``, 3 seeds; README, *Average
flipped and rotated views*), the 8 views of an ``equiaxed`` model lift the EM
membranes (+0.007 to +0.009 F1) and the superalloy's phases (+0.009 to +0.016
mIoU) at every seed, leave NIST steel level (its worst seed −0.004), and
cost 0.011 on synthetic grains elongated at 30° (a mirror or a turn shows
grains along directions the sample never has), at about 5× the prediction
time. So ``predict`` keeps one view unless asked; a labelling round averages
for stroke paintings, whose models gain more (:mod:`.views_advice`).

The views are the group the model's own training pipeline generates (its
recorded augmentation, :attr:`SegmentationModel.augmentation`), never more: a
``directional`` model (no vertical flip, no rotation: the thermal gradient is
real) is averaged over itself and its horizontal mirror only, an ``ebsd`` one
over nothing. A model whose training recorded no pipeline (a shipped
pretrained model used as it is) has one view, and so has one whose record
cannot be read (a checkpoint from another version: said in a warning).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import torch
import yaml

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.augment.catalog import CATALOG
from napari_finetune.inference.runtime import Forward
from napari_finetune.models.model import SegmentationModel

_SPATIAL = (-2, -1)


@dataclass(frozen=True)
class View:
    """A mirror (left-right) then ``quarter_turns`` 90° turns of the image plane."""

    quarter_turns: int = 0
    mirrored: bool = False

    def there(self, x: torch.Tensor) -> torch.Tensor:
        """The view of ``(N, C, H, W)`` images."""
        x = x.flip(-1) if self.mirrored else x
        return x.rot90(self.quarter_turns, _SPATIAL) if self.quarter_turns else x

    def back(self, y: torch.Tensor) -> torch.Tensor:
        """A per-pixel answer ``(N, K, H', W')`` on the view, turned back to the image."""
        y = y.rot90(-self.quarter_turns, _SPATIAL) if self.quarter_turns else y
        return y.flip(-1) if self.mirrored else y


IDENTITY = (View(),)


def symmetry_views(horizontal: bool, vertical: bool, quarter_turns: bool) -> tuple[View, ...]:
    """Every view that flips and turns allowed in training combine into.

    Parameters
    ----------
    horizontal, vertical : bool
        Left-right and top-bottom mirrors allowed.
    quarter_turns : bool
        90° rotations allowed.

    Returns
    -------
    tuple of View
        The identity first. Both mirrors give 4 views (a top-bottom mirror is a
        left-right one turned twice), turns alone 4, turns with any mirror 8.
    """
    turns = (0, 1, 2, 3) if quarter_turns else (0,)
    if quarter_turns and (horizontal or vertical):
        mirrors = [(t, True) for t in turns]
    else:
        # Without turns: a vertical mirror is the horizontal one turned twice.
        mirrors = [(0, True)] * horizontal + [(2, True)] * vertical
        if horizontal and vertical:
            turns = (0, 2)  # the two mirrors together are a half turn
    return tuple(View(t) for t in turns) + tuple(View(t, m) for t, m in mirrors)


def model_views(model: SegmentationModel) -> tuple[View, ...]:
    """The views ``model``'s recorded training augmentation makes equivalent.

    Parameters
    ----------
    model : SegmentationModel
        A model; its :attr:`~SegmentationModel.augmentation` YAML says which of
        ``HorizontalFlip``, ``VerticalFlip`` and ``RandomRotate90`` it trained with.

    Returns
    -------
    tuple of View
        :data:`IDENTITY` when no pipeline is recorded, or when the record
        cannot be read (with a warning naming the model, the first time that
        model's record is asked about).
    """
    if not model.augmentation:
        return IDENTITY
    try:
        return _recorded_views(model.augmentation)
    except Exception as err:  # any damage: predict once, never fail a prediction over it
        record = (model.name, model.augmentation)
        if record in _SAID_DAMAGED:
            return IDENTITY
        _SAID_DAMAGED.add(record)
        said = str(err).splitlines()[0] if str(err) else type(err).__name__
        warnings.warn(
            f"model {model.name or '(unnamed)'}: its training augmentation record cannot be "
            f"read ({said}), so its prediction is not averaged over views.",
            stacklevel=2,
        )
        return IDENTITY


# (model name, damaged record) already warned about: Predict, its status line and
# every file of a folder run ask for the views; the user is told once, not per asker.
_SAID_DAMAGED: set[tuple[str | None, str]] = set()


# One parse per record: Predict, its status line and every file of a folder run ask.
# A damaged record raises each time (nothing is cached); it is said once (above).
@functools.lru_cache(maxsize=32)
def _recorded_views(augmentation: str) -> tuple[View, ...]:
    try:
        pipeline = AugmentationPipeline.from_yaml(augmentation)
    except ValueError as err:
        # A record a later version refuses for another of its transforms (an eels
        # model trained with ShotNoise) still says which views it was trained on;
        # a geometric refusal stands (its views would break the physics).
        pipeline = _leniently(augmentation, err)
    # A transform switched on with probability 0 never showed the model that view.
    active = {t.name for t in pipeline.active if t.p > 0}
    return symmetry_views(
        "HorizontalFlip" in active, "VerticalFlip" in active, "RandomRotate90" in active
    )


def _leniently(augmentation: str, refused: ValueError) -> AugmentationPipeline:
    """The record with its non-geometric transforms switched off, if that is accepted."""
    data = yaml.safe_load(augmentation)
    if not isinstance(data, dict) or not isinstance(data.get("transforms"), list):
        raise refused
    kept = [
        {**t, "params": {}}
        if CATALOG.get(t.get("name")) and CATALOG[t["name"]].geometric
        else {**t, "enabled": False, "params": {}}
        for t in data["transforms"]
        if isinstance(t, dict)
    ]
    try:
        return AugmentationPipeline.from_dict({**data, "transforms": kept})
    except ValueError:
        raise refused from None


def views_for(model: SegmentationModel, average_views: bool) -> tuple[View, ...]:
    """The views a prediction of ``model`` averages: its own, or just the image."""
    return model_views(model) if average_views else IDENTITY


def averaged(forward: Forward, views: tuple[View, ...]) -> Forward:
    """``forward`` whose logits give the mean of ``views``' class probabilities.

    The result is the log of the mean probability (a softmax of it gives that
    mean back exactly), so every caller that turns logits into probabilities
    works unchanged. One view: ``forward`` itself.
    """
    if len(views) == 1 and views[0] == View():
        return forward

    def mean_of_views(x: torch.Tensor) -> torch.Tensor:
        total = sum(view.back(torch.softmax(forward(view.there(x)), 1)) for view in views)
        return torch.log((total / len(views)).clamp_min(1e-12))

    return mean_of_views


def describe_views(views: tuple[View, ...]) -> str:
    """What a prediction averaged over ``views`` did, for a status line.

    >>> describe_views(symmetry_views(True, False, False))
    'averaged over 2 views (the flips and turns the model trained with)'
    >>> describe_views(IDENTITY)
    'one view: the model records no flips or turns from its training'
    """
    if len(views) == 1:
        return "one view: the model records no flips or turns from its training"
    return f"averaged over {len(views)} views (the flips and turns the model trained with)"
