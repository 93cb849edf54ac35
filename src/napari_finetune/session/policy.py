"""Defaults a session chooses for the user: the strategy, and the start model.

These are decisions, so they live here and not in a widget: the dock, the CLI
and the benchmarks must all make the same choice from the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from napari_finetune.models.model import DEFAULT_CLASSES, SegmentationModel
from napari_finetune.models.registry import REGISTRY, load_model
from napari_finetune.session.options import CURRENT, SCRATCH
from napari_finetune.training.strategies import STRATEGIES

# Below this many painted pixels, freezing the encoder is the safer default:
# a few strokes cannot pin down millions of encoder weights without forgetting.
FEW_PAINTED_PX = 2000


@dataclass(frozen=True)
class StrategyAdvice:
    """A strategy and the sentence that explains it to the user."""

    strategy: str
    explanation: str


def suggest_strategy(painted_pixels: int) -> StrategyAdvice:
    """The transfer-learning strategy for ``painted_pixels`` painted pixels.

    ``'head'`` (encoder frozen) below :data:`FEW_PAINTED_PX`, else ``'finetune'``.
    """
    strategy = "head" if painted_pixels < FEW_PAINTED_PX else "finetune"
    return StrategyAdvice(
        strategy, f"{STRATEGIES[strategy]} (suggested for {painted_pixels:,} painted px)"
    )


def resolve_start(
    start: str | Path | SegmentationModel,
    current: SegmentationModel | None,
    strategy: str,
) -> tuple[SegmentationModel | str | None, str]:
    """The start model and the strategy a round really uses.

    Parameters
    ----------
    start : str, Path or SegmentationModel
        A shipped name, ``'scratch'``, ``'current'``, a checkpoint path or a model.
    current : SegmentationModel or None
        The session's current model (for ``'current'``).
    strategy : str
        The strategy asked for; starting from scratch forces ``'scratch'``.

    Returns
    -------
    tuple
        ``(model, strategy)``: the model (a shipped name, a model object, or
        None from scratch) and the strategy.

    Raises
    ------
    ValueError
        ``'current'`` without a current model; CheckpointError (a ValueError)
        for a checkpoint that is missing or unreadable.
    """
    if isinstance(start, SegmentationModel):
        return start, strategy
    key = str(start)
    if key == SCRATCH:
        return None, "scratch"
    if key == CURRENT:
        if current is None:
            raise ValueError("There is no current model yet: train or load one first.")
        return current, strategy
    if key in REGISTRY:
        return key, strategy  # the engine loads shipped weights itself
    # load_model, not load_checkpoint: a BioImage.IO package this plugin exported works too.
    return load_model(Path(start)), strategy


@dataclass(frozen=True)
class StartClasses:
    """What a round from the start chosen now knows of the classes, read with one load.

    Attributes
    ----------
    names : dict or None
        What an empty *classes* field means: the start model's class names (a
        fresh network from scratch has the shipped grain classes); None when
        they cannot be known yet.
    head : int or None
        How many classes the start model's output head has: 0 from scratch (a
        fresh network knows none: every painting trains a new head), None when
        not known yet.
    """

    names: dict[int, str] | None
    head: int | None

    def head_under(self, strategy: str) -> int | None:
        """:attr:`head` as a round with ``strategy`` starts from: 0 under ``'scratch'``.

        What ``'auto'`` pseudo-labels are suggested from
        (:func:`~napari_finetune.training.class_contact.suggest_pseudo_labels`).
        """
        return 0 if strategy == "scratch" else self.head


def start_classes(
    start: str | Path | SegmentationModel, current: SegmentationModel | None
) -> StartClasses:
    """The class names and head classes of the start model a round from ``start`` takes.

    ``start`` and ``current`` as for :func:`resolve_start`; the names are those
    :func:`~napari_finetune.training.start.resolve_model` gives the classes,
    whatever the strategy. Both None when the start cannot be known yet: no
    current model, or a checkpoint that is missing or unreadable (the round
    says why).
    """
    try:
        model, _ = resolve_start(start, current, "finetune")
    except (ValueError, OSError):
        return StartClasses(None, None)
    if model is None:  # start from scratch
        return StartClasses(dict(DEFAULT_CLASSES), 0)
    loaded = load_model(model) if isinstance(model, str) else model
    return StartClasses(dict(loaded.classes), loaded.n_classes)


def start_class_names(
    start: str | Path | SegmentationModel, current: SegmentationModel | None
) -> dict[int, str] | None:
    """The class names a round from ``start`` keeps where the user names none.

    What an empty *classes* field means (:attr:`StartClasses.names`); None when
    they cannot be known yet.
    """
    return start_classes(start, current).names
