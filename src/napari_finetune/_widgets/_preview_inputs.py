"""The *Augmentation preview* dock's inputs: the planes in view, read in the worker.

A Dask or Zarr layer's plane is decompressed by the returned function, called
in the worker, never on the GUI thread; a labels plane in memory is copied
first (the user may paint while the preview renders). When the preview comes
back, :func:`removed_layer` says whether a layer it was made of is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Labels, Layer

from napari_finetune._widgets._layers import check_same_plane_shape, plane_in_view, read_later
from napari_finetune.augment import PreviewMosaic, preview_mosaic

if TYPE_CHECKING:
    import napari


def _read_plane(layer: Layer, viewer: napari.viewer.Viewer, snapshot: bool) -> Callable:
    if layer.multiscale:
        raise ValueError(f"layer '{layer.name}' is multiscale; open a single-scale copy.")
    return read_later(layer.data, plane_in_view(layer, viewer), snapshot=snapshot)


def planes_to_preview(
    viewer: napari.viewer.Viewer, image: Image | None, labels: Labels | None
) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """How to read the image and labels planes in view (call it in the worker).

    Without labels, the mask is all 0 (nothing painted).

    Raises
    ------
    ValueError
        Without an image, for a multiscale layer, or when the planes differ in shape.
    """
    if image is None:
        raise ValueError("Open or choose an image layer to preview.")
    read_image = _read_plane(image, viewer, snapshot=False)
    read_mask = None
    if labels is not None:
        check_same_plane_shape(image, labels)
        read_mask = _read_plane(labels, viewer, snapshot=True)

    def read() -> tuple[np.ndarray, np.ndarray]:
        plane = read_image()
        mask = read_mask() if read_mask is not None else np.zeros(plane.shape[:2], np.uint8)
        return plane, mask

    return read


def read_and_preview(
    read: Callable[[], tuple[np.ndarray, np.ndarray]], *args: object
) -> tuple[PreviewMosaic, tuple[int, ...]]:
    """In the worker: read the planes, render the mosaic; with the tile (plane) shape."""
    image, mask = read()
    return preview_mosaic(image, mask, *args), image.shape


def removed_layer(viewer: napari.viewer.Viewer, *layers: Layer | None) -> str | None:
    """The name of the first of ``layers`` no longer in ``viewer``; None if all are there."""
    for layer in layers:
        if layer is not None and layer not in viewer.layers:
            return layer.name
    return None
