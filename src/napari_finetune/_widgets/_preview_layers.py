"""The augmentation preview's layers: the mosaic of views right of the source image.

Output layers carry a role tag, so they are never offered as inputs and a new
preview replaces the previous one. The mosaic takes the source image's
placement (pixel size, units, offset), so its layers never clash with the
image's physical units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Labels
from napari.utils.transforms import CompositeAffine

from napari_finetune._widgets._layers import is_plugin_output, output_metadata, remove_layers
from napari_finetune._widgets._result_layers import placement
from napari_finetune.augment import PreviewMosaic
from napari_finetune.augment.preview import CAPTION_LINES, CAPTION_WIDTH

if TYPE_CHECKING:
    import napari

ROLE = output_metadata("augmentation preview")
# Measured for napari's caption font: width of a character and height of a line,
# in multiples of the font size.
CHARACTER_WIDTH, LINE_HEIGHT = 0.8, 2.4
CAPTION_COLOUR = "yellow"


def _is_ours(layer: object) -> bool:
    return (
        is_plugin_output(layer)
        and layer.metadata["napari_finetune"]["role"] == "augmentation preview"
    )


def clear_mosaic(viewer: napari.viewer.Viewer) -> bool:
    """Remove the preview's layers; whether there were any."""
    ours = [layer for layer in viewer.layers if _is_ours(layer)]
    remove_layers(viewer, ours)
    return bool(ours)


def caption_size(tile_shape: tuple[int, ...], gap: float) -> float:
    """Font size, in image pixels, at which a wrapped caption fits its tile.

    A caption has at most ``CAPTION_LINES`` lines of ``CAPTION_WIDTH``
    characters; it must stay within the tile's width and within the gap above
    the tile, so that it never runs over a neighbouring tile.
    """
    by_width = 0.95 * tile_shape[1] / (CAPTION_WIDTH * CHARACTER_WIDTH)
    by_height = 0.95 * gap / (CAPTION_LINES * LINE_HEIGHT)
    return min(by_width, by_height)


def _gap_between_tiles(corners: np.ndarray, tile_shape: tuple[int, ...]) -> float:
    """The mosaic's gap between tiles (the same across rows and columns)."""
    rows, columns = np.unique(corners[:, 0]), np.unique(corners[:, 1])
    if len(rows) > 1:
        return float(rows[1] - rows[0] - tile_shape[0])
    if len(columns) > 1:
        return float(columns[1] - columns[0] - tile_shape[1])
    return tile_shape[0] / 3


def show_mosaic(
    viewer: napari.viewer.Viewer,
    result: PreviewMosaic,
    image_layer: Image,
    labels_layer: Labels | None,
    tile_shape: tuple[int, ...],
) -> None:
    """Replace the previous preview by ``result``'s image, mask(s) and captions."""
    # The grid sits right of the source, so the original stays in view too.
    where = placement(image_layer, 2)
    linear = CompositeAffine(
        scale=where["scale"], rotate=where["rotate"], shear=where["shear"], ndim=2
    ).linear_matrix
    where["translate"] = where["translate"] + linear @ np.array([0.0, tile_shape[1] * 1.1])
    base = image_layer.name
    mask_name = labels_layer.name if labels_layer is not None else base
    clear_mosaic(viewer)
    viewer.add_image(
        result.image,
        name=f"{base} augmented",
        colormap=image_layer.colormap,
        contrast_limits=image_layer.contrast_limits,
        rgb=image_layer.rgb,
        metadata=ROLE,
        **where,
    )
    wrong_shown = result.wrong_mask is not None and labels_layer is not None
    masks = [] if labels_layer is None else [(result.mask, "augmented", not wrong_shown)]
    if wrong_shown:
        # In the demo the wrong masks are shown instead; toggle to compare.
        masks.append((result.wrong_mask, "unsynchronized (wrong)", True))
    for data, suffix, visible in masks:
        viewer.add_labels(
            data,
            name=f"{mask_name} {suffix}",
            colormap=labels_layer.colormap,
            opacity=labels_layer.opacity,
            metadata=ROLE,
            visible=visible,
            **where,
        )
    corners = np.array(result.corners, float).reshape(-1, 2)
    gap = _gap_between_tiles(corners, tile_shape)
    # The text scales with the zoom, in world units: one image pixel is `pixel` wide.
    pixel = float(min(np.abs(where["scale"])))
    viewer.add_points(
        corners,
        name="augmentation captions",
        size=0,
        features={"caption": result.tile_captions},
        text={
            "string": "{caption}",
            "anchor": "upper_left",
            "size": caption_size(tile_shape, gap) * pixel,
            "scaling": True,
            "color": CAPTION_COLOUR,
        },
        metadata=ROLE,
        **where,
    )
    viewer.layers.selection.active = image_layer
    viewer.reset_view()
