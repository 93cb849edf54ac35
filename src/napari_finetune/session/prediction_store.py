"""Reopen a prediction store: the layers *Predict* showed, from the store it wrote.

A band-by-band *Predict* in the dock, ``napari-finetune predict-large`` and
:func:`~napari_finetune.inference.lazy.predict_lazy` write their result into a
Zarr store (:mod:`~napari_finetune.inference.lazy_io`): a store of its own
(``labels``, ``uncertainty``, ``probabilities``) or a label image beside an
OME-Zarr image (``<image>/labels/prediction``, levels ``0``, ``1``, ...). Both
carry the ``napari_finetune`` attributes: classes, rows done, complete or not.

Opened again days later (dragged onto napari, *File ▸ Open Folder*), such a
store is shown as the dock showed it: ``<image> prediction`` as a labels layer
with the classes' names, ``<image> uncertainty`` hidden beneath it, both read
lazily as multiscale layers (the store's own display levels where the dock
filled them, else every ``f``-th pixel, the rule of
:mod:`~napari_finetune.batch.band_pyramid`), and marked as predictions so that
*Measure grains* offers them. A store the dock wrote also says which layer it
was of (:data:`LAYER_KEY`): the layers take its name, scale, offset and units,
so grain sizes come out in µm again. Nothing is written: the store is only
read. A stopped run's store says how far it got.

Qt-free: this module describes napari's layer-data tuples; ``_reader.py``
hands them to napari.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from napari_finetune.batch.band_pyramid import PYRAMID_GROUP, PYRAMID_TOP
from napari_finetune.session.result_style import (
    DARK_IMAGE_UNCERTAINTY,
    class_styling,
    colours_metadata,
    prediction_colours,
)

STATE_KEY = "napari_finetune"
# The dock's stores also say which layer they are of and where it sits (a key
# of the state): ``name`` and, for its last two axes, ``scale``, ``translate``, ``units``.
LAYER_KEY = "layer"


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
    layer : dict
        The image layer the dock predicted (:data:`LAYER_KEY`; empty for a
        store written from Python or the command line).
    """

    location: Path
    labels: list
    uncertainty: list | None
    state: dict
    layer: dict

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
        if isinstance(self.layer.get("name"), str) and self.layer["name"]:
            return self.layer["name"]
        path = self.location
        if path.parent.name == "labels":
            path = path.parent.parent
        # As napari names the image layer: ``mosaic.ome`` of ``mosaic.ome.zarr``.
        stem = path.name.removesuffix(".zarr")
        base, _, suffix = stem.rpartition("_prediction")
        # The dock's stores: <image>_prediction.zarr, or <image>_prediction-2.zarr beside it.
        if base and (suffix == "" or (suffix.startswith("-") and suffix[1:].isdigit())):
            return base
        return stem or "image"

    def in_words(self) -> str:
        """E.g. "complete, 3 classes" or "stopped after 4,096 of 32,768 rows"."""
        if self.complete:
            return f"complete, {len(self.state.get('classes', {}))} classes"
        done, rows = int(self.state.get("rows_done", 0)), self.state.get("rows")
        if isinstance(rows, int) and done >= rows:
            return "stopped after its last band: every row is predicted"
        total = f" of {rows:,}" if isinstance(rows, int) else ""
        return f"stopped after {done:,}{total} rows: the rest is not predicted"


