"""Reopen a prediction store: the layers *Predict* showed, from the store it wrote.

A band-by-band *Predict* in the dock, ``napari-finetune predict-large`` and
:func:`~napari_finetune.inference.lazy.predict_lazy` write their result into a
Zarr store (:mod:`~napari_finetune.inference.lazy_io`): a store of its own
(``labels``, ``uncertainty``, ``probabilities``) or a label image beside an
OME-Zarr image (``<image>/labels/prediction``, levels ``0``, ``1``, ...). Both
carry the ``napari_finetune`` attributes: classes, rows done, complete or not.

Opened again days later (*File ▸ IO Utilities ▸ Open prediction store…*, or
*Open prediction…* in *Measure grains*), such a store is shown as the dock
showed it: ``<image> prediction`` as a labels layer with the classes' names
on hover, and ``<image> uncertainty``, hidden. Both read the store lazily: a
result larger than :data:`~napari_finetune.batch.band_pyramid.PYRAMID_TOP` a
side is a multiscale layer on the display levels the dock and
``predict-large`` fill as they go (for stores without them, every 2nd, 4th...
pixel, read once when first shown). The layers are marked as predictions, so
that *Measure grains* offers them, and sit where the image sat: the dock
records the image layer's name, scale, offset and units (:data:`LAYER_KEY`),
and a label image beside an OME-Zarr image has its own scale and units. A
stopped run's store says how far it got. Nothing is written: the store is only
read.

Qt-free: this module describes napari's layer-data tuples;
``_widgets/_open_prediction.py`` adds them to the viewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from napari_finetune.batch import band_pyramid
from napari_finetune.batch.band_pyramid import PYRAMID_GROUP, label_image_multiscale
from napari_finetune.session.class_metadata import colours_metadata
from napari_finetune.session.result_style import (
    DARK_IMAGE_UNCERTAINTY,
    avoided_colours,
    class_styling,
    prediction_colours,
)
from napari_finetune.session.store_placement import (
    checked_placement,
    ome_placement,
    placement_for,
)
from napari_finetune.session.store_words import store_in_words

STATE_KEY = "napari_finetune"
# The dock's stores also say which layer they are of and where it sits (a key
# of the state): ``name`` and, for its last two axes, ``scale``, ``translate``, ``units``.
LAYER_KEY = "layer"
WHAT_TO_CHOOSE = (
    "choose a '<image>_prediction.zarr' folder, or 'labels/prediction' inside an OME-Zarr image"
)


@dataclass(frozen=True)
class PredictionStore:
    """A prediction store's arrays and state, opened for reading.

    Attributes
    ----------
    location : Path
        The store, or the label image beside an OME-Zarr image.
    labels : list
        The labels' levels (uint8, 0 = not predicted), finest first.
    uncertainty : list or None
        The uncertainty map's levels (float32, NaN = not predicted), if written.
    state : dict
        The ``napari_finetune`` attributes: ``rows``, ``rows_done``,
        ``complete``, ``classes``, tiling and normalisation.
    beside_image : bool
        Whether it is a label image inside an OME-Zarr image.
    placement : dict
        ``scale``, ``translate`` and ``units`` of the last two axes (three for
        a stack: its planes too), where known.
    """

    location: Path
    labels: list
    uncertainty: list | None
    state: dict
    beside_image: bool = False
    placement: dict | None = None

    @property
    def complete(self) -> bool:
        """Whether every band was written (False for a stopped run)."""
        return bool(self.state.get("complete"))

    @property
    def image_name(self) -> str:
        """The image the prediction is of: the layer's name, else the store's stem.

        ``mosaic`` of ``mosaic_prediction.zarr``; a label image's is its
        OME-Zarr image's, as napari names it (``mosaic.ome`` of
        ``mosaic.ome.zarr/labels/prediction``).
        """
        layer = self.state.get(LAYER_KEY)
        if isinstance(layer, dict) and isinstance(layer.get("name"), str) and layer["name"]:
            return layer["name"]
        path = self.location.parent.parent if self.beside_image else self.location
        stem = path.name.removesuffix(".zarr")
        base, _, suffix = stem.rpartition("_prediction")
        # The dock's stores: <image>_prediction.zarr, or <image>_prediction-2.zarr beside it.
        if base and (suffix == "" or (suffix.startswith("-") and suffix[1:].isdigit())):
            return base
        return stem or "image"

    @property
    def n_classes(self) -> int:
        """Classes the model predicted (recorded, else the highest named class)."""
        recorded = self.state.get("n_classes")
        if isinstance(recorded, int) and recorded > 0:
            return recorded
        named = [int(k) for k in self.state.get("classes") or {} if str(k).isdigit()]
        return max(named, default=1)

    @property
    def views(self) -> int:
        """How many flipped and rotated views each pixel averaged (a store from before: 1)."""
        views = self.state.get("views", 1)
        return views if isinstance(views, int) and views > 0 else 1

    def in_words(self) -> str:
        """E.g. "complete, 3 classes", "stopped after 4,096 rows" (:func:`store_in_words`)."""
        return store_in_words(self.state, self.complete, self.n_classes, self.views)


def open_prediction_store(path: str | Path) -> PredictionStore:
    """The prediction store at ``path``, opened for reading.

    Raises
    ------
    ValueError
        Naming ``path``: it is not a prediction store (a file, another Zarr
        store, a folder of images), or it is one whose arrays are missing or
        do not fit together (a copy cut short).
    """
    path = Path(path)
    try:
        import zarr

        group = zarr.open_group(str(path), mode="r")
        attrs = group.attrs.asdict()
    except Exception:  # not a folder, not a Zarr group, or zarr missing: not a store of ours
        raise ValueError(f"{path} is not a prediction store: {WHAT_TO_CHOOSE}.") from None
    state = attrs.get(STATE_KEY)
    if not isinstance(state, dict) or "rows_done" not in state:
        raise ValueError(
            f"{path} is a Zarr store without napari-finetune's prediction attributes: "
            f"{WHAT_TO_CHOOSE}."
        )
    try:
        return _open(path, group, attrs, state)
    except Exception as err:  # anything a damaged store throws, said with its name
        raise ValueError(
            f"prediction store {path} is damaged ({type(err).__name__}: {err}); was it copied "
            "only in part?"
        ) from None


def _open(path: Path, group: object, attrs: dict, state: dict) -> PredictionStore:
    axes = 3 if isinstance(state.get("planes"), int) else 2  # a stack's planes are placed too
    multiscale = label_image_multiscale(attrs)
    if multiscale:  # a label image beside an OME-Zarr image
        datasets = multiscale["datasets"]
        paths = [d["path"] for d in datasets]
        labels = [group[p] for p in paths]
        labels += _display_levels(group, paths[0])
        placement = ome_placement(multiscale, axes)
    else:
        labels = [group["labels"], *_display_levels(group, "labels")]
        placement = {}
    placement = checked_placement(state.get(LAYER_KEY), axes) or placement
    uncertainty = None
    if "uncertainty" in group:
        uncertainty = [group["uncertainty"], *_display_levels(group, "uncertainty")]
    full = tuple(labels[0].shape[-2:])
    if min(full) < 1:
        raise ValueError(f"its labels are empty, {tuple(labels[0].shape)}")
    if uncertainty is not None and tuple(uncertainty[0].shape[-2:]) != full:
        raise ValueError(
            f"uncertainty {tuple(uncertainty[0].shape)} and labels "
            f"{tuple(labels[0].shape)} differ in size"
        )
    labels = _down_to_top(labels)
    if uncertainty is not None:
        uncertainty = _down_to_top(uncertainty)
    return PredictionStore(path, labels, uncertainty, state, bool(multiscale), placement)


def _display_levels(group: object, name: str) -> list:
    """The coarser levels added for display (``pyramid/<name>/1``, ``2``, ...)."""
    levels, k = [], 1
    while f"{PYRAMID_GROUP}/{name}/{k}" in group:
        levels.append(group[f"{PYRAMID_GROUP}/{name}/{k}"])
        k += 1
    return levels


def _down_to_top(levels: list, top: int | None = None) -> list:
    """``levels`` and, lazily, every 2nd, 4th... pixel of the finest until one fits ``top``.

    napari reads a multiscale layer's coarsest level whole: without display
    levels it would read the full resolution. A strided level still touches
    every chunk once when first shown; the dock and ``predict-large`` write
    display levels so that it does not happen for their stores.
    """
    import dask.array as da

    top = band_pyramid.PYRAMID_TOP if top is None else top
    levels = list(levels)
    rows, cols = levels[0].shape[-2:]
    step = max(1, round(rows / max(1, levels[-1].shape[-2])))
    if max(levels[-1].shape[-2:]) <= top:
        return levels
    finest = da.from_array(levels[0], chunks=levels[0].chunks)
    lead = (slice(None),) * (finest.ndim - 2)
    while max(math.ceil(rows / step), math.ceil(cols / step)) > top:
        step *= 2
        levels.append(finest[(*lead, slice(None, None, step), slice(None, None, step))])
    return levels


def prediction_layers(store: PredictionStore) -> list[tuple]:
    """Layer-data tuples for napari of ``store``: the uncertainty (hidden), then the labels.

    The labels come last so that they are the selected layer, as after *Predict*.
    Class colours are :func:`~napari_finetune.session.result_style.prediction_colours`',
    unlike the painted layer's where the dock recorded them in the store, so that
    the prediction reopens in the colours it was shown in; the uncertainty map
    has the dark-image style over its whole range (the image under it is not
    known here).
    """
    name = store.image_name
    raw = store.state.get("classes") or {}
    names = {k: raw.get(str(k), f"class {k}") for k in range(1, store.n_classes + 1)}
    avoid = avoided_colours(store.state.get(LAYER_KEY))[: store.n_classes]
    colours = prediction_colours(names, avoid)
    meta = {"role": "prediction", "store": str(store.location), "state": store.in_words()}
    meta["views"] = store.views
    meta["classes"] = colours_metadata(colours)
    layers = []
    if store.uncertainty is not None:
        unsure_meta = {"role": "uncertainty", "store": str(store.location)}
        layers.append(
            (
                _levels_or_one(store.uncertainty),
                {
                    "name": f"{name} uncertainty",
                    "multiscale": len(store.uncertainty) > 1,
                    **placement_for(store.placement, store.uncertainty[0].ndim),
                    "colormap": DARK_IMAGE_UNCERTAINTY.colormap,
                    "contrast_limits": (0.0, 1.0),
                    "blending": DARK_IMAGE_UNCERTAINTY.blending,
                    "opacity": DARK_IMAGE_UNCERTAINTY.opacity,
                    "visible": False,
                    "metadata": {STATE_KEY: unsure_meta},
                },
                "image",
            )
        )
    layers.append(
        (
            _levels_or_one(store.labels),
            {
                "name": f"{name} prediction",
                "multiscale": len(store.labels) > 1,
                **placement_for(store.placement, store.labels[0].ndim),
                "opacity": 0.4,
                **class_styling(colours),
                "metadata": {STATE_KEY: meta},
            },
            "labels",
        )
    )
    return layers


def _levels_or_one(levels: list) -> object:
    return levels if len(levels) > 1 else levels[0]
