"""npe2 reader: reopen this plugin's prediction stores as the layers *Predict* showed.

Thin: :mod:`napari_finetune.session.prediction_store` decides whether a path
is a prediction store and which layers show it; this module hands them to
napari and says when a store is from a stopped run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from napari_finetune.session.prediction_store import open_prediction_store, prediction_layers

LayerData = tuple[Any, dict[str, Any], str]


def get_reader(path: str | list[str]) -> Callable[[str | list[str]], list[LayerData]] | None:
    """The reader for a prediction store, or None for anything else (another reader's path)."""
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    try:
        store = open_prediction_store(path)
    except ValueError as err:
        message = str(err)

        def refuse(_path: str | list[str]) -> list[LayerData]:
            # napari shows the message: the store is ours but cut short.
            raise ValueError(message)

        return refuse
    if store is None:
        return None

    def read(_path: str | list[str]) -> list[LayerData]:
        if not store.complete:
            from napari.utils.notifications import show_warning

            show_warning(f"Prediction store {Path(store.location).name}: {store.in_words()}.")
        return prediction_layers(store)

    return read
