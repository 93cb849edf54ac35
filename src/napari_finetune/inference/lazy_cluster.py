"""The bands of a large image as tasks on a Dask cluster, their sums gathered in order.

Each band is one task that runs :func:`~napari_finetune.inference.lazy_bands.band_sums`,
the function the single-process run calls, on a worker; the driver
(:func:`~napari_finetune.inference.lazy.predict_bands`) takes the sums back
band after band in order, adds the overlap carried from the band above and
writes the store itself, so workers need not see the output.

A worker reads its band itself where it can:

- the path of a Zarr array or OME-Zarr image: opened on the worker;
- a zarr array in a store on disk: opened on the worker by the store's path;
- a whole ``numpy.memmap`` (``tifffile.memmap`` of a TIFF file): mapped on
  the worker by its file name, offset and shape;

(those need the file on a file system every worker mounts), and otherwise
gets it from here:

- a dask array: the band's slice is computed on the cluster
  (``client.compute``) and handed to its task, as Dask does with any graph;
- another NumPy array (a slice of a memory map included): the band is read
  here and sent.

Anything else (an h5py dataset, a zarr array in memory, ...) is refused with
a ValueError before any work. A stack's planes go one after another, each
plane's bands as tasks (``plane=``), read by the workers from the same inputs.
At most two bands per worker are in flight, so memory stays bounded on the
workers and here whatever the number of rows.
"""

from __future__ import annotations

import mmap
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from napari_finetune.batch.cluster import worker_count, worker_device
from napari_finetune.data.channel_axis import sliceable
from napari_finetune.data.lazy_tiff import is_tiff, memmap_tiff
from napari_finetune.data.sampled_normalize import FixedNormalization
from napari_finetune.inference.lazy_bands import as_band, band_sums, channels_view, read_band
from napari_finetune.inference.runtime import logits_function
from napari_finetune.inference.views import IDENTITY, View, averaged
from napari_finetune.models.model import SegmentationModel

BANDS_PER_WORKER = 2


@dataclass(frozen=True)
class StoreBands:
    """A Zarr array or OME-Zarr image by path (``path`` within a store, or the store's root)."""

    store: str
    path: str = ""
    plane: int | None = None

    def read(self, y0: int, y1: int) -> np.ndarray:
        """Rows ``y0 .. y1`` (of plane :attr:`plane` of a stack) as ``(h, cols, C)``."""
        from napari_finetune.inference.lazy_io import open_source

        if not self.path:
            return read_band(_plane_of(open_source(self.store).array, self.plane), y0, y1)
        import zarr

        array = zarr.open_array(self.store, path=self.path, mode="r")
        return read_band(_plane_of(array, self.plane), y0, y1)


@dataclass(frozen=True)
class MemmapBands:
    """A memory-mapped file, mapped again on the worker."""

    filename: str
    dtype: str
    shape: tuple[int, ...]
    offset: int
    order: str
    plane: int | None = None

    def read(self, y0: int, y1: int) -> np.ndarray:
        """Rows ``y0 .. y1`` (of plane :attr:`plane` of a stack) as ``(h, cols, C)``."""
        array = np.memmap(
            self.filename, self.dtype, "r", self.offset, self.shape, order=self.order
        )
        return read_band(_plane_of(array, self.plane), y0, y1)


def _plane_of(array: object, plane: int | None) -> object:
    """Plane ``plane`` of a stack, read only where it is sliced; the image itself for None."""
    return array if plane is None else sliceable(array)[plane]


def band_reader(image: object, plane: int | None = None) -> StoreBands | MemmapBands | None:
    """How a worker reads the bands of ``image`` (of its plane ``plane``); None: sent from here.

    Raises
    ------
    ValueError
        For an input no worker can read and that cannot be sent (see the module).
    """
    reader = _reader(image)
    return reader if reader is None or plane is None else replace(reader, plane=plane)


def _reader(image: object) -> StoreBands | MemmapBands | None:
    if isinstance(image, str | os.PathLike) and is_tiff(image):
        # Opened once, to find its pixels, and closed: never through Zarr only to refuse it.
        mapped = memmap_tiff(image)
        if mapped is not None:
            return _reader(mapped)
        raise ValueError(
            f"{Path(image).name} is compressed or tiled: Dask workers read uncompressed "
            "TIFFs (memory-mapped) and Zarr stores; convert it, e.g. to OME-Zarr."
        )
    if isinstance(image, str | os.PathLike):
        return StoreBands(str(Path(image).resolve()))
    if isinstance(image, np.memmap) and isinstance(image.base, mmap.mmap) and image.filename:
        order = "F" if image.flags.f_contiguous and not image.flags.c_contiguous else "C"
        return MemmapBands(
            image.filename, image.dtype.str, tuple(image.shape), image.offset, order
        )
    if isinstance(image, np.ndarray) or _is_dask(image):
        return None
    root = getattr(getattr(image, "store", None), "root", None)
    if type(image).__module__.startswith("zarr") and root is not None:
        return StoreBands(str(Path(root).resolve()), image.path)
    raise ValueError(
        f"image is a {type(image).__name__}, which Dask workers cannot read: on a cluster "
        "give the path of a Zarr or OME-Zarr store, a zarr array in a store on disk, a "
        "numpy.memmap (tifffile.memmap), a dask array or a NumPy array."
    )


