"""Choosing and reading the user's layers: pickers, 2D planes, clear messages."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Labels, Layer

from napari_finetune.session.class_metadata import class_names_of

if TYPE_CHECKING:
    import napari


def layers_of(
    viewer: napari.viewer.Viewer, kind: type[Layer] | tuple[type[Layer], ...]
) -> list[tuple[str, Layer]]:
    """``(name, layer)`` choices of one kind, newest first (napari lists it last)."""
    return [(layer.name, layer) for layer in reversed(viewer.layers) if isinstance(layer, kind)]


def remove_layers(viewer: napari.viewer.Viewer, layers: list[Layer]) -> None:
    """Remove ``layers`` from ``viewer`` as one batch.

    napari (0.9) runs a full garbage collection after every layer removal, a
    Windows OpenGL workaround: with torch loaded, three removals one by one froze
    the viewer for 0.66 s, as one batch (a single collection) for 0.25 s.
    """
    if not layers:  # napari collects garbage at the end of any batch, even an empty one
        return
    batched = getattr(viewer.layers, "batched_update", None)  # an older napari: none
    with batched() if batched is not None else contextlib.nullcontext():
        for layer in layers:
            viewer.layers.remove(layer)


def spatial_shape(layer: Layer) -> tuple[int, ...]:
    """Shape of the layer without its RGB channel axis."""
    shape = tuple(layer.data.shape)
    return shape[:-1] if isinstance(layer, Image) and layer.rgb else shape


def finest(layer: Layer) -> object:
    """The layer's full-resolution data (the first level of a multiscale layer).

    NumPy reads a multiscale layer's ``data`` as its coarsest level; this is
    the array itself, nothing read.
    """
    return layer.data[0] if layer.multiscale else layer.data


def plane_in_view(layer: Layer, viewer: napari.viewer.Viewer) -> tuple[int, ...]:
    """The index of the plane in view along the layer's stack axes (``()`` for a 2D layer)."""
    shape = spatial_shape(layer)
    extra = len(shape) - 2
    if extra <= 0:
        return ()
    # Leading (stack) axes follow the viewer's sliders, aligned to the right.
    step = viewer.dims.current_step[-len(shape) :][:extra]
    return tuple(min(int(s), n - 1) for s, n in zip(step, shape[:extra], strict=True))


def current_plane(layer: Layer, viewer: napari.viewer.Viewer) -> np.ndarray:
    """The 2D plane (RGB kept) of ``layer`` at the viewer's current slider position.

    Reads it here: for a lazy layer, :func:`read_later` in a worker instead.

    Raises
    ------
    ValueError
        For multiscale data, which the preview does not handle.
    """
    if layer.multiscale:
        raise ValueError(f"layer '{layer.name}' is multiscale; open a single-scale copy.")
    return np.asarray(layer.data[plane_in_view(layer, viewer)])


def read_later(
    data: object, index: tuple = (), snapshot: bool = False
) -> Callable[[], np.ndarray]:
    """A function that returns ``data[index]`` as a NumPy array: call it in a worker.

    Parameters
    ----------
    data : array-like
        A layer's data (its finest level when multiscale, :func:`finest`).
    index : tuple
        The part to read, e.g. the plane in view (:func:`plane_in_view`).
    snapshot : bool
        Copy an array in memory now: a labels layer the user may paint in
        while the worker reads it. Without, the worker gets a view.

    Returns
    -------
    callable
        With no argument, returns the part. A NumPy array in memory is taken
        now (a view, cheap; a copy with ``snapshot``); anything else (Dask,
        Zarr, a memory map) is read only when the function is called, so that
        reading and decompressing it never holds up the GUI thread.
    """
    if isinstance(data, np.ndarray) and not isinstance(data, np.memmap):
        part = np.array(data[index]) if snapshot else data[index]
        return lambda: part
    return lambda: np.array(data[index])


def check_same_plane_shape(image: Image, labels: Labels) -> None:
    """ValueError naming both layers when their image planes differ in shape."""
    image_shape, labels_shape = spatial_shape(image), spatial_shape(labels)
    if image_shape[-2:] != labels_shape[-2:] or len(image_shape) != len(labels_shape):
        raise ValueError(
            f"Image layer '{image.name}' is {' × '.join(map(str, image_shape))} px but labels "
            f"layer '{labels.name}' is {' × '.join(map(str, labels_shape))} px: choose a "
            "labels layer painted on this image."
        )


def output_metadata(role: str) -> dict:
    """Metadata that marks a layer as this plugin's output (never offered as input)."""
    return {"napari_finetune": {"role": role}}


