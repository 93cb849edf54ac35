"""The modality preset an image records, and the one a round should train with.

An image can carry its modality with it: the EBSD sample map records
``{"napari_finetune": {"preset": "ebsd"}}`` in its layer metadata, and a
reader or script can do the same for real maps. Training such a map with the
equiaxed default would rotate and recolour orientations, so the dock takes
the recorded preset until the user picks an augmentation (as it does with
its other suggestions), and says where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from napari_finetune.augment.presets import PRESETS

METADATA_KEY = "napari_finetune"


@dataclass(frozen=True)
class PresetAdvice:
    """The preset to train with (None: no advice) and why, in one sentence ('' if none)."""

    preset: str | None
    explanation: str = ""


def recorded_preset(metadata: object) -> str | None:
    """The preset key an image layer's ``metadata`` records; None if none or unknown."""
    ours = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    key = ours.get("preset") if isinstance(ours, Mapping) else None
    return key if isinstance(key, str) and key in PRESETS else None


def suggest_preset(recorded: Mapping[str, str | None]) -> PresetAdvice:
    """The preset the images to train on record, if they agree.

    Parameters
    ----------
    recorded : mapping
        Image name -> the preset it records (:func:`recorded_preset`), or None.

    Returns
    -------
    PresetAdvice
        The one preset the recording images name; no preset when none records
        one, or when they disagree (the explanation then names them).
    """
    named = {name: key for name, key in recorded.items() if key is not None}
    keys = sorted(set(named.values()))
    if not keys:
        return PresetAdvice(None)
    if len(keys) > 1:
        listed = ", ".join(f"'{name}' {PRESETS[key].title}" for name, key in named.items())
        return PresetAdvice(None, f"The images record different presets ({listed}): choose one.")
    key = keys[0]
    images = ", ".join(f"'{name}'" for name in named)
    return PresetAdvice(key, f"The preset recorded with {images} (pick another to override).")
