"""What a training round is asked to do, as plain options objects (widget, CLI, scripts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

# The choice lists are defined where the command line reads them without torch.
from napari_finetune.choices import BN_CHOICES, STRATEGIES
from napari_finetune.choices import STRATEGY_CHOICES as STRATEGY_CHOICES
from napari_finetune.inference.suggest import (
    DRAW_SEED,
    REPRESENTATIVENESS_WEIGHT,
    check_draw_seed,
)
from napari_finetune.inference.thin_class_emphasis import THIN_CLASS_WEIGHT, check_weight
from napari_finetune.inference.uncertainty import DEFAULT_METHOD, METHODS
from napari_finetune.models.class_names import check_class_names
from napari_finetune.models.device import DEFAULT_DEVICE, resolve_device
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY
from napari_finetune.training.class_contact import check_semi_supervised, check_switch
from napari_finetune.training.objectives import parse_adaptation

if TYPE_CHECKING:
    from napari_finetune.augment import AugmentationPipeline
    from napari_finetune.models.model import SegmentationModel

# Start points besides the shipped models and checkpoint files.
SCRATCH = "scratch"  # a fresh network: the baseline that shows what pretraining buys
CURRENT = "current"  # the session's current model: continue training (warm start)
START_CHOICES: list[tuple[str, str]] = [
    *[(f"{name} (shipped)", name) for name in REGISTRY],
    ("from scratch", SCRATCH),
    ("current model (continue)", CURRENT),
]


@dataclass(frozen=True)
class SuggestionOptions:
    """Where-to-paint-next maps and boxes computed after a round.

    Attributes
    ----------
    method : str
        Uncertainty method (:data:`~napari_finetune.inference.uncertainty.METHODS`).
    n : int
        Boxes per image.
    size : int
        Box side in pixels.
    typical_weight : float
        Exponent of the representativeness factor of
        :func:`~napari_finetune.inference.suggest.rank_regions` (0: uncertainty only).
    seed : int or None
        Boxes are drawn in proportion to their score, from this seed mixed with
        the round and the image (:func:`suggestion_seed`: every round draws
        afresh, reproducibly); None takes the best boxes instead, which packs a
        round with one kind of error
        (:func:`~napari_finetune.inference.suggest.drawn_priorities`).
    thin_class_weight : float
        While a class is painted thinly, boxes seek where the model sees it
        (:mod:`~napari_finetune.inference.thin_class_emphasis`): exponent of
        that factor, 0 for off.
    """

    method: str = DEFAULT_METHOD
    n: int = 5
    size: int = 64
    typical_weight: float = REPRESENTATIVENESS_WEIGHT
    seed: int | None = DRAW_SEED
    thin_class_weight: float = THIN_CLASS_WEIGHT

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(
                f"uncertainty method {self.method!r} is unknown: choose one of "
                f"{', '.join(METHODS)}."
            )
        if self.n < 1 or self.size < 1:
            raise ValueError(f"suggestions n={self.n} and size={self.size} must be at least 1.")
        object.__setattr__(self, "seed", check_draw_seed(self.seed))
        check_weight("thin_class_weight", self.thin_class_weight)


def suggestion_seed(seed: int, round_number: int, image_index: int) -> int:
    """The seed of one image's drawn boxes: ``seed`` mixed with the round and the image.

    Each round and each image get their own stream, so a round never repeats the
    last one's draw and images are drawn independently.

    Parameters
    ----------
    seed : int
        The suggestions' seed (:attr:`SuggestionOptions.seed`), at least 0.
    round_number : int
        Rounds the model has trained (the session's rounds curve).
    image_index : int
        The image's place among the session's pairs.

    Returns
    -------
    int
        A seed for :func:`~napari_finetune.inference.suggest.rank_regions`.
    """
    return int(np.random.SeedSequence([seed, round_number, image_index]).generate_state(1)[0])


@dataclass(frozen=True)
class RoundOptions:
    """One training round of a :class:`~napari_finetune.session.LabellingSession`.

    Attributes
    ----------
    start : str, Path or SegmentationModel
        A shipped model name, ``'scratch'``, ``'current'`` (the session's model:
        warm start), a checkpoint path or a model object.
    strategy : str or None
        Transfer-learning strategy; None takes the one suggested for how much
        is painted (:func:`~napari_finetune.session.policy.suggest_strategy`).
        Ignored (``'scratch'``) when starting from scratch.
    bn_mode : str
        BatchNorm handling (:data:`BN_CHOICES`).
    max_seconds, steps : float or None, int or None
        Time budget, or an exact number of steps (which wins).
    augmentation : AugmentationPipeline, str or None
        A pipeline, a preset name, a YAML file, or None.
    seed : int
        Seed of everything random in the round.
    live_previews : bool
        Predict on the images now and then while training.
    final_predictions : bool
        Predict on every image after training.
    suggestions : SuggestionOptions or None
        Uncertainty maps and boxes for every image after training (None: none).
    device : str
        Where to train (and then predict): ``'auto'``, ``'cpu'``, ``'cuda'``,
        ``'cuda:N'`` or ``'mps'`` (:mod:`napari_finetune.models.device`).
    adaptation : str
        Levers beside BatchNorm: ``'none'``, ``'l2sp'``, ``'mmd'``, ``'dann'``
        or a ``+`` join (:data:`~napari_finetune.choices.ADAPTATIONS`).
    semi_supervised : bool or 'auto'
        Also learn from confident pseudo-labels on unpainted pixels, including
        the session's images that have no painting; ``'auto'``: when the
        painting's classes rarely meet (strokes,
        :mod:`~napari_finetune.training.class_contact`).
    fold_in : bool
        Let the held-out strokes train too from the first epoch end at or past
        60 % of the round, or for a last stretch when validation stops
        improving before that (:mod:`~napari_finetune.training.fold_in`).
    average_views : bool or 'auto'
        Average the final predictions over the flipped and rotated views the
        model trained with (:mod:`~napari_finetune.inference.views`; the live
        previews stay one view, to stay fast); ``'auto'``: when the painting's
        classes rarely meet (strokes, :mod:`~napari_finetune.inference.views_advice`).
    class_names : dict or None
        Painted value -> name (None: the start model's names,
        :func:`~napari_finetune.models.class_names.name_classes`).
    """

    start: str | Path | SegmentationModel = DEFAULT_MODEL
    strategy: str | None = None
    bn_mode: str = "auto"
    max_seconds: float | None = 60.0
    steps: int | None = None
    augmentation: AugmentationPipeline | str | None = "equiaxed"
    seed: int = 0
    live_previews: bool = True
    final_predictions: bool = True
    suggestions: SuggestionOptions | None = field(default_factory=SuggestionOptions)
    device: str = DEFAULT_DEVICE
    adaptation: str = "none"
    semi_supervised: bool | str = "auto"
    fold_in: bool = True
    average_views: bool | str = "auto"
    class_names: dict[int, str] | None = None

    def __post_init__(self) -> None:
        if self.class_names:
            check_class_names(self.class_names)
        resolve_device(self.device)  # a GPU this machine lacks is said before the round
        parse_adaptation(self.adaptation)
        check_semi_supervised(self.semi_supervised)
        check_switch("average_views", self.average_views)
        if self.strategy is not None and self.strategy not in STRATEGIES:
            raise ValueError(
                f"strategy={self.strategy!r} is unknown: choose one of {', '.join(STRATEGIES)}."
            )
        if self.bn_mode not in BN_CHOICES:
            raise ValueError(
                f"BatchNorm mode {self.bn_mode!r} is unknown: choose one of "
                f"{', '.join(BN_CHOICES)}."
            )
        if self.steps is None and (self.max_seconds is None or self.max_seconds <= 0):
            raise ValueError("give a positive time budget (max_seconds) or a number of steps.")
