"""The Fine-tune dock's autosave rows: painted layers are kept safe; *Restore paintings…*.

The layers chosen as painted inputs are saved, and any other labels layer the
user paints on (a napari *New labels* layer, a prediction corrected by hand,
which becomes the user's). A stroke marks a layer edited; a timer asks the core
(:class:`~napari_finetune.session.PaintingAutosave`) every few seconds whether a
save is due; the layer is copied in the GUI thread (3 ms for 4096²) and written
in a worker (20-150 ms), one write per layer at a time. Before training, when a
painted layer is removed and when the dock closes, a save is forced.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from magicgui.widgets import Label, PushButton
from napari.layers import Labels
from napari.qt.threading import create_worker
from napari.utils.colormaps import DirectLabelColormap
from napari.utils.notifications import show_warning
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QSizePolicy

from napari_finetune._widgets._layers import LayerFollower, adopt_if_output
from napari_finetune._widgets._restore_painting import add_restored, choose_entry
from napari_finetune.class_roles import names_by_value
from napari_finetune.session import AutosaveEntry, PaintingAutosave

if TYPE_CHECKING:
    import napari

    from napari_finetune._widgets._training_pairs import TrainingPairs

# How often edited layers are checked; the core decides whether a write is due.
TICK_SECONDS = 5.0


def _short(path: Path) -> str:
    """``path`` with the home folder as ``~``: the status line stays short."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _class_colors(layer: Labels) -> dict | None:
    """The layer's colour per class when the user set them (a direct colormap), else None."""
    colormap = layer.colormap
    if isinstance(colormap, DirectLabelColormap) and len(colormap.color_dict) <= 1024:
        return {k: tuple(float(c) for c in rgba) for k, rgba in colormap.color_dict.items()}
    return None


def _class_names(layer: Labels) -> dict[int, str] | None:
    """The class names of a painting made by *New painting layer* (its metadata), else None."""
    return names_by_value(layer.metadata.get("napari_finetune", {}).get("classes"))