def open_prediction_store(path: str | Path) -> PredictionStore | None:
    """The prediction store at ``path``, or None when ``path`` is not one.

    Never raises for a path that is something else (a file, another Zarr
    store, a folder of images): napari asks every reader about every path.

    Raises
    ------
    ValueError
        For a store marked as this plugin's whose arrays are missing or of
        the wrong shape (a copy cut short), naming the store and what is wrong.
    """
    path = Path(path)
    if not path.is_dir() or not any((path / name).is_file() for name in ("zarr.json", ".zattrs")):
        return None
    try:
        import zarr

        group = zarr.open_group(str(path), mode="r")
    except Exception:  # not a Zarr group, or zarr is not installed: some other reader's file
        return None
    attrs = group.attrs.asdict()
    state = attrs.get(STATE_KEY)
    if not isinstance(state, dict) or "rows_done" not in state:
        return None
    multiscales = attrs.get("ome", attrs).get("multiscales")
    try:
        if multiscales:  # a label image beside an OME-Zarr image
            paths = [d["path"] for d in multiscales[0]["datasets"]]
            labels = [group[p] for p in paths]
            extra = []
        else:
            labels = [group["labels"]]
            extra = _display_levels(group, "labels")
        uncertainty = None
        if "uncertainty" in group:
            uncertainty = [group["uncertainty"], *_display_levels(group, "uncertainty")]
    except (KeyError, IndexError, TypeError) as err:
        raise ValueError(
            f"prediction store {path}: its array {err} is missing; the store is incomplete "
            "(copied only in part?)."
        ) from None
    full = labels[0].shape[-2:]
    if uncertainty is not None and tuple(uncertainty[0].shape[-2:]) != tuple(full):
        raise ValueError(
            f"prediction store {path}: uncertainty {tuple(uncertainty[0].shape)} and labels "
            f"{tuple(labels[0].shape)} differ in size."
        )
    labels = _down_to_top([*labels, *extra])
    if uncertainty is not None:
        uncertainty = _down_to_top(uncertainty)
    layer = state.get(LAYER_KEY)
    return PredictionStore(
        path, labels, uncertainty, state, layer if isinstance(layer, dict) else {}
    )


def _display_levels(group: object, name: str) -> list:
    """The coarser levels the dock added for display (``pyramid/<name>/1``, ``2``, ...)."""
    levels, k = [], 1
    while f"{PYRAMID_GROUP}/{name}/{k}" in group:
        levels.append(group[f"{PYRAMID_GROUP}/{name}/{k}"])
        k += 1
    return levels


def _down_to_top(levels: list, top: int = PYRAMID_TOP) -> list:
    """``levels`` and, read lazily, every 2nd, 4th... pixel of the finest until one fits ``top``.

    napari reads a multiscale layer's coarsest level whole: a store written
    without display levels (``predict-large``) would otherwise be read whole.
    """
    import dask.array as da

    levels = list(levels)
    rows, cols = levels[0].shape[-2:]
    step = max(1, round(rows / levels[-1].shape[-2]))
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
    Class colours are :func:`~napari_finetune.session.result_style.prediction_colours`'
    (the painted layer that trained the model is not known here).
    """
    name = store.image_name
    raw = store.state.get("classes") or {}
    n_classes = max((int(k) for k in raw), default=1)
    names = {k: raw.get(str(k), f"class {k}") for k in range(1, n_classes + 1)}
    colours = prediction_colours(names)
    meta = {"role": "prediction", "store": str(store.location), "state": store.in_words()}
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
                    **_placement(store.layer, store.uncertainty[0].ndim),
                    # The image under it is not known: the dark-image style, its full range.
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
                **_placement(store.layer, store.labels[0].ndim),
                "opacity": 0.4,
                **class_styling(colours),
                "metadata": {STATE_KEY: meta},
            },
            "labels",
        )
    )
    return layers


def _placement(layer: dict, ndim: int) -> dict:
    """``scale``, ``translate`` and ``units`` for an ``ndim``-axis layer from the stored two axes.

    Leading axes (an OME-Zarr label image's channel axis) get unit scale, no
    offset and pixel units; a record that is not two numbers per key is ignored.
    """
    out: dict = {}
    for key, lead in (("scale", 1.0), ("translate", 0.0)):
        values = layer.get(key)
        if isinstance(values, list) and len(values) == 2:
            try:
                out[key] = [lead] * (ndim - 2) + [float(v) for v in values]
            except (TypeError, ValueError):
                continue
    units = layer.get("units")
    if isinstance(units, list) and len(units) == 2 and all(isinstance(u, str) for u in units):
        out["units"] = ["pixel"] * (ndim - 2) + units
    return out


def _levels_or_one(levels: list) -> object:
    return levels if len(levels) > 1 else levels[0]