def _is_dask(image: object) -> bool:
    return type(image).__module__.startswith("dask") and hasattr(image, "dask")


def _band_task(
    model: str,
    source: StoreBands | MemmapBands | np.ndarray,
    y0: int,
    y1: int,
    normalize: FixedNormalization,
    tile: int,
    overlap: int,
    backend: str,
    uncertainty: bool,
    device: str | None = None,
    views: tuple[View, ...] = IDENTITY,
) -> np.ndarray:
    """On a worker: one band's sums by the model shipped as ``model`` (``device`` chosen there)."""
    import dask

    from napari_finetune.batch.model_on_workers import model_here

    # Reading an OME-Zarr band computes a dask array: here, in this task, not
    # as more tasks that would wait for this worker's only thread.
    with dask.config.set(scheduler="synchronous"):
        band = source.read(y0, y1) if hasattr(source, "read") else as_band(source, y0, y1)
    model = model_here(model)
    # Prepared once per worker, then cached; averaged over the views asked for.
    forward = averaged(logits_function(model, backend, device), views)
    return band_sums(
        forward, normalize, band, model.n_classes, tile, overlap, uncertainty, model.net.min_size
    )


def cluster_band_sums(
    client: object,
    model: SegmentationModel,
    image: object,
    array: object,
    starts: Sequence[int],
    normalize: FixedNormalization,
    tile: int,
    overlap: int,
    backend: str,
    uncertainty: bool,
    device: str | None = None,
    views: tuple[View, ...] = IDENTITY,
    *,
    plane: int | None = None,
    shipped: object = None,
) -> Iterator[np.ndarray]:
    """The sums of the bands starting at ``starts``, computed on the cluster, in order.

    Parameters
    ----------
    client : distributed.Client
        An open client (:func:`~napari_finetune.batch.cluster.check_client`).
    model : SegmentationModel
        Held by every worker, those joining later too
        (:mod:`~napari_finetune.batch.model_on_workers`).
    image : object
        The input as given (a path, a memmap, a dask array, ...): it says how
        workers read (:func:`band_reader`).
    array : array-like
        The opened input (:func:`~napari_finetune.inference.lazy_io.open_source`).
    starts : sequence of int
        First row of each band.
    normalize, tile, overlap, backend, uncertainty
        As for :func:`~napari_finetune.inference.lazy_bands.band_sums`.
    device : str, optional
        Where each worker runs the network (resolved on the worker,
        :func:`~napari_finetune.batch.cluster.worker_device`).
    views : tuple of View
        Each tile is the mean over these (:mod:`~napari_finetune.inference.views`).
    plane : int, optional
        The plane of a stack ``image`` whose bands these are
        (:mod:`~napari_finetune.inference.lazy_stack`).
    shipped : optional
        The model as :func:`~napari_finetune.batch.model_on_workers.ship_model`
        shipped it, for a caller that ships it once for many planes (and
        forgets it); by default shipped here and forgotten at the end.

    Yields
    ------
    numpy.ndarray
        Each band's sums, in the order of ``starts``. A band whose task was
        cancelled on the cluster (data sent from here lost with its worker)
        is sent again, once. Closing the generator cancels the bands not yet
        taken.
    """
    from concurrent.futures import CancelledError

    from napari_finetune.batch.model_on_workers import forget_model, ship_model

    reader = band_reader(image, plane)
    array = _plane_of(array, plane)
    rows = array.shape[0]
    own = shipped is None
    shipped = ship_model(client, model) if own else shipped
    limit = BANDS_PER_WORKER * max(1, worker_count(client))

    def submit(y: int) -> object:
        y1 = min(y + tile, rows)
        if reader is not None:
            source = reader
        elif _is_dask(array):
            source = client.compute(channels_view(array)[y:y1])
        else:
            source = client.scatter(np.ascontiguousarray(channels_view(array)[y:y1]))
        return client.submit(
            _band_task,
            shipped,
            source,
            y,
            y1,
            normalize,
            tile,
            overlap,
            backend,
            uncertainty,
            worker_device(device, backend),
            views,
            pure=False,
        )

    pending: deque = deque()  # (first row, future)
    queued = iter(starts)
    try:
        for _ in starts:
            # A window of bands in flight: Dask schedules them, this bounds memory.
            while len(pending) < limit and (y := next(queued, None)) is not None:
                pending.append((y, submit(y)))
            y, future = pending.popleft()
            try:
                sums = future.result()
            except CancelledError:
                sums = submit(y).result()
            yield sums
    finally:
        client.cancel([future for _, future in pending])
        if own:
            forget_model(client, shipped)
