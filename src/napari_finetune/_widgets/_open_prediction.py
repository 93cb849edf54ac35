"""Open a prediction store as layers: *File ▸ IO Utilities* and *Measure grains*.

The core (:mod:`napari_finetune.session.prediction_store`) opens the store and
describes its layers; this module asks for the folder, adds the layers and
says what is wrong or unfinished. (Not an npe2 reader: napari offers every
reader that takes folders for every folder dropped on it, so a reader here
would make napari ask "which plugin?" for every folder and OME-Zarr image.)
"""

from __future__ import annotations

import napari
from napari.layers import Layer
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtWidgets import QFileDialog

from napari_finetune.session.prediction_store import open_prediction_store, prediction_layers


def ask_store_folder() -> str:
    """Ask for the store's folder (patched in tests); '' when cancelled."""
    return QFileDialog.getExistingDirectory(None, "Open prediction store (a .zarr folder)")


def add_prediction_store(viewer: napari.viewer.Viewer, path: str) -> list[Layer]:
    """Add the store's layers (uncertainty hidden, then the prediction) to ``viewer``.

    Raises
    ------
    ValueError
        Naming the folder: not a prediction store, or a damaged one.
    """
    store = open_prediction_store(path)
    added = [viewer.add_layer(Layer.create(*data)) for data in prediction_layers(store)]
    said = f"Opened {store.location}: {store.in_words()}."
    (show_info if store.complete else show_warning)(said)
    return added


def open_prediction_store_dialog(viewer: napari.viewer.Viewer) -> list[Layer]:
    """*File ▸ IO Utilities ▸ Open prediction store…*: ask for a folder and show it."""
    path = ask_store_folder()
    if not path:
        return []
    try:
        return add_prediction_store(viewer, path)
    except ValueError as err:
        show_error(f"Open prediction store: {err}")
        return []
