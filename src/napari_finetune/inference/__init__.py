"""Tiled prediction (no Qt); uncertainty and region suggestions come with active learning."""

from napari_finetune.inference.predict import labels_from_probabilities, predict

__all__ = ["labels_from_probabilities", "predict"]
