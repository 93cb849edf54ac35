"""The augmentation preview's layers: the mosaic of views right of the source image.

Output layers carry a role tag, so they are never offered as inputs and a new
preview replaces the previous one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari.layers import Image, Labels

from napari_finetune._widgets._layers import is_plugin_output, output_metadata
from napari_finetune.augment import PreviewMosaic

if TYPE_CHECKING:
    import napari

ROLE = output_metadata("augmentation preview")


def _is_ours(layer: object) -> bool:
    return (
        is_plugin_output(layer)
        and layer.metadata["napari_finetune"]["role"] == "augmentation preview"
    )


def show_mosaic(
    viewer: napari.viewer.Viewer,
    result: PreviewMosaic,
    image_layer: Image,
    labels_layer: Labels | None,
    tile_shape: tuple[int, ...],
) -> None:
    """Replace the previous preview by ``result``'s image, mask(s) and captions."""
    # The grid sits right of the source, so the original stays in view too.
    offset = (0.0, float(tile_shape[1]) * 1.1)
    base = image_layer.name
    mask_name = labels_layer.name if labels_layer is not None else base
    for layer in [layer for layer in viewer.layers if _is_ours(layer)]:
        viewer.layers.remove(layer)
    viewer.add_image(
        result.image,
        name=f"{base} augmented",
        colormap=image_layer.colormap,
        contrast_limits=image_layer.contrast_limits,
        rgb=image_layer.rgb,
        translate=offset,
        metadata=ROLE,
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
            translate=offset,
            metadata=ROLE,
            visible=visible,
        )
    viewer.add_points(
        [(y + offset[0], x + offset[1]) for y, x in result.corners],
        name="augmentation captions",
        size=0,
        features={"caption": result.tile_captions},
        text={"string": "{caption}", "anchor": "upper_left", "size": 8, "color": "yellow"},
        metadata=ROLE,
    )
    viewer.layers.selection.active = image_layer
    viewer.reset_view()
