"""Prediction of images larger than memory: tile by tile, in row bands, into a Zarr store.

The image is read one band of tiles at a time (the tile height, full width,
the overlap with the band above read again), every tile is predicted and
blended with the windows of :func:`~napari_finetune.inference.tiling.apply_tiled`
(same tiles, same windows) into the band's own sums
(:mod:`~napari_finetune.inference.lazy_bands`); the sums of the rows the band
above overlaps are added to them, and the rows that no later tile touches are
written to the store as soon as the band is done. Memory holds one band of the
input, its normalised tile and the sums of one band (``(K + 1) × tile × cols``
float32, one more channel for the uncertainty), whatever the number of rows.
A stack is predicted so plane after plane, into its plane of the store
(:mod:`~napari_finetune.inference.lazy_stack`).

On a Dask cluster (``client=``), the bands are tasks
(:mod:`~napari_finetune.inference.lazy_cluster`): workers compute the sums of
a band with the same function, this process adds them in the same order and
writes the store, so the result has the same bits as the single-process run
(given the same number of torch threads per task). At most two bands per
worker are in flight.

Normalisation: the model's percentiles (1 and 99.5 by default) are taken
from a regular grid of at most ``sample_pixels`` pixels
(:mod:`~napari_finetune.data.sampled_normalize`), read before the first band.
An image of at most ``sample_pixels`` pixels (4 Mpx by default) is sampled
whole: then the result equals :func:`~napari_finetune.inference.predict.predict`
within 1e-5. A larger image gets percentiles a few thousandths of its
intensity span from the exact ones.

Stopping: the generator may be closed after any :class:`BandDone`; the store
then holds the finished bands complete (rows ``0 .. rows_done``, labels 0 and
probabilities NaN below) and its attributes say ``complete: false`` and
``rows_done``. Nothing resumes such a store: predict again into a new one.
On a cluster, closing cancels the bands in flight.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from typing import TYPE_CHECKING

from napari_finetune.data.sampled_normalize import SAMPLE_PIXELS, sampled_normalization
from napari_finetune.inference.lazy_bands import channels_view, local_band_sums, write_bands
from napari_finetune.inference.lazy_events import (
    BandDone,
    PlaneDone,
    PlaneRowsDone,
    PredictionWritten,
)
from napari_finetune.inference.lazy_io import check_output, create_output, open_source
from napari_finetune.inference.lazy_setup import check_for_model, finish_output, run_state
from napari_finetune.inference.predict import OVERLAP, TILE
from napari_finetune.inference.runtime import DEFAULT_BACKEND, resolve_backend, run_device
from napari_finetune.inference.tiling import check_tiling, tile_starts
from napari_finetune.inference.views import views_for
from napari_finetune.models.model import SegmentationModel

if TYPE_CHECKING:
    from distributed import Client


def predict_bands(
    model: SegmentationModel,
    image: object,
    output: object = None,
    *,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str = DEFAULT_BACKEND,
    device: str | None = None,
    probabilities: bool = False,
    uncertainty: bool = False,
    chunk: int | None = None,
    label_name: str = "prediction",
    sample_pixels: int = SAMPLE_PIXELS,
    client: Client | None = None,
    layer: dict | None = None,
    average_views: bool = False,
) -> Iterator[BandDone | PlaneRowsDone | PlaneDone | PredictionWritten]:
    """Predict a lazily read image band by band into a Zarr store, yielding progress.

    Parameters are those of :func:`predict_lazy`, and ``layer``: the viewer
    layer the image is (its ``name``, ``scale``, ``translate``, ``units``),
    kept in the store's attributes so that it reopens as that layer's
    prediction (:mod:`~napari_finetune.session.prediction_store`). The viewer
    asks for the uncertainty map with ``predict_bands(model, image, output,
    uncertainty=True)`` and reads ``<output>/uncertainty`` (float32
    ``(rows, cols)``, see there).

    Yields
    ------
    BandDone
        After each band is written (one image).
    PlaneRowsDone
        After each band of a stack's plane but its last (a stack, instead of
        :class:`BandDone`).
    PlaneDone
        After each plane is written (a stack).
    PredictionWritten
        Once, at the end, when the store is marked complete.
    """
    started = time.perf_counter()
    check_tiling(tile, overlap, 2 * model.net.min_size)
    backend = resolve_backend(backend)
    if client is None:
        run_device(model, device, backend)  # a missing GPU is said before any work
    chunk = tile if chunk is None else chunk
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be a whole number of pixels, at least 1.")
    source = open_source(image)
    check_for_model(model, source)
    if client is not None:
        from napari_finetune.batch.cluster import check_client, check_workers_see
        from napari_finetune.inference.lazy_cluster import band_reader

        check_client(client, backend)  # waits for a worker, asks for the packages
        reader = band_reader(image)  # refuses, before any work, what workers cannot read
        if reader is not None:
            shared = getattr(reader, "store", None) or reader.filename
            check_workers_see(client, shared, "the input image")
    check_output(output, source, label_name)  # before the seconds that sampling takes
    views = views_for(model, average_views)
    state = run_state(model, source, tile, overlap, views, layer)
    if source.planes is not None:
        from napari_finetune.inference.lazy_stack import stack_planes

        yield from stack_planes(
            model,
            source,
            output,
            state,
            started,
            client=client,
            image=image,
            tile=tile,
            overlap=overlap,
            backend=backend,
            device=device,
            probabilities=probabilities,
            uncertainty=uncertainty,
            chunk=chunk,
            label_name=label_name,
            sample_pixels=sample_pixels,
            views=views,
        )
        return
    array = source.array
    rows, cols = array.shape[:2]
    specimen = rows - source.data_bar_rows if 0 < source.data_bar_rows < rows else rows
    normalize = sampled_normalization(
        model.normalization, channels_view(array), sample_pixels, specimen
    )
    state["normalization"] = {**model.normalization.to_dict(), **normalize.to_dict()}
    target = create_output(
        output, source, model.n_classes, chunk, probabilities, label_name, state, uncertainty
    )
    starts = tile_starts(rows, tile, overlap)
    arguments = (starts, normalize, tile, overlap, backend, uncertainty, device, views)
    if client is None:
        sums_of_bands = local_band_sums(model, array, *arguments)
    else:
        from napari_finetune.inference.lazy_cluster import cluster_band_sums

        sums_of_bands = cluster_band_sums(client, model, image, array, *arguments)
    # Closed when this generator is (Stop, Ctrl-C): on a cluster, the bands in flight cancelled.
    written = write_bands(target, starts, sums_of_bands, model.n_classes, uncertainty, rows)
    with closing(written):
        for end in written:
            seconds = time.perf_counter() - started
            yield BandDone(end, rows, seconds, seconds / end * (rows - end))
    finish_output(target, source, output, label_name)
    seconds = time.perf_counter() - started
    yield PredictionWritten(target.location, rows, cols, seconds, rows * cols / 1e6 / seconds)


def predict_lazy(
    model: SegmentationModel,
    image: object,
    output: object = None,
    *,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str = DEFAULT_BACKEND,
    device: str | None = None,
    probabilities: bool = False,
    uncertainty: bool = False,
    chunk: int | None = None,
    label_name: str = "prediction",
    sample_pixels: int = SAMPLE_PIXELS,
    client: Client | None = None,
    average_views: bool = False,
) -> PredictionWritten:
    """Predict an image larger than memory into a Zarr store (blocking :func:`predict_bands`).

    Parameters
    ----------
    model : SegmentationModel
        A trained model.
    image : array-like or str or Path
        2D grey ``(rows, cols)`` (or ``(rows, cols, 1)``, read as grey) or RGB
        ``(rows, cols, 3)``, or a stack of either, ``(planes, rows, cols[, 3])``
        (predicted plane by plane: :mod:`~napari_finetune.inference.lazy_stack`);
        any array that reads only what is sliced: a dask or zarr array, a
        ``numpy.memmap`` or ``tifffile.memmap``; or the path of a TIFF, a Zarr
        array or an OME-Zarr image (a z-stack included).
    output : str, Path, zarr.Group or None
        A new Zarr store (a path that must not exist, outside the input's
        store) or a group to hold ``labels`` (uint8 ``(rows, cols)``) and,
        on request, ``probabilities`` (float32 ``(K, rows, cols)``) and
        ``uncertainty`` (float32 ``(rows, cols)``); a stack's have its planes
        before the rows. None for an OME-Zarr
        input: the labels go beside the image, ``<store>/labels/<label_name>/``,
        with its NGFF metadata and as many levels as the image; the
        probabilities and uncertainty as arrays of those names in that
        folder (:attr:`PredictionWritten.output` is where, in both cases).
    tile, overlap : int
        Tile side and overlap in pixels, as in :func:`~napari_finetune.predict`.
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network.
    device : str, optional
        Where: ``'auto'``, ``'cpu'``, ``'cuda[:N]'`` or ``'mps'`` (default: the
        model's device; on a cluster, resolved on each worker).
    probabilities : bool
        Also write the float32 probabilities (4 bytes × K per pixel).
    uncertainty : bool
        Also write ``uncertainty``: the normalised entropy in [0, 1], higher =
        less sure, as ``nf.uncertainty(model, image, method='entropy')``
        computes it in memory (within 1e-5 when the image is sampled whole).
    chunk : int, optional
        Chunk side of the written arrays (default: the tile side).
    label_name : str
        Name of the label image beside an OME-Zarr input.
    sample_pixels : int
        Largest number of pixels the normalisation percentiles are taken from
        (a regular grid; images up to this size are sampled whole, exactly).
    client : distributed.Client, optional
        Run the bands as tasks on this Dask cluster (see the module); the
        input must be one its workers can read, or that can be sent to them
        (:mod:`~napari_finetune.inference.lazy_cluster`). Needs
        ``pip install "napari-finetune[cluster]"``.
    average_views : bool
        Average each tile over the flipped and rotated views the model's
        training allowed, as :func:`~napari_finetune.predict` does (that many
        times the time; :mod:`~napari_finetune.inference.views`).

    Returns
    -------
    PredictionWritten
        Where the result is, its size (and planes), the time taken and the Mpx/s.

    Raises
    ------
    ValueError
        For an input that is not a 2D grey or RGB array or a stack of them (or
        a store), an
        image the model cannot take, an output that exists, lies inside the
        input's store or is missing, bad tiling, a closed ``client`` or an
        input its workers cannot read, all before any work; for NaN or
        infinite values in a band, when that band is read.
    """
    *_, last = predict_bands(
        model,
        image,
        output,
        tile=tile,
        overlap=overlap,
        backend=backend,
        device=device,
        probabilities=probabilities,
        uncertainty=uncertainty,
        chunk=chunk,
        label_name=label_name,
        sample_pixels=sample_pixels,
        client=client,
        average_views=average_views,
    )
    return last
