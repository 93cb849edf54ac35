"""State shared between this plugin's dock widgets in one viewer.

The augmentation preview publishes the pipeline the user chose here, so the
fine-tune widget can train with it without the user entering it again.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from napari_finetune.augment import AugmentationPipeline

_SESSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class Session:
    """Per-viewer state: the augmentation pipeline last chosen in the preview."""

    augmentation: AugmentationPipeline | None = None


def session(viewer: object) -> Session:
    """The session of ``viewer`` (created on first use, gone with the viewer)."""
    if viewer not in _SESSIONS:
        _SESSIONS[viewer] = Session()
    return _SESSIONS[viewer]