class AutosaveRows:
    """Autosave the chosen painted layers; restore a saved painting as a new layer.

    Not a container of its own: the dock places :attr:`restore` (beside
    *+ add image*) and :attr:`widgets` (the autosave status line) in its form.
    Layers are held only weakly, so a closed viewer or dock is freed.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where painted layers are watched and restored ones are added.
    pairs : TrainingPairs
        The dock's training pairs: their labels layers are the ones saved.
    report : callable
        Reports an error to the user (the dock's error reporting).
    autosave : PaintingAutosave, optional
        The core that decides and writes; by default one on the user's data folder.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        pairs: TrainingPairs,
        report: Callable[[BaseException], None],
        autosave: PaintingAutosave | None = None,
    ) -> None:
        self.autosave = autosave if autosave is not None else PaintingAutosave()
        self._viewer, self._pairs, self._report = viewer, pairs, report
        # Edited since last copied; unknown layers count as edited (painted before the dock).
        self._edited: weakref.WeakKeyDictionary[Labels, bool] = weakref.WeakKeyDictionary()
        # Chosen or painted at some point, with their image's name: saved if removed or on close.
        self._chosen: weakref.WeakKeyDictionary[Labels, str | None] = weakref.WeakKeyDictionary()
        # Each layer's series of versions: its own, whatever names come and go.
        self._keys: weakref.WeakKeyDictionary[Labels, str] = weakref.WeakKeyDictionary()
        self._in_flight: weakref.WeakSet[Labels] = weakref.WeakSet()  # a write running
        self._too_large: weakref.WeakSet[Labels] = weakref.WeakSet()  # said once
        self._workers: set = set()
        self._failing, self._closed = False, False
        self.restore = PushButton(text="Restore paintings…", tooltip="add an autosaved painting")
        self.status = Label(value=self._idle_text())
        self.status.native.setWordWrap(True)
        self.status.native.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.status.native.setToolTip(f"This window saves to {self.autosave.session_folder}")
        self.widgets = [self.status]
        self.restore.changed.connect(self.restore_painting)
        self.timer = QTimer(self.status.native)
        self.timer.setInterval(int(TICK_SECONDS * 1000))
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.status.native.destroyed.connect(self._on_closed)
        self._follower = LayerFollower(viewer, lambda: None, on_new_layer=self._watch)
        # Before the removal, while the dock's pickers still show the layer.
        viewer.layers.events.removing.connect(self._on_removing)

    def _idle_text(self) -> str:
        every = f"{self.autosave.min_interval:.0f} s"
        return f"Autosave of painted labels every {every} to {_short(self.autosave.folder)}"

    # -- watching ----------------------------------------------------------------------

    def _watch(self, layer: object) -> None:
        if isinstance(layer, Labels):
            self._edited[layer] = True
            layer.events.paint.connect(self._on_paint)
            layer.events.data.connect(self._on_edit)
            layer.events.colormap.connect(self._on_edit)  # a renamed legend restyles it

    def _on_edit(self, event: object) -> None:
        if isinstance(event.source, Labels):
            self._edited[event.source] = True

    def _on_paint(self, event: object) -> None:
        # A brush stroke: the user's work, whichever layer it is on.
        layer = event.source
        if isinstance(layer, Labels):
            self._edited[layer] = True
            adopt_if_output(layer)
            self._chosen.setdefault(layer, None)

    def painted_layers(self) -> list[tuple[Labels, str | None]]:
        """The chosen painted layers and any other the user painted, with their images' names."""
        found = {}
        for row in self._pairs.rows():
            labels, image = row.labels_layer.value, row.image_layer.value
            if labels is not None:
                found[labels] = image.name if image is not None else None
                self._chosen[labels] = found[labels]
        for layer, image_name in list(self._chosen.items()):
            if layer not in found and layer in self._viewer.layers:
                found[layer] = image_name
        return list(found.items())

    def _key(self, layer: Labels) -> str:
        return self._keys.setdefault(layer, uuid.uuid4().hex)

    # -- saving ------------------------------------------------------------------------

    def tick(self) -> None:
        """Start a write for each chosen layer that was edited and is due."""
        if self._closed:
            return
        for layer, image_name in self.painted_layers():
            edited = self._edited.get(layer, True) and layer not in self._in_flight
            if edited and self.autosave.due(self._key(layer)):
                self._save_in_worker(layer, image_name, force=False)

    def save_now(self) -> None:
        """Save every painted layer now, unless unchanged (e.g. before training starts)."""
        for layer, image_name in self.painted_layers():
            if layer in self._in_flight:  # that write's copy may predate the last strokes
                self._save_here(layer, image_name, "before this round")
            else:
                self._save_in_worker(layer, image_name, force=True)

    def _copy(self, layer: Labels, image_name: str | None) -> tuple[np.ndarray, dict] | None:
        reason = self.autosave.skip_reason(layer.data)
        if reason is not None:
            if not self._closed:
                self.status.value = f"'{layer.name}' is not autosaved: {reason}."
                if layer not in self._too_large:  # a notification, once per layer
                    self._too_large.add(layer)
                    show_warning(self.status.value)
            return None
        self._edited[layer] = False
        where = {
            "image_name": image_name,
            "scale": tuple(layer.scale),
            "translate": tuple(layer.translate),
            "units": tuple(str(u) for u in getattr(layer, "units", ()) or ()) or None,
            "colors": _class_colors(layer),
            "class_names": _class_names(layer),
        }
        return np.array(layer.data), where

    def _save_in_worker(self, layer: Labels, image_name: str | None, force: bool) -> None:
        copied = self._copy(layer, image_name)
        if copied is None:
            return
        data, where = copied
        worker = create_worker(
            self.autosave.save,
            self._key(layer),
            data,
            force=force,
            layer_name=layer.name,
            **where,
            _start_thread=False,
            _ignore_errors=True,
        )
        ref = weakref.ref(layer)
        self._in_flight.add(layer)
        worker.returned.connect(self._on_saved)
        worker.errored.connect(lambda err: self._on_failed(err, ref))
        worker.finished.connect(lambda: self._workers.discard(worker))
        worker.finished.connect(lambda: ref() is not None and self._in_flight.discard(ref()))
        self._workers.add(worker)
        worker.start()

    def _save_here(self, layer: Labels, image_name: str | None, why: str) -> None:
        """Write in the GUI thread: the layer or the window is going away."""
        copied = self._copy(layer, image_name)
        if copied is None:
            return
        try:
            entry = self.autosave.save(
                self._key(layer), copied[0], force=True, layer_name=layer.name, **copied[1]
            )
        except Exception as err:  # any failure is said: the layer is going away
            self._on_failed(err, weakref.ref(layer))
            return
        if entry is not None and not self._closed:
            self.status.value = f"Saved '{entry.layer_name}' {why}: Restore paintings… adds it."

    def _on_saved(self, entry: AutosaveEntry | None) -> None:
        self._failing = False
        if entry is not None and not self._closed:
            self.status.value = (
                f"Autosaved '{entry.layer_name}' at {entry.time:%H:%M:%S} "
                f"({entry.painted_pixels:,} px painted) to {_short(self.autosave.folder)}"
            )

    def _on_failed(self, err: BaseException, layer: weakref.ref) -> None:
        if layer() is not None:
            self._edited[layer()] = True  # retried when next due
        if self._closed:
            return
        self.status.value = f"Autosave failed: {err}"
        if not self._failing:  # one notification per failing streak, not one per retry
            self._report(err)
        self._failing = True

    def _on_removing(self, event: object) -> None:
        if self._closed:
            return
        layer = self._viewer.layers[event.index]
        chosen = dict(self.painted_layers())  # the chosen and every painted layer
        if isinstance(layer, Labels) and layer in chosen:
            self._save_here(layer, chosen[layer], "as it was removed")

    def _on_closed(self, _object: object = None) -> None:
        self._closed = True
        for layer, image_name in list(self._chosen.items()):
            try:
                self._save_here(layer, image_name, "on close")
            except Exception:  # nothing may stop the window from closing
                continue

    # -- restoring ---------------------------------------------------------------------

    def choose(self, entries: list[AutosaveEntry]) -> AutosaveEntry | None:
        """Ask which saved painting to restore (patched in tests)."""
        return choose_entry(self.restore.native, entries)

    def restore_painting(self) -> Labels | None:
        """Add a saved painting the user picks as a new labels layer."""
        entries = self.autosave.saved()
        if not entries:
            self.status.value = f"No autosaved paintings yet in {_short(self.autosave.folder)}."
            return None
        entry = self.choose(entries)
        if entry is None:
            return None
        try:
            data = self.autosave.load(entry)
        except ValueError as err:
            self._report(err)
            return None
        layer = add_restored(self._viewer, entry, data)
        self.status.value = f"Restored '{entry.layer_name}' as the new layer '{layer.name}'."
        return layer
