"""Prediction of images larger than memory: tile by tile, in row bands, into a Zarr store.

The image is read one band of tiles at a time (the tile height, full width,
the overlap with the band above read again), every tile is predicted and
blended into accumulators exactly as :func:`~napari_finetune.inference.tiling.apply_tiled`
blends them (same tiles, same windows, same order of additions), and the
rows that no later tile touches are written to the store as soon as the band
is done. Memory holds one band of the input, its normalised tile and the
accumulators of one band (``(K + 1) × tile × cols`` float32), whatever the
number of rows.

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
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import torch

from napari_finetune.data.painted import MIN_SIDE
from napari_finetune.data.sampled_normalize import SAMPLE_PIXELS, sampled_normalization
from napari_finetune.inference.lazy_events import BandDone, PredictionWritten
from napari_finetune.inference.lazy_io import create_output, open_source
from napari_finetune.inference.predict import (
    OVERLAP,
    TILE,
    as_batch,
    as_planes,
    labels_from_probabilities,
)
from napari_finetune.inference.runtime import DEFAULT_BACKEND, logits_function, resolve_backend
from napari_finetune.inference.tiling import blend_window, check_tiling, tile_starts
from napari_finetune.models.model import SegmentationModel


def predict_bands(
    model: SegmentationModel,
    image: object,
    output: object = None,
    *,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str = DEFAULT_BACKEND,
    probabilities: bool = False,
    chunk: int | None = None,
    label_name: str = "prediction",
    sample_pixels: int = SAMPLE_PIXELS,
) -> Iterator[BandDone | PredictionWritten]:
    """Predict a lazily read image band by band into a Zarr store, yielding progress.

    Parameters are those of :func:`predict_lazy`.

    Yields
    ------
    BandDone
        After each band is written.
    PredictionWritten
        Once, at the end, when the store is marked complete.
    """
    started = time.perf_counter()
    check_tiling(tile, overlap, 2 * model.net.min_size)
    backend = resolve_backend(backend)
    chunk = tile if chunk is None else chunk
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk={chunk!r} must be a whole number of pixels, at least 1.")
    source = open_source(image)
    array = source.array
    rows, cols = array.shape[:2]
    _check_for_model(model, array)
    normalize = sampled_normalization(model.normalization, _channels_view(array), sample_pixels)
    state = {
        "complete": False,
        "rows_done": 0,
        "rows": rows,
        "cols": cols,
        "tile": tile,
        "overlap": overlap,
        "classes": {str(k): name for k, name in model.classes.items()},
        "normalization": {**model.normalization.to_dict(), **normalize.to_dict()},
    }
    target = create_output(
        output, source, model.n_classes, chunk, probabilities, label_name, state
    )
    forward = logits_function(model, backend)
    windows: dict[tuple[int, int], np.ndarray] = {}
    starts, col_starts = tile_starts(rows, tile, overlap), tile_starts(cols, tile, overlap)
    carry_total = np.zeros((model.n_classes, 0, cols), np.float32)
    carry_weight = np.zeros((0, cols), np.float32)
    for index, y in enumerate(starts):
        y1 = min(y + tile, rows)
        band = _read_band(array, y, y1)
        total = np.zeros((model.n_classes, y1 - y, cols), np.float32)
        weight = np.zeros((y1 - y, cols), np.float32)
        total[:, : carry_weight.shape[0]] = carry_total
        weight[: carry_weight.shape[0]] = carry_weight
        for x in col_starts:
            piece = band[:, x : min(x + tile, cols)]
            shape = piece.shape[:2]
            if shape not in windows:
                windows[shape] = blend_window(*shape, overlap)
            with torch.inference_mode():
                probs = torch.softmax(forward(as_batch(normalize(piece))), dim=1)[0].numpy()
            total[:, :, x : x + shape[1]] += probs * windows[shape]
            weight[:, x : x + shape[1]] += windows[shape]
        # Rows above the next band's first tile get no more contributions.
        end = starts[index + 1] if index + 1 < len(starts) else rows
        done = total[:, : end - y] / weight[: end - y]
        target.write(y, labels_from_probabilities(done), done)
        carry_total, carry_weight = total[:, end - y :], weight[end - y :]
        target.mark(rows_done=end)
        seconds = time.perf_counter() - started
        yield BandDone(end, rows, seconds, seconds / end * (rows - end))
    if source.ome is not None and output is None:
        from napari_finetune.batch.ome_zarr_labels import fill_pyramid

        fill_pyramid(source.ome, label_name)
    target.mark(complete=True)
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
    probabilities: bool = False,
    chunk: int | None = None,
    label_name: str = "prediction",
    sample_pixels: int = SAMPLE_PIXELS,
) -> PredictionWritten:
    """Predict an image larger than memory into a Zarr store (blocking :func:`predict_bands`).

    Parameters
    ----------
    model : SegmentationModel
        A trained model.
    image : array-like or str or Path
        2D grey ``(rows, cols)`` or RGB ``(rows, cols, 3)``, any array that
        reads only what is sliced: a dask or zarr array, a ``numpy.memmap`` or
        ``tifffile.memmap``; or the path of a Zarr array or OME-Zarr image.
    output : str, Path, zarr.Group or None
        A new Zarr store (a path that must not exist, outside the input's
        store) or a group to hold ``labels`` (uint8 ``(rows, cols)``) and,
        on request, ``probabilities`` (float32 ``(K, rows, cols)``). None for an
        OME-Zarr input: the labels go beside the image, ``<store>/labels/<label_name>/``,
        with its NGFF metadata and as many levels as the image.
    tile, overlap : int
        Tile side and overlap in pixels, as in :func:`~napari_finetune.predict`.
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network.
    probabilities : bool
        Also write the float32 probabilities (4 bytes × K per pixel).
    chunk : int, optional
        Chunk side of the written arrays (default: the tile side).
    label_name : str
        Name of the label image beside an OME-Zarr input.
    sample_pixels : int
        Largest number of pixels the normalisation percentiles are taken from
        (a regular grid; images up to this size are sampled whole, exactly).

    Returns
    -------
    PredictionWritten
        Where the result is, its size, the time taken and the Mpx/s.

    Raises
    ------
    ValueError
        For an input that is not a 2D grey or RGB array (or a Zarr store), an
        image the model cannot take, an output that exists, lies inside the
        input's store or is missing, or bad tiling, all before any work; for
        NaN or infinite values in a band, when that band is read.
    """
    *_, last = predict_bands(
        model,
        image,
        output,
        tile=tile,
        overlap=overlap,
        backend=backend,
        probabilities=probabilities,
        chunk=chunk,
        label_name=label_name,
        sample_pixels=sample_pixels,
    )
    return last


def _check_for_model(model: SegmentationModel, array: object) -> None:
    """ValueError unless the model takes this image (grey or RGB, size), as ``predict`` says."""
    if len(array.shape) == 3 and array.shape[-1] not in (3, 4):
        raise ValueError(
            f"image of shape {tuple(array.shape)} looks like a stack of planes: predict "
            "each plane (rows, cols) on its own."
        )
    probe = np.asarray(array[:MIN_SIDE, :MIN_SIDE])
    as_planes(model, probe)  # the model's own checks: dtype, grey against RGB
    rows, cols = array.shape[:2]
    if min(rows, cols) < MIN_SIDE:
        raise ValueError(
            f"image is {rows} × {cols} px: the model needs at least {MIN_SIDE} px per side."
        )


def _channels_view(array: object) -> object:
    return array[..., :3] if len(array.shape) == 3 else array


def _read_band(array: object, y0: int, y1: int) -> np.ndarray:
    """Rows ``y0 .. y1`` as ``(h, cols, C)``; ValueError for NaN or infinite values."""
    band = np.asarray(_channels_view(array)[y0:y1])
    if band.ndim == 2:
        band = band[..., None]
    if band.dtype.kind == "f" and not np.isfinite(band).all():
        raise ValueError(f"image contains NaN or infinite values (rows {y0} to {y1}).")
    return band
