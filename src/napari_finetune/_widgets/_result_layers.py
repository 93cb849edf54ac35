"""The plugin's result layers: ``<image> prediction`` and ``<image> probabilities``.

Results always go to new layers named after their source image; the user's
layers are only read. Layers are created on the first result and updated in
place afterwards (live previews during training refresh the same layer).
Every result layer sits exactly where its image does: same scale, offset,
rotation, shear, affine and physical units (:func:`placement`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from napari.layers import Image, Labels, Layer
from napari.utils.transforms import CompositeAffine

from napari_finetune._widgets._layers import (
    adopt_when_painted,
    output_metadata,
    output_named,
    spatial_shape,
)
from napari_finetune.session import Prediction
from napari_finetune.session.class_metadata import colours_metadata
from napari_finetune.session.lazy_rule import stack_lead
from napari_finetune.session.result_style import (
    class_styling,
    prediction_colours,
)

if TYPE_CHECKING:
    import napari


def layer_named(viewer: napari.viewer.Viewer, name: str, kind: type) -> object:
    """The layer called ``name`` if it is of type ``kind``, else None."""
    for layer in viewer.layers:
        if layer.name == name and isinstance(layer, kind):
            return layer
    return None


def placement(source: Layer, ndim: int | None = None) -> dict:
    """Layer keywords that put an ``ndim``-axis layer where ``source`` is.

    Trailing axes line up with the source's (napari aligns axes on the right):
    extra leading axes (the class axis of probabilities) get unit scale, no
    offset and pixel units; with fewer axes (a 2D view of one plane of a stack)
    the source's last ones are kept.

    Returns
    -------
    dict
        ``scale``, ``translate``, ``rotate``, ``shear``, ``affine`` and ``units``.
    """
    own = source.ndim
    ndim = own if ndim is None else ndim
    physical = CompositeAffine(
        scale=source.scale,
        translate=source.translate,
        rotate=source.rotate,
        shear=source.shear,
        ndim=own,
    )
    world, units = source.affine, tuple(source.units)
    if ndim > own:
        extra = range(ndim - own)
        physical, world = physical.expand_dims(extra), world.expand_dims(extra)
        units = ("pixel",) * len(extra) + units
    elif ndim < own:
        kept = range(own - ndim, own)
        physical, world = physical.set_slice(kept), world.set_slice(kept)
        units = units[own - ndim :]
    return {
        "scale": physical.scale,
        "translate": physical.translate,
        "rotate": physical.rotate,
        "shear": physical.shear,
        "affine": world.affine_matrix,
        "units": units,
    }


def painted_colours(colormap: object | None, n_classes: int) -> list:
    """RGBA colours of classes 1..K in a painted layer's colormap (none if unknown)."""
    if colormap is None or not hasattr(colormap, "map"):
        return []
    return list(np.asarray(colormap.map(np.arange(1, n_classes + 1))))


def prediction_style(
    classes: dict[int, str], n_classes: int, colormap: object | None
) -> tuple[dict, dict]:
    """Labels-layer keywords and metadata of a prediction of ``n_classes`` classes.

    The classes' colours are chosen unlike those of the painted layer's
    ``colormap`` (:func:`~napari_finetune.session.result_style.prediction_colours`);
    the metadata marks the layer as a prediction and lists the colours.
    """
    names = {k: classes.get(k, f"class {k}") for k in range(1, n_classes + 1)}
    colours = prediction_colours(names, painted_colours(colormap, n_classes))
    meta = output_metadata("prediction")
    meta["napari_finetune"]["classes"] = colours_metadata(colours)
    return class_styling(colours), meta


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
        The painted layer's colormap: the prediction's colours are chosen
        unlike the painted ones, so that the two are never confused.
    classes : dict
        Class value -> name, shown when hovering a predicted pixel.
    """
    target = layer_named(viewer, event.target, Image)
    if target is None:  # the image was removed meanwhile
        return
    predicted = event.labels  # computed in the worker that predicted
    styling, meta = prediction_style(classes, event.probabilities.shape[0], colormap)
    meta["napari_finetune"]["views"] = event.views  # averaged flipped and rotated views
    name = f"{event.target} prediction"
    layer = output_named(viewer, name, Labels)
    if event.plane is not None:
        layer, predicted = _into_planes(viewer, layer, target, event, predicted)
    if layer is None:
        adopt_when_painted(
            viewer.add_labels(
                predicted, name=name, opacity=0.4, metadata=meta, **placement(target), **styling
            )
        )
    else:
        layer.data = predicted
        said = layer.metadata.get("napari_finetune", {})
        if said.get("classes") != meta["napari_finetune"]["classes"]:
            # e.g. the live previews' model had no class names yet
            for key, value in styling.items():
                setattr(layer, key, value)
        if said != meta["napari_finetune"]:  # classes, or how many views were averaged
            # Ours is replaced whole: the data now in the layer is this prediction
            # (a reopened store's location would no longer be true); others' stay.
            layer.metadata = {**layer.metadata, **meta}
    if event.final and event.plane is None:  # a deep stack's planes keep only their labels
        show_probabilities(viewer, event.target, event.probabilities, target, classes)


def _into_planes(
    viewer: napari.viewer.Viewer,
    layer: Labels | None,
    target: Image,
    event: Prediction,
    predicted: np.ndarray,
) -> tuple[Labels | None, np.ndarray]:
    """The stack of labels with one plane's written in: the layer's own, or a new one.

    The layer's array is written into only when it is this image's stack of
    labels in memory and the event does not clear it (a deep stack's planes
    predicted before, by another model, are stale: :attr:`Prediction.clears`).
    A reopened store (lazy, multiscale) is removed, to be replaced.
    """
    shape = spatial_shape(target)
    own = layer is not None and not layer.multiscale and isinstance(layer.data, np.ndarray)
    if layer is not None and not own:
        viewer.layers.remove(layer)
        layer = None
    if event.clears:  # a whole-stack probabilities layer would be stale as well
        stale = output_named(viewer, f"{event.target} probabilities", Image)
        if stale is not None:
            viewer.layers.remove(stale)
    kept = own and not event.clears and layer.data.shape == shape and layer.data.flags.writeable
    full = layer.data if kept else np.zeros(shape, predicted.dtype)
    lead = stack_lead(shape)  # (1, planes, rows, cols): a z-stack with its time axis of 1
    # (rows, cols, 1) for a grey channel axis
    full[(*(0,) * lead, event.plane)] = predicted.reshape(shape[lead + 1 :])
    return layer, full


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
    meta = output_metadata("probabilities")
    # Named as a prediction's (class_names_of reads them): Measure grains names the phases.
    meta["napari_finetune"]["classes"] = {k: {"name": n} for k, n in classes.items()}
    meta["napari_finetune"]["shows"] = (
        f"probability of class 2 ({classes.get(2, 'class 2')})"
        if two
        else "probability of each class (first axis = class 1..K)"
    )
    layer = output_named(viewer, name, Image)
    if layer is not None and layer.data.shape == data.shape:
        layer.data = data
        return
    if layer is not None:
        viewer.layers.remove(layer)
    where = placement(target, data.ndim)
    if not two:  # the slider over the class axis says what it moves through
        where["axis_labels"] = ("class", *target.axis_labels[-(data.ndim - 1) :])
    viewer.add_image(
        data,
        name=name,
        colormap="magma",
        contrast_limits=(0, 1),
        visible=False,
        metadata=meta,
        **where,
    )
