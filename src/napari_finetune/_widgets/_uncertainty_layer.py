"""The ``<image> uncertainty`` layer a round's suggestions come with, and its colours.

For a deep stack (:func:`~napari_finetune.session.lazy_rule.is_deep_stack`)
the layer is the map of the plane in view alone, placed on that plane: a map
the stack's size, zero but for one plane, would take 4 bytes a pixel (16 GB
for 1000 × 2048²) where the system reserves it whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image
from napari.utils.colormaps import Colormap
from napari.utils.transforms import CompositeAffine

from napari_finetune._widgets._layers import output_metadata, output_named, spatial_shape
from napari_finetune._widgets._result_layers import layer_named, placement
from napari_finetune.session.lazy_rule import is_deep_stack
from napari_finetune.session.result_style import (
    OverlayStyle,
    displayed_brightness,
    uncertainty_style,
)

if TYPE_CHECKING:
    import napari

    from napari_finetune.session import Suggestions


def overlay_colormap(style: OverlayStyle) -> str | Colormap:
    """The built-in colormap of that name, or the style's own RGBA ramp."""
    if style.colours is None:
        return style.colormap
    return Colormap(np.array(style.colours), name=style.colormap)


def show_uncertainty(viewer: napari.viewer.Viewer, event: Suggestions) -> None:
    """Create or update ``<image> uncertainty``, styled for the image's brightness.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the image layer ``event.target`` is; its map goes beside it.
    event : Suggestions
        The map of one image, or of the plane in view of a stack.
    """
    target = layer_named(viewer, event.target, Image)
    if target is None:  # the image was removed meanwhile
        return
    unsure, where, shape = event.uncertainty, placement(target), spatial_shape(target)
    if event.plane is not None and is_deep_stack(shape):
        unsure = unsure.reshape((1, *shape[1:]))  # one plane, placed on its own
        where["translate"] = _plane_origin(where, event.plane)
    elif event.plane is not None:
        full = np.zeros(shape, np.float32)
        full[event.plane] = unsure.reshape(shape[1:])  # (rows, cols, 1): a grey channel axis
        unsure = full
    name = f"{event.target} uncertainty"
    top = event.display_max
    layer = output_named(viewer, name, Image)
    if layer is not None and layer.data.shape == unsure.shape:
        layer.data, layer.contrast_limits = unsure, (0.0, top)
        layer.translate = where["translate"]
        return
    if layer is not None:
        viewer.layers.remove(layer)
    shown = target.data if event.plane is None else target.data[event.plane]
    style = uncertainty_style(displayed_brightness(shown, target.contrast_limits, target.rgb))
    viewer.add_image(
        unsure,
        name=name,
        colormap=overlay_colormap(style),
        contrast_limits=(0.0, top),
        opacity=style.opacity,
        blending=style.blending,
        metadata=output_metadata("uncertainty"),
        **where,
    )


def _plane_origin(where: dict, plane: int) -> np.ndarray:
    """Where plane ``plane`` of a layer placed by ``where`` begins, in world coordinates.

    The plane's offset goes through the layer's scale, shear and rotation, so a
    one-plane layer lands on the plane also in a rotated or sheared stack.
    """
    ndim = len(where["scale"])
    linear = CompositeAffine(
        scale=where["scale"], rotate=where["rotate"], shear=where["shear"], ndim=ndim
    ).linear_matrix
    step = np.zeros(ndim)
    step[0] = plane
    return np.asarray(where["translate"], float) + linear @ step
