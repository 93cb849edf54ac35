"""The plugin's result layers: ``<image> prediction`` and ``<image> probabilities``.

Results always go to new layers named after their source image; the user's
layers are only read. Layers are created on the first result and updated in
place afterwards (live previews during training refresh the same layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Labels

from napari_finetune._widgets._layers import output_metadata, spatial_shape
from napari_finetune.inference.predict import labels_from_probabilities
from napari_finetune.session import Prediction

if TYPE_CHECKING:
    import napari


def layer_named(viewer: napari.viewer.Viewer, name: str, kind: type) -> object:
    """The layer called ``name`` if it is of type ``kind``, else None."""
    for layer in viewer.layers:
        if layer.name == name and isinstance(layer, kind):
            return layer
    return None


def show_prediction(
    viewer: napari.viewer.Viewer,
    event: Prediction,
    colormap: object | None,
    classes: dict[int, str],
) -> None:
    """Create or update ``<image> prediction`` (and, when final, the probabilities).

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the layers live.
    event : Prediction
        Probabilities of one plane (live) or of the whole image (final).
    colormap : object or None
        The painted layer's colormap, so predicted classes keep their colours.
    classes : dict
        Class value -> name, for the probability layer's description.
    """
    target = layer_named(viewer, event.target, Image)
    if target is None:  # the image was removed meanwhile
        return
    predicted = labels_from_probabilities(event.probabilities)
    name = f"{event.target} prediction"
    layer = layer_named(viewer, name, Labels)
    if event.plane is not None:
        full = (
            layer.data if layer is not None else np.zeros(spatial_shape(target), predicted.dtype)
        )
        full[event.plane] = predicted
        predicted = full
    if layer is None:
        viewer.add_labels(
            predicted,
            name=name,
            opacity=0.4,
            metadata=output_metadata("prediction"),
            translate=target.translate,
            scale=target.scale,
            units=target.units,
            **({"colormap": colormap} if colormap is not None else {}),
        )
    else:
        layer.data = predicted
    if event.final:
        show_probabilities(viewer, event.target, event.probabilities, target, classes)


def show_probabilities(
    viewer: napari.viewer.Viewer,
    base: str,
    probabilities: np.ndarray,
    target: Image,
    classes: dict[int, str],
) -> None:
    """Two classes: the map of class 2 (boundary); more: a (class, ...) stack."""
    name = f"{base} probabilities"
    two = probabilities.shape[0] == 2
    data = probabilities[1] if two else probabilities
    extra = () if two else (0,)
    meta = output_metadata("probabilities")
    meta["napari_finetune"]["shows"] = (
        f"probability of class 2 ({classes.get(2, 'class 2')})"
        if two
        else "probability of each class (first axis = class 1..K)"
    )
    layer = layer_named(viewer, name, Image)
    if layer is not None and layer.data.shape == data.shape:
        layer.data = data
        return
    if layer is not None:
        viewer.layers.remove(layer)
    viewer.add_image(
        data,
        name=name,
        colormap="magma",
        contrast_limits=(0, 1),
        visible=False,
        metadata=meta,
        translate=(*extra, *target.translate),
        scale=(*[1] * len(extra), *target.scale),
        units=(*["pixel"] * len(extra), *target.units),
    )
