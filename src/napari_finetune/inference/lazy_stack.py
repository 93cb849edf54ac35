"""Prediction of a stack larger than memory: plane after plane, each band by band, into Zarr.

A FIB-SEM or serial-section run of a thousand 2048² planes is 4 GB of
uint8 and, predicted whole, 48 GB of float32 probabilities (three classes).
Here each plane is read from the stack only where it is sliced (a Dask, Zarr
or memory-mapped stack, a TIFF stack, an OME-Zarr z-stack) and predicted band
by band exactly as one large image is (:mod:`~napari_finetune.inference.lazy`),
into its plane of the store: memory holds one band of one plane, whatever
the depth.

Each plane is normalised by its own percentiles, as ``predict`` normalises
each plane of a stack in memory (and the viewer's *Predict* plane by plane):
a plane of at most ``sample_pixels`` pixels gets ``predict``'s result within
1e-5.

Stopping: the generator may be closed after any :class:`PlaneDone` or
:class:`PlaneRowsDone` (a plane's band); the store's attributes then say
``complete: false`` and ``planes_done``, the planes ``0 .. planes_done``
that are final (a plane cut off midway has its rows ``0 .. rows_done``
written).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from typing import TYPE_CHECKING

from napari_finetune.data.channel_axis import sliceable
from napari_finetune.data.sampled_normalize import sampled_normalization
from napari_finetune.inference.lazy_bands import channels_view, local_band_sums, write_bands
from napari_finetune.inference.lazy_events import PlaneDone, PlaneRowsDone, PredictionWritten
from napari_finetune.inference.lazy_io import LazySource, create_output
from napari_finetune.inference.lazy_setup import finish_output
from napari_finetune.inference.tiling import tile_starts
from napari_finetune.inference.views import View
from napari_finetune.models.model import SegmentationModel

if TYPE_CHECKING:
    from distributed import Client


def stack_planes(
    model: SegmentationModel,
    source: LazySource,
    output: object,
    state: dict,
    started: float,
    *,
    tile: int,
    overlap: int,
    backend: str,
    device: str | None,
    probabilities: bool,
    uncertainty: bool,
    chunk: int,
    label_name: str,
    sample_pixels: int,
    views: tuple[View, ...],
    client: Client | None = None,
    image: object = None,
) -> Iterator[PlaneRowsDone | PlaneDone | PredictionWritten]:
    """Predict every plane of a stack into the store, yielding a :class:`PlaneDone` for each.

    A plane of several bands also yields a :class:`PlaneRowsDone` after each
    band but its last.

    Called by :func:`~napari_finetune.inference.lazy.predict_bands` for a stack
    (``source.planes`` set), after its checks; ``state`` is the store's
    attributes so far and ``started`` the run's start (``time.perf_counter``).
    With a Dask ``client``, each plane's bands are tasks as one image's are
    (:mod:`~napari_finetune.inference.lazy_cluster`: workers read ``image``,
    the input as given, themselves where they can), the model shipped once.
    """
    planes = source.planes
    rows, cols = source.plane_shape
    state["planes"], state["planes_done"] = planes, 0
    state["normalization"] = {**model.normalization.to_dict(), "percentiles_of": "each plane"}
    target = create_output(
        output, source, model.n_classes, chunk, probabilities, label_name, state, uncertainty
    )
    starts = tile_starts(rows, tile, overlap)
    specimen = rows - source.data_bar_rows if 0 < source.data_bar_rows < rows else rows
    stack = sliceable(source.array)  # a plane of it is read only where it is sliced
    shipped = None
    if client is not None:  # once for every plane, forgotten at the end
        from napari_finetune.batch.model_on_workers import forget_model, ship_model
        from napari_finetune.inference.lazy_cluster import cluster_band_sums

        shipped = ship_model(client, model)
    try:
        for z in range(planes):
            plane = stack[z]
            normalize = sampled_normalization(
                model.normalization, channels_view(plane), sample_pixels, specimen
            )
            target.plane = (z,)
            # A store's own labels have the planes first; beside an OME-Zarr z-stack, its z axis.
            beside = source.ome is not None and output is None
            target.prefix = plane_index(tuple(target.labels.shape), planes, z) if beside else (z,)
            arguments = (starts, normalize, tile, overlap, backend, uncertainty, device, views)
            if client is None:
                bands = local_band_sums(model, plane, *arguments)
            else:
                bands = cluster_band_sums(
                    client, model, image, source.array, *arguments, plane=z, shipped=shipped
                )
            written = write_bands(target, starts, bands, model.n_classes, uncertainty, rows)
            with closing(written):  # the plane's bands end with it, on Stop too
                for rows_done in written:
                    if rows_done < rows:  # a 30 000-row plane takes minutes: say how far
                        seconds = time.perf_counter() - started
                        done = z + rows_done / rows  # planes, this one's part counted
                        left = seconds / done * (planes - done)
                        yield PlaneRowsDone(z, planes, rows_done, rows, seconds, left)
            target.mark(planes_done=z + 1, rows_done=0)  # rows_done: of the plane under way
            seconds = time.perf_counter() - started
            yield PlaneDone(z + 1, planes, seconds, seconds / (z + 1) * (planes - z - 1))
    finally:
        if shipped is not None:
            forget_model(client, shipped)
    finish_output(target, source, output, label_name)
    seconds = time.perf_counter() - started
    pixels = planes * rows * cols
    yield PredictionWritten(target.location, rows, cols, seconds, pixels / 1e6 / seconds, planes)


def plane_index(shape: tuple[int, ...], planes: int, z: int) -> tuple[int, ...]:
    """The index of plane ``z`` before the rows and columns of labels of ``shape``.

    ``(z,)`` for a store's own ``(planes, rows, cols)``; beside an OME-Zarr
    z-stack, ``z`` on its one leading axis of ``planes`` (the z axis) and 0 on
    the others (time, channel: one long there), e.g. ``(0, z)`` for
    ``(c, z, y, x)``.
    """
    lead = shape[:-2]
    axes = [i for i, n in enumerate(lead) if n == planes and n > 1]
    if len(axes) != 1:
        raise ValueError(f"labels of shape {shape} have no one axis of {planes} planes.")
    return tuple(z if i == axes[0] else 0 for i in range(len(lead)))
