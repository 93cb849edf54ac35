"""A band-by-band *Predict* as the dock runs it: the core's bands, plus a pyramid to show them.

:func:`predict_lazily` drives :func:`~napari_finetune.inference.lazy.predict_bands`
over a :class:`~napari_finetune.session.lazy_layers.LazyPlan` and, after each
band, fills the coarser levels of the result
(:mod:`~napari_finetune.batch.band_pyramid`), so that a viewer can show the
store as a multiscale layer that fills from the top while the run goes on.
It is a generator of small events, like every long job here: the dock drives it
in a worker thread, a script with a ``for`` loop. Stop = the consumer stops
asking (or sets ``stop``): the store keeps the finished bands, marked incomplete.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from napari_finetune.batch.band_pyramid import BandPyramid, open_result_pyramids
from napari_finetune.inference.lazy_events import BandDone, PredictionWritten
from napari_finetune.inference.views import views_for
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.lazy_layers import LazyPlan
from napari_finetune.session.result_style import avoided, displayed_brightness

# Upper contrast limit of the uncertainty map: this percentile of the values so far.
DISPLAY_PERCENTILE = 99.5


@dataclass(frozen=True)
class StoreOpened:
    """The first band is written: the result's arrays to show, full resolution first.

    Attributes
    ----------
    model : SegmentationModel
        The model that predicts (loaded, if it was given by name).
    labels : list of zarr.Array
        The labels' levels (uint8, 0 = not predicted yet), finest first.
    uncertainty : list of zarr.Array or None
        The uncertainty map's levels (float32, NaN = not predicted yet), if asked for.
    location : Path
        The store, or the label image beside an OME-Zarr image.
    brightness : float
        How bright the image is displayed (0..1), to style the uncertainty map.
    display_max : float
        Upper contrast limit for the uncertainty map, from the first band.
    views : int
        How many flipped and rotated views each tile averages (as the store records).
    """

    model: SegmentationModel
    labels: list
    uncertainty: list | None
    location: Path
    brightness: float
    display_max: float
    views: int = 1


@dataclass(frozen=True)
class LazyPredicted:
    """Every band is written and the store marked complete (the core's last event, and more).

    ``display_max`` is the uncertainty map's upper contrast limit over the
    whole image (from its coarsest level), or None without a map.
    """

    written: PredictionWritten
    model: SegmentationModel
    display_max: float | None


def predict_lazily(
    model: SegmentationModel | str | Path,
    plan: LazyPlan,
    stop: threading.Event | None = None,
    *,
    contrast_limits: tuple[float, float] | None = None,
    rgb: bool = False,
    uncertainty: bool = True,
    device: str | None = None,
    avoid_colours: Sequence[Sequence[float]] = (),
    average_views: bool = False,
) -> Iterator[StoreOpened | BandDone | LazyPredicted]:
    """Predict ``plan``'s image band by band into its store, yielding what the dock shows.

    Parameters
    ----------
    model : SegmentationModel, str or Path
        The model, or a shipped model's name or a checkpoint to load (here, in
        the consumer's thread).
    plan : LazyPlan
        What to read and where to write
        (:func:`~napari_finetune.session.lazy_layers.plan_lazy_prediction`).
    stop : threading.Event, optional
        Once set, the run ends after the band being predicted.
    contrast_limits : tuple, optional
        The image's display range, to judge how bright it looks.
    rgb : bool
        Whether the image's last axis holds colours.
    uncertainty : bool
        Also write the uncertainty map (normalised entropy, ``<store>/uncertainty``).
    device : str, optional
        Where the network runs (:mod:`napari_finetune.models.device`; default:
        where the model's weights are).
    avoid_colours : sequence of RGBA
        The painted layer's class colours (0..1): kept in the store, so that the
        prediction reopens in the colours it was shown in, unlike the painting's
        (:func:`~napari_finetune.session.prediction_store.prediction_layers`).
    average_views : bool
        Average each tile over the flipped and rotated views the model trained
        with (:mod:`~napari_finetune.inference.views`).

    Yields
    ------
    StoreOpened
        Once, after the first band, before its :class:`BandDone`.
    BandDone
        After each band, its rows written at every level.
    LazyPredicted
        Once, at the end, unless stopped.

    Raises
    ------
    ValueError
        The core's refusals (a stack, an image the model cannot take, NaN in
        a band...), starting with the layer's name.
    """
    from napari_finetune.inference.lazy import predict_bands
    from napari_finetune.inference.lazy_io import open_source
    from napari_finetune.models.registry import load_model

    try:  # the metadata only (an OME-Zarr store's, a TIFF's tags)
        source = open_source(plan.image)
    except ValueError as err:
        raise ValueError(f"Layer '{plan.layer}': {err}") from None
    if source.planes is not None:
        # The band path fills one image's display levels; a stack goes plane by plane.
        raise ValueError(
            f"Layer '{plan.layer}': shape {tuple(source.array.shape)} is a stack of planes: "
            "*Predict* goes through a stack plane by plane, not band by band "
            "(from a terminal: napari-finetune predict-large)."
        )
    if not isinstance(model, SegmentationModel):
        model = load_model(model)
    events = predict_bands(
        model,
        plan.image,
        plan.output,
        label_name=plan.label_name,
        uncertainty=uncertainty,
        device=device,
        average_views=average_views,
        # Which layer it is of and where that sits, for reopening the store.
        layer={"name": plan.layer, **plan.placement, **avoided(avoid_colours)},
    )
    pyramids: list[BandPyramid] = []
    try:
        for event in events:
            if isinstance(event, BandDone):
                first = not pyramids
                if first:  # the store exists from the first band on
                    pyramids = open_result_pyramids(plan.location, uncertainty)
                for pyramid in pyramids:
                    pyramid.fill(event.rows_done)
                if first:
                    unsure = pyramids[1] if len(pyramids) > 1 else None
                    yield StoreOpened(
                        model,
                        pyramids[0].arrays,
                        unsure.arrays if unsure else None,
                        plan.location,
                        _brightness(plan, contrast_limits, rgb),
                        _display_max(unsure.full, event.rows_done) if unsure else 1.0,
                        len(views_for(model, average_views)),
                    )
                yield event
            elif isinstance(event, PredictionWritten):
                unsure = pyramids[1] if len(pyramids) > 1 else None
                coarsest = unsure.arrays[-1] if unsure else None
                top = _display_max(coarsest, coarsest.shape[-2]) if unsure else None
                yield LazyPredicted(event, model, top)
            if stop is not None and stop.is_set():
                return
    except ValueError as err:
        raise ValueError(f"Layer '{plan.layer}': {err}") from None
    finally:
        # predict_bands' own cleanup (on a cluster, cancelling the bands in flight)
        # runs now, on Stop, an error or the consumer closing this generator, not
        # whenever its generator happens to be collected.
        events.close()


def _brightness(plan: LazyPlan, contrast_limits: tuple | None, rgb: bool) -> float:
    """How bright the image looks, from a strided sample (read here, in the worker)."""
    image = plan.image
    if isinstance(image, Path):
        from napari_finetune.batch.ome_zarr import open_ome_zarr

        image = open_ome_zarr(image).data
    return displayed_brightness(image, contrast_limits, rgb)


def _display_max(array: object, rows: int) -> float:
    """The uncertainty map's upper contrast limit: a high percentile of rows ``0 .. rows``.

    At least 1e-3, so that a map of a model sure everywhere still has a range.
    """
    values = np.asarray(array[..., :rows, :], dtype=np.float32)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 1.0
    return max(float(np.percentile(values, DISPLAY_PERCENTILE)), 1e-3)