def is_plugin_output(layer: object) -> bool:
    """Whether ``layer`` was made by this plugin (a preview, a prediction...)."""
    return "role" in getattr(layer, "metadata", {}).get("napari_finetune", {})


def output_named(viewer: napari.viewer.Viewer, name: str, kind: type) -> Layer | None:
    """The plugin's own output layer called ``name``, of type ``kind``; None if there is none.

    A layer of the user's that has the name (a prediction saved and reopened,
    then corrected by hand) is never returned, so never updated nor removed:
    the plugin's layer added beside it got napari's next free name,
    ``name [1]``, which is found instead.
    """
    for layer in viewer.layers:
        ours = isinstance(layer, kind) and is_plugin_output(layer)
        if ours and without_copy_number(layer.name) == name:
            return layer
    return None


def adopt_if_output(layer: Layer) -> bool:
    """Make a plugin layer the user painted on theirs; whether it was one.

    Its role is dropped (kept as ``painted_from``), so the plugin never updates
    nor removes it again (:func:`output_named`), and it is offered as painted
    labels: a prediction corrected by hand is the user's work.
    """
    ours = layer.metadata.get("napari_finetune", {})
    if "role" not in ours:
        return False
    ours["painted_from"] = ours.pop("role")
    if "classes" in ours:  # a prediction's {value: {name, colour}}: a painting's {value: name}
        names = class_names_of(layer.metadata)
        ours.pop("classes")
        if names:
            ours["classes"] = names
    return True


def adopt_when_painted(layer: Labels) -> Labels:
    """Make the plugin's labels layer the user's at its first brush stroke; ``layer``.

    The layer itself carries the rule (not the Fine-tune dock, which may be
    closed): a prediction corrected by hand is never overwritten by the next.
    """
    layer.events.paint.connect(_adopt_painted)
    return layer


def _adopt_painted(event: object) -> None:
    adopt_if_output(event.source)


def role_of(layer: object) -> str | None:
    """What a layer holds, as the plugin made it (``'prediction'``...), None for the user's.

    A plugin layer the user painted on (a prediction corrected by hand) is
    theirs now, but still holds what it held: its former role.
    """
    ours = layer.metadata.get("napari_finetune", {})
    return ours.get("role") or ours.get("painted_from")


def without_copy_number(name: str) -> str:
    """``name`` without napari's `` [n]`` of a layer that got an existing name."""
    return re.sub(r" \[\d+\]$", "", name)


def is_ground_truth(layer: object) -> bool:
    """Whether ``layer`` is a sample's exact answer (grain ids, traced boundaries).

    Such layers are offered as inputs but never chosen by default as painted
    labels: training on them learns the sample's classes, not the user's.
    """
    return "truth" in getattr(layer, "metadata", {}).get("napari_finetune", {})


def input_layers(viewer: napari.viewer.Viewer, kind: type[Layer]) -> list[tuple[str, Layer]]:
    """The user's layers of one kind, newest first, without the plugin's outputs."""
    return [
        (name, layer) for name, layer in layers_of(viewer, kind) if not is_plugin_output(layer)
    ]


def has_painted_pixels(layer: Labels) -> bool:
    """Whether a labels layer has any non-zero pixel."""
    return bool(np.any(np.asarray(layer.data)))


class LayerFollower:
    """Keeps a dock's layer pickers current.

    ``refresh()`` runs after a layer is added, removed, moved or renamed;
    ``on_removed(layer)`` first when one is removed; ``on_new_layer(layer)``
    for every layer there now and every one added later (to watch its events).
    The dock keeps the follower as an attribute: napari holds only weak
    references to bound methods, so a closed dock and its follower are freed
    instead of being called on every later layer event.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        refresh: Callable[[], None],
        on_removed: Callable[[Layer], None] | None = None,
        on_new_layer: Callable[[Layer], None] | None = None,
    ) -> None:
        self._refresh, self._on_removed, self._on_new_layer = refresh, on_removed, on_new_layer
        layers = viewer.layers
        layers.events.inserted.connect(self._inserted)
        layers.events.removed.connect(self._removed)
        layers.events.moved.connect(self._changed)
        for layer in layers:
            self._watch(layer)

    def _watch(self, layer: Layer) -> None:
        layer.events.name.connect(self._changed)
        if self._on_new_layer is not None:
            self._on_new_layer(layer)

    def _changed(self, _event: object = None) -> None:
        self._refresh()

    def _inserted(self, event: object) -> None:
        self._watch(event.value)
        self._refresh()

    def _removed(self, event: object) -> None:
        if self._on_removed is not None:
            self._on_removed(event.value)
        self._refresh()
