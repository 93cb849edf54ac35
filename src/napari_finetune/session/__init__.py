"""One labelling session (no Qt): painted images, the model, rounds and suggestions.

The Fine-tune dock, the CLI and the benchmarks drive a :class:`LabellingSession`
with :class:`RoundOptions`; it decides the defaults (strategy, start model),
runs a round as a generator of events and, after it, computes uncertainty and
ranked boxes to paint for every image. :class:`PaintingAutosave` keeps copies of
what the user paints, so that no painting is lost.
"""

from napari_finetune.session.autosave import PaintingAutosave
from napari_finetune.session.autosave_files import AutosaveEntry
from napari_finetune.session.events import Prediction, RankedBox, RoundFinished, Suggestions
from napari_finetune.session.labelling import LabellingSession
from napari_finetune.session.options import (
    BN_CHOICES,
    CURRENT,
    SCRATCH,
    START_CHOICES,
    STRATEGY_CHOICES,
    RoundOptions,
    SuggestionOptions,
)
from napari_finetune.session.painting import (
    PaintClass,
    painting_brush_size,
    painting_classes,
    painting_legend,
)
from napari_finetune.session.pairs import Pair
from napari_finetune.session.policy import (
    StartClasses,
    StrategyAdvice,
    resolve_start,
    start_class_names,
    start_classes,
    suggest_strategy,
)
from napari_finetune.session.predicting import predicted, prediction_model
from napari_finetune.session.status import StatusLine, describe_model

__all__ = [
    "BN_CHOICES",
    "CURRENT",
    "SCRATCH",
    "START_CHOICES",
    "STRATEGY_CHOICES",
    "AutosaveEntry",
    "LabellingSession",
    "PaintClass",
    "PaintingAutosave",
    "Pair",
    "Prediction",
    "RankedBox",
    "RoundFinished",
    "RoundOptions",
    "StartClasses",
    "StatusLine",
    "StrategyAdvice",
    "SuggestionOptions",
    "Suggestions",
    "describe_model",
    "painting_brush_size",
    "painting_classes",
    "painting_legend",
    "predicted",
    "prediction_model",
    "resolve_start",
    "start_class_names",
    "start_classes",
    "suggest_strategy",
]
