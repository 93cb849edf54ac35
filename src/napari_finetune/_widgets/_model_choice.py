"""Which model the *Feature maps* dock looks into: the Fine-tune dock's, a shipped one, a file.

The Fine-tune dock's current model is found among the viewer's docks, or in
the widget kept after that dock was closed (it is whatever that dock trained
or loaded last); shipped models and files are
loaded in the worker that needs them, and the last :data:`KEPT_MODELS` are
kept (while their file is unchanged): going back and forth between two
models reads no file, and a session of many models does not hold them all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from magicgui.widgets import ComboBox, FileEdit

from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, load_model

if TYPE_CHECKING:
    import napari

CURRENT, FROM_FILE = "current", "file"
# Loaded models kept, the most recently used: each holds its weights in memory.
KEPT_MODELS = 2


def fine_tune_model(viewer: napari.viewer.Viewer) -> SegmentationModel | None:
    """The current model of the viewer's Fine-tune dock, open or closed, if it has one."""
    from napari_finetune._widgets._closed_dock import closed_fine_tune_widget
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

    window = getattr(viewer, "window", None)
    try:
        docks = list(window.dock_widgets.values()) if window is not None else []
        # closed with ×, the widget is kept (hidden) with its model: not a dock any more
        docks.append(closed_fine_tune_widget(viewer))
    except (AttributeError, RuntimeError):  # no Qt window, or it is closing
        return None
    for dock in docks:
        if isinstance(dock, FineTuneWidget) and dock.model is not None:
            return dock.model
    return None


class ModelChoice:
    """A model picker (``source``, and ``file`` when a file is chosen) with a loader."""

    def __init__(self, viewer: napari.viewer.Viewer, on_change: Callable[[], None]) -> None:
        self._viewer = viewer
        self._on_change = on_change
        self._lock = threading.Lock()
        self._loaded: OrderedDict[tuple, SegmentationModel] = OrderedDict()  # oldest first
        self._picked = False  # whether the user chose a source (then it is never switched)
        self.source = ComboBox(label="model", choices=self._choices)
        self.file = FileEdit(mode="r", filter="*.ckpt *.zip", label="model file", visible=False)
        self.source.changed.connect(self._on_source)
        self.file.changed.connect(lambda _path: self._on_change())
        self.refresh()

    def _choices(self, _widget: object = None) -> list:
        current = [("Fine-tune dock's model", CURRENT)] if fine_tune_model(self._viewer) else []
        shipped = [(f"{name} (shipped)", name) for name in REGISTRY]
        return [*current, *shipped, ("model file…", FROM_FILE)]

    def refresh(self) -> str | None:
        """Offer the Fine-tune dock's model once it has one; take it unless the user chose.

        Returns
        -------
        str or None
            A sentence for the status line when the chosen Fine-tune dock's model
            is gone and another model is chosen instead (else None).
        """
        was_current = self.source.value == CURRENT
        with self.source.changed.blocked():
            self.source.reset_choices()
            has_current = fine_tune_model(self._viewer) is not None
            if not self._picked or (was_current and not has_current):
                self.source.value = CURRENT if has_current else DEFAULT_MODEL
        self.file.visible = self.source.value == FROM_FILE
        if was_current and not has_current:
            self._picked = False  # the user's choice is gone: follow the dock again
            return (
                f"The Fine-tune dock's model is gone: now looking into {self.label()} (shipped)."
            )
        return None

    def _on_source(self, value: str) -> None:
        self._picked = True
        self.file.visible = value == FROM_FILE
        self._on_change()

    def label(self) -> str:
        """How the chosen model is named in messages."""
        value = self.source.value
        if value == CURRENT:
            return "the Fine-tune dock's model"
        if value == FROM_FILE:
            return f"model file {Path(str(self.file.value)).name}"
        return str(value)

    def loader(self) -> Callable[[], SegmentationModel]:
        """A function that returns the chosen model (run it in a worker: it may read a file).

        Raises
        ------
        ValueError
            When the Fine-tune dock has no model any more, or no file is chosen.
        """
        value = self.source.value
        if value == CURRENT:
            model = fine_tune_model(self._viewer)
            if model is None:
                raise ValueError(
                    "the Fine-tune dock has no model now: train or load one there, "
                    "or pick a shipped model."
                )
            return lambda: model
        if value == FROM_FILE:
            path = Path(str(self.file.value or ""))
            if not path.name or not path.is_file():
                raise ValueError("choose a model file (a .ckpt checkpoint or an exported .zip).")
            return lambda: self._load(str(path), path.stat().st_mtime_ns)
        return lambda: self._load(str(value), None)

    def known(self) -> SegmentationModel | None:
        """The chosen model if it is at hand without reading a file (else None)."""
        value = self.source.value
        if value == CURRENT:
            return fine_tune_model(self._viewer)
        key = str(self.file.value) if value == FROM_FILE else str(value)
        with self._lock:
            found = [m for (name, _), m in self._loaded.items() if name == key]
        return found[-1] if found else None

    def _load(self, name: str, stamp: int | None) -> SegmentationModel:
        """The model ``name`` (a file at modification time ``stamp``), loaded or kept."""
        key = (name, stamp)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        model = load_model(name)  # CheckpointError is a ValueError: said in words
        with self._lock:
            for old in [k for k in self._loaded if k[0] == name]:  # the file before it changed
                del self._loaded[old]
            self._loaded[key] = model
            while len(self._loaded) > KEPT_MODELS:
                self._loaded.popitem(last=False)
        return model
