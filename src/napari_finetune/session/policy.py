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


def start_class_names(
    start: str | Path | SegmentationModel, current: SegmentationModel | None
) -> dict[int, str] | None:
    """The class names a round from ``start`` keeps where the user names none.

    What an empty *classes* field means: the names of the model training would
    start from (:func:`resolve_start`; a fresh network from scratch has the
    shipped grain classes). None when they cannot be known yet: no current
    model, or a checkpoint that is missing or unreadable (the round says why).
    """
    known = _start_model(start, current)
    if known is None:
        return None
    return dict(DEFAULT_CLASSES) if isinstance(known, str) else dict(known.classes)


def start_head_classes(
    start: str | Path | SegmentationModel, current: SegmentationModel | None
) -> int | None:
    """How many classes the output head of the model a round from ``start`` starts from has.

    0 from scratch (a fresh network knows no class: every painting trains a new
    head); None when it cannot be known yet (as :func:`start_class_names`).
    What ``'auto'`` pseudo-labels are suggested from
    (:func:`~napari_finetune.training.class_contact.suggest_pseudo_labels`).
    """
    known = _start_model(start, current)
    if known is None:
        return None
    return 0 if isinstance(known, str) else known.n_classes


def _start_model(
    start: str | Path | SegmentationModel, current: SegmentationModel | None
) -> SegmentationModel | str | None:
    """The start model loaded, :data:`SCRATCH`, or None when it cannot be known yet."""
    try:
        model, strategy = resolve_start(start, current, "finetune")
    except (ValueError, OSError):
        return None
    if strategy == "scratch" or model is None:
        return SCRATCH
    return load_model(model) if isinstance(model, str) else model
