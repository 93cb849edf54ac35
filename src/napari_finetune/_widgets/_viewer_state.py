"""State shared between this plugin's dock widgets in one viewer.

The augmentation preview publishes the pipeline the user chose here, so the
fine-tune widget can train with it without the user entering it again.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from napari_finetune.augment import AugmentationPipeline

_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class ViewerState:
    """Per-viewer state: the augmentation pipeline last chosen in the preview."""

    augmentation: AugmentationPipeline | None = None


def viewer_state(viewer: object) -> ViewerState:
    """The shared state of ``viewer``'s docks (created on first use, gone with the viewer)."""
    if viewer not in _STATES:
        _STATES[viewer] = ViewerState()
    return _STATES[viewer]
