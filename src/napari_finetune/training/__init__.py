"""Fine-tuning as a generator of events, strategies, schedules, losses, pretraining (no Qt)."""

from napari_finetune.training.engine import finetune, fit
from napari_finetune.training.events import EpochEnd, Finished, Preparing, Started, Step
from napari_finetune.training.keep_best import KeepBest

__all__ = ["EpochEnd", "Finished", "KeepBest", "Preparing", "Started", "Step", "finetune", "fit"]
