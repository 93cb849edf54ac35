"""*Restore paintings…*: which autosaved painting, and the new layer it comes back as.

A restored painting is always a new layer, named ``<layer> (restored HH:MM)``
(napari makes the name unique): no existing layer is changed. It lands where
it was (scale, offset, units) with its classes' colours and names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Labels
from qtpy.QtWidgets import QInputDialog, QWidget

from napari_finetune._widgets._painting_layer import painting_names
from napari_finetune.session import AutosaveEntry

if TYPE_CHECKING:
    import napari


def choose_entry(parent: QWidget, entries: list[AutosaveEntry]) -> AutosaveEntry | None:
    """Ask which saved painting to restore, newest first; None if cancelled."""
    items = AutosaveEntry.describe_all(entries)  # unique: the text picked names one entry
    item, ok = QInputDialog.getItem(
        parent,
        "Restore paintings",
        "Autosaved paintings, newest first (added as a new layer):",
        items,
        0,
        False,
    )
    return entries[items.index(item)] if ok and item in items else None


def add_restored(viewer: napari.viewer.Viewer, entry: AutosaveEntry, data: np.ndarray) -> Labels:
    """Add ``data`` (read from ``entry``) as a new labels layer, where and as it was."""
    ndim = data.ndim
    placed = {
        key: value
        for key, value in (
            ("scale", entry.scale),
            ("translate", entry.translate),
            ("units", entry.units),
        )
        if value is not None and len(value) == ndim and hasattr(Labels, key)
    }
    if entry.colors:
        placed["colormap"] = dict(entry.colors)
    if entry.class_names:  # hover names, and the classes field can rename its legend
        placed |= painting_names(entry.class_names)
    name = f"{entry.layer_name} (restored {entry.time:%H:%M})"
    return viewer.add_labels(data, name=name, **placed)
