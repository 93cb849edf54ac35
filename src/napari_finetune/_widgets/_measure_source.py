"""Which layers the *Measure grains* dock offers, and which it picks by default.

A training painting is offered (the user may mean it) but never picked by
default: it is mostly unpainted, and measured as a map its strokes would be
grains (the core refuses it: :mod:`napari_finetune.measure.map_checks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari.layers import Image, Labels, Layer

from napari_finetune._widgets._layers import is_plugin_output, layers_of, role_of

if TYPE_CHECKING:
    import napari

# The plugin's own layers that can be measured (grains, uncertainty... cannot).
MEASURABLE_ROLES = ("prediction", "probabilities")


def is_painting(layer: Layer) -> bool:
    """Whether ``layer`` is a training painting (value 0 is ``'unpainted'``).

    Paintings made by *New painting layer*, restored from an autosave or
    added with a sample all name value 0 ``'unpainted'`` in their hover
    features; a user's layer may only carry the class names in its metadata.
    """
    # The plugin's layers, and its predictions corrected by hand, are maps.
    if not isinstance(layer, Labels) or role_of(layer) is not None:
        return False
    features = layer.features
    if "class" in features.columns and "index" in features.columns:
        unpainted = features.loc[features["index"] == 0, "class"]
        if (unpainted == "unpainted").any():
            return True
    return "classes" in layer.metadata.get("napari_finetune", {})


def measurable_layers(viewer: napari.viewer.Viewer) -> list[tuple[str, Layer]]:
    """The user's layers and the plugin's predictions and probabilities, newest first."""
    return [
        (name, layer)
        for name, layer in layers_of(viewer, (Image, Labels))
        if not is_plugin_output(layer) or role_of(layer) in MEASURABLE_ROLES
    ]


def default_measure_source(viewer: napari.viewer.Viewer) -> Layer | None:
    """The newest prediction, else the newest labels layer that is not a painting."""
    choices = [layer for _, layer in measurable_layers(viewer)]
    ranked = [layer for layer in choices if role_of(layer) == "prediction"]
    ranked += [layer for layer in choices if isinstance(layer, Labels) and not is_painting(layer)]
    return ranked[0] if ranked else None
