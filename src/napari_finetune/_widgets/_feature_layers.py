"""The *Feature maps* dock's layers: stage maps over the image, kernels beside it, responses.

Every layer sits where its source image is (:func:`placement`: its pixel size,
offset, rotation and units). A stage's maps have one cell per ``factor`` x
``factor`` image pixels, so their layer is scaled by the factor and shifted by
``(factor - 1) / 2`` pixels: cell centres land on the centres of the pixels
they pooled. A stack's maps belong to one plane: they get a plane axis of
length one at that plane, so they show only there. The channel axis comes
first: napari's slider picks the channel. Layers are replaced by name (same
image and stage) and carry this plugin's role, so they are never inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Layer, Points
from napari.utils.colormaps import ensure_colormap
from napari.utils.transforms import CompositeAffine

from napari_finetune._widgets._layers import output_metadata, output_named
from napari_finetune._widgets._result_layers import placement

if TYPE_CHECKING:
    import napari

ROLE = "feature maps"
SIGNED_COLORMAP = "PiYG"  # kernels and responses: green positive, pink negative, white 0
MAPS_COLORMAP = "inferno"
# Side by side: the pretrained maps sit left of the image, this fraction of its width apart.
GAP = 0.05
# The kernel mosaic is drawn this fraction of the image's width wide, right of it.
MOSAIC_WIDTH = 0.45
# Kernel numbers are this many mosaic pixels tall (they sit in the gap above each kernel).
NUMBER_SIZE = 0.7
# Captions of a before/after are this fraction of the image's height tall.
CAPTION_SIZE = 0.035


def _where(source: Layer, ndim: int, plane: int | None, factor: float, shift: float) -> dict:
    """Placement of an ``ndim``-axis layer whose last two axes have ``factor`` px per cell.

    ``shift`` moves it sideways by that many source pixels (side-by-side views).
    """
    where = placement(source, ndim)
    linear = CompositeAffine(
        scale=where["scale"], rotate=where["rotate"], shear=where["shear"], ndim=ndim
    ).linear_matrix[-2:, -2:]
    offset = np.array([(factor - 1) / 2, (factor - 1) / 2 + shift])
    where["translate"] = np.array(where["translate"], float)
    where["translate"][-2:] += linear @ offset
    where["scale"] = np.array(where["scale"], float)
    where["scale"][-2:] *= factor
    if plane is not None:  # the one plane of the stack these maps were computed on
        where["translate"][-3] += plane * where["scale"][-3]
    return where


def _replace(viewer: napari.viewer.Viewer, name: str, kind: type, data: np.ndarray, **kwargs):
    """Update our image layer called ``name`` (keeping how the user shows it), or add it anew."""
    old = output_named(viewer, name, kind)  # a layer of the user's is never touched
    meta = output_metadata(ROLE)
    same = old is not None and kind is Image and old.data.ndim == data.ndim
    if same and old.rgb == kwargs.get("rgb", False):
        for key in ("scale", "translate", "rotate", "shear", "affine", "units"):
            if key in kwargs:
                setattr(old, key, kwargs[key])
        old.data = data
        if "contrast_limits" in kwargs:
            old.contrast_limits = kwargs["contrast_limits"]
        return old
    if old is not None:
        viewer.layers.remove(old)
    adder = viewer.add_points if kind is Points else viewer.add_image
    return adder(data, name=name, metadata=meta, **kwargs)


def show_stage_maps(
    viewer: napari.viewer.Viewer,
    source: Image,
    plane: int | None,
    display: np.ndarray,
    factor: int,
    name: str,
    shift: float = 0.0,
) -> Image:
    """Show a stage's maps, each channel stretched to [0, 1], over (or beside) ``source``.

    Parameters
    ----------
    display : numpy.ndarray
        ``(channels, rows_s, cols_s)`` in [0, 1]
        (:func:`~napari_finetune.inference.feature_maps.channel_contrast`).
    factor : int
        Image pixels per cell.
    shift : float
        Sideways offset in source pixels (the pretrained maps of a before/after).
    """
    data = display if plane is None else display[:, None]
    where = _where(source, data.ndim, plane, factor, shift)
    labels = ("channel", *source.axis_labels[-(data.ndim - 1) :])
    layer = _replace(
        viewer,
        name,
        Image,
        data,
        colormap=MAPS_COLORMAP,
        contrast_limits=(0.0, 1.0),
        axis_labels=labels,
        **where,
    )
    viewer.layers.selection.active = layer
    return layer


def signed_limits(values: np.ndarray) -> tuple[float, float]:
    """Contrast limits symmetric about 0, so that white means 0 in the signed colormap."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(np.percentile(finite, 99.5)) if finite.size else 0.0
    top = top if top > 0 else 1.0
    return -top, top


