"""Fine-tuning as a generator of events, strategies, losses and pretraining (no Qt)."""

from napari_finetune.training.events import EpochEnd, Finished, Started, Step
from napari_finetune.training.finetune import finetune, fit

__all__ = ["EpochEnd", "Finished", "Started", "Step", "finetune", "fit"]
