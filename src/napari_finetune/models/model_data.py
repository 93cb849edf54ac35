"""What a model's data is, in words for its exports: its classes and its modality preset.

An exported model meets people who never saw its training: the BioImage.IO
description and model card say what it segments (its class names, not a fixed
"grain interiors and boundaries") and, for a model trained under a physics
preset, what its inputs must be and what must not be done to them.
"""

from __future__ import annotations

import yaml

from napari_finetune.models.model import SegmentationModel

# What the preset means for someone feeding the exported model its images.
PRESET_CAUTIONS = {
    "ebsd": "Its inputs are EBSD inverse-pole-figure colour maps (trained under the 'ebsd' "
    "preset: no mirrors, rotations, brightness, noise or blur, and warps resampled by "
    "nearest neighbour). Give maps in the same sample frame and colour key; do not flip, "
    "rotate or colour-adjust them. Inputs are normalised by their own percentiles per "
    "channel, which rebalances the colours of a strongly textured map.",
    "eels": "Its inputs are calibrated intensity maps (trained under the 'eels' preset: "
    "no brightness, contrast, gamma or noise changes). Inputs are normalised by their own "
    "percentiles, so the prediction does not use the absolute calibration across images.",
    "directional": "It was trained under the 'directional' preset: the image's vertical "
    "axis is the growth (thermal-gradient) direction; give images in that orientation and "
    "never flipped top to bottom or rotated.",
    "oriented": "It was trained under the 'oriented' preset: features lie along one "
    "direction of the image; give images in the same orientation, never mirrored or turned.",
}
MODALITIES = {
    "ebsd": "EBSD orientation maps (inverse-pole-figure colours)",
    "eels": "EELS or other calibrated intensity maps",
}


def trained_preset(model: SegmentationModel) -> str | None:
    """The modality preset of the model's last training run (None: none recorded)."""
    if not model.augmentation:
        return None
    try:
        key = yaml.safe_load(model.augmentation).get("preset")
    except (yaml.YAMLError, AttributeError):
        return None
    return key if isinstance(key, str) else None


# Named in a description at most (the BioImage.IO spec caps a description at 1024
# characters); the rest are counted.
LISTED_CLASSES = 6


def class_list(model: SegmentationModel) -> str:
    """The classes in words: "grain interior and boundary", "matrix, secondary γ′ and …"."""
    names = [model.classes.get(k, f"class {k}") for k in range(1, model.n_classes + 1)]
    if len(names) > LISTED_CLASSES:
        names = [*names[: LISTED_CLASSES - 1], f"{len(names) - LISTED_CLASSES + 1} more classes"]
    return in_words(names)


def in_words(names: list[str]) -> str:
    """Names in words: "a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def modality(model: SegmentationModel) -> str:
    """The imaging modality the model is for."""
    return MODALITIES.get(trained_preset(model) or "", "electron or light microscopy of materials")


def caution(model: SegmentationModel) -> str | None:
    """What its preset asks of anyone giving it images (None for the unconstrained ones)."""
    return PRESET_CAUTIONS.get(trained_preset(model) or "")