def show_kernel_response(
    viewer: napari.viewer.Viewer, source: Image, plane: int | None, response: np.ndarray
) -> Image:
    """Show the playground kernel's response as ``<image> kernel response`` over ``source``."""
    data = response if plane is None else response[None]
    layer = _replace(
        viewer,
        f"{source.name} kernel response",
        Image,
        data,
        colormap=SIGNED_COLORMAP,
        contrast_limits=signed_limits(response),
        **_where(source, data.ndim, plane, 1, 0.0),
    )
    return layer


def show_kernel_mosaic(
    viewer: napari.viewer.Viewer,
    source: Image,
    mosaic: np.ndarray,
    corners: list[tuple[int, int]],
    model_name: str,
) -> Image:
    """The first-layer kernels as small images right of ``source``, numbered.

    Drawn as RGBA: the gaps between kernels are transparent (a float image
    would paint them as a colour), zero is white, and all kernels share one
    scale, so that a weak filter looks weak.
    """
    low, high = signed_limits(mosaic)
    colours = ensure_colormap(SIGNED_COLORMAP).map(
        np.clip((np.nan_to_num(mosaic) - low) / (high - low), 0, 1).ravel()
    )
    rgba = colours.reshape((*mosaic.shape, 4)).astype(np.float32)
    rgba[np.isnan(mosaic), 3] = 0.0
    cols = source.data.shape[-2] if source.rgb else source.data.shape[-1]
    zoom = MOSAIC_WIDTH * cols / mosaic.shape[1]
    # One mosaic pixel covers zoom x zoom image pixels; the mosaic starts right of the image.
    where = _where(source, 2, None, zoom, cols * (1 + GAP))
    name = f"{model_name} first-layer kernels"
    layer = _replace(viewer, name, Image, rgba, rgb=True, **where)
    numbers = np.array(corners, float) - 0.5  # each kernel's top-left corner
    _replace(
        viewer,
        f"{name} (numbers)",
        Points,
        numbers,
        size=0,
        features={"kernel": [str(k) for k in range(len(corners))]},
        text={
            "string": "{kernel}",
            "anchor": "upper_left",  # napari: the text sits above-right of the point
            "size": NUMBER_SIZE * zoom * float(min(np.abs(placement(source, 2)["scale"]))),
            "scaling": True,
            "color": "white",
        },
        **where,
    )
    viewer.layers.selection.active = layer
    return layer


def show_captions(
    viewer: napari.viewer.Viewer, source: Image, name: str, captions: list[tuple[float, str]]
) -> Points:
    """Words just above ``source``'s top edge: ``(column in source pixels, text)`` pairs.

    Side by side, the two maps look alike at a glance; a caption over each
    says which is which without reading the layer list.
    """
    rows = source.data.shape[-3] if source.rgb else source.data.shape[-2]
    where = placement(source, 2)
    pixel = float(min(np.abs(where["scale"])))
    return _replace(
        viewer,
        name,
        Points,
        np.array([[-0.5, column - 0.5] for column, _ in captions], float),
        size=0,
        features={"caption": [text for _, text in captions]},
        text={
            "string": "{caption}",
            "anchor": "upper_left",  # above the image
            "size": CAPTION_SIZE * rows * pixel,
            "scaling": True,
            "color": "white",
        },
        **where,
    )
