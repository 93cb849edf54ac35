"""*New painting layer*: an empty labels layer on an image, ready to paint the model's classes.

The classes, their colours and the brush are the core's
(:mod:`napari_finetune.session.painting`); here they become a napari layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Labels
from napari.utils.colormaps import DirectLabelColormap

from napari_finetune._widgets._layers import is_plugin_output, spatial_shape
from napari_finetune.session.painting import PaintClass, painting_brush_size

if TYPE_CHECKING:
    import napari

# Painted values beyond the model's classes still show, in a colour of their own.
OTHER_CLASS_COLOUR = "#808080"


def add_painting_layer(
    viewer: napari.viewer.Viewer, image: Image, classes: dict[int, PaintClass]
) -> Labels:
    """Add ``'<image> painted'``: zeros shaped, placed and calibrated like ``image``.

    The layer is selected, in paint mode with class 1 and a brush sized to
    the image; its features and metadata name the classes.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the layer is added.
    image : Image
        The image to paint on (its RGB axis, if any, is not part of the labels).
    classes : dict
        Value -> :class:`~napari_finetune.session.painting.PaintClass`.

    Returns
    -------
    Labels
        The new layer.
    """
    shape = spatial_shape(image)
    dtype = np.uint8 if max(classes, default=1) < 256 else np.uint16
    layer = viewer.add_labels(
        np.zeros(shape, dtype),
        name=f"{image.name} painted",
        scale=image.scale,
        translate=image.translate,
        units=image.units,
        axis_labels=image.axis_labels,
        opacity=1.0,
        **_painting_style(classes),
    )
    viewer.layers.selection.active = layer
    layer.selected_label = min(classes, default=1)
    layer.brush_size = painting_brush_size(shape)
    layer.mode = "paint"
    return layer


def rename_painting(layer: Labels, classes: dict[int, PaintClass]) -> bool:
    """Give a painting layer made by *New painting layer* new class names and colours.

    Only the legend changes (colours, hover names, metadata), never the
    painted values; a layer the plugin did not make is left as it is.

    Returns
    -------
    bool
        Whether the layer was restyled.
    """
    own = layer.metadata.get("napari_finetune", {})
    if "classes" not in own or is_plugin_output(layer):
        return False
    style = _painting_style(classes)
    layer.colormap, layer.features = style["colormap"], style["features"]
    named = {**own, **style["metadata"]["napari_finetune"]}
    layer.metadata = {**layer.metadata, "napari_finetune": named}
    return True


def painting_names(names: dict[int, str]) -> dict:
    """Hover names (features) and metadata of a painting whose classes are ``names``.

    Parameters
    ----------
    names : dict
        Painted value -> class name.

    Returns
    -------
    dict
        ``features`` and ``metadata`` keywords of a labels layer: a painting
        restored from an autosave gets them too, so its classes hover by name
        and the *classes* field can rename its legend.
    """
    return {
        "features": {"index": [0, *names], "class": ["unpainted", *names.values()]},
        "metadata": {"napari_finetune": {"classes": dict(names)}},
    }


def _painting_style(classes: dict[int, PaintClass]) -> dict:
    """Colormap, hover names (features) and metadata of a painting of ``classes``."""
    colours = {0: "transparent", None: OTHER_CLASS_COLOUR}
    colours |= {value: c.colour for value, c in classes.items()}
    named = painting_names({value: c.name for value, c in classes.items()})
    return {"colormap": DirectLabelColormap(color_dict=colours), **named}
