"""A deep stack in a folder run: read and predicted one plane at a time.

A folder run reads each image whole and predicts it whole: for a FIB-SEM run
of a thousand 2048² planes that is 4 GB read, a float32 copy of it and the
probabilities of every plane (well over 40 GB): the machine's memory killer
ends the whole run. A *deep* stack (:func:`~napari_finetune.session.lazy_rule.is_deep_stack`:
64 Mpx or more in all) is instead opened lazily (a TIFF memory-mapped or
read page by page, an OME-Zarr z-stack chunk by chunk) and predicted plane
after plane, each plane normalised by its own percentiles as ``predict``
normalises the planes of a stack: the same labels. Each plane's labels (and
probabilities, when asked for) go into the output TIFFs on disk as soon as it
is predicted (memory-mapped), so memory holds one plane whatever the depth.
``napari-finetune predict-large`` writes into a Zarr store instead (chunked,
and a stopped run's planes can be looked at: :mod:`~napari_finetune.inference.lazy_stack`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from napari_finetune.batch.discovery import is_zarr_store
from napari_finetune.data.channel_axis import channel_count
from napari_finetune.data.safe_write import atomic_write
from napari_finetune.data.tiff_read import TIFF_SUFFIXES
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.deep_stack_prediction import predict_planes
from napari_finetune.session.lazy_rule import is_deep_stack


def open_deep_stack(path: Path) -> object | None:
    """The stack in ``path``, read lazily, when it is deep; None for any other file.

    Only the file's structure is read (TIFF tags, Zarr metadata). A file that
    cannot be opened so gives None: the folder run reads it as before and says
    what is wrong with it.
    """
    try:
        if is_zarr_store(path):
            from napari_finetune.batch.ome_zarr import open_ome_zarr

            data = open_ome_zarr(path).data
        elif path.suffix.lower() in TIFF_SUFFIXES:
            from napari_finetune.data.lazy_tiff import open_tiff_lazily

            data = open_tiff_lazily(path)
        else:
            return None
    except Exception:  # any damage (tifffile raises IndexError too): read whole, reported there
        return None
    shape = tuple(data.shape)
    # (rows, cols, 3) is one colour image, never rows planes of cols × 3
    return data if is_deep_stack(shape, channel_count(shape) in (3, 4)) else None


def write_plane_by_plane(
    model: SegmentationModel,
    stack: object,
    name: str,
    outputs: tuple[Path, ...],
    metadata: dict | None = None,
    *,
    backend: str,
    device: str | None = None,
    average_views: bool = False,
    measure: Callable[[np.ndarray, str], str] | None = None,
) -> str:
    """Predict a deep stack one plane at a time straight into its output TIFFs.

    Each plane's labels (and probabilities, when a second output is given) go
    into TIFFs on disk as soon as it is predicted (memory-mapped, under
    temporary names), so memory holds one plane whatever the depth: a
    thousand 2048² planes are 4 GB of labels and 33 GB of probabilities,
    which a folder run held in memory before. The files are renamed when
    complete (probabilities first, the labels last: their record vouches for
    the rest, as for any image of a folder run); a failure leaves neither.

    Parameters
    ----------
    model : SegmentationModel
        The model.
    stack : array-like
        ``(planes, rows, cols[, C])``, read a plane at a time
        (:func:`~napari_finetune.session.deep_stack_prediction.predict_planes`).
    name : str
        The file's name, which errors name.
    outputs : tuple of Path
        The labels TIFF ``(planes, rows, cols)`` and, optionally, the
        probabilities TIFF ``(K, planes, rows, cols)`` float32: what ``predict``
        of the whole stack and its labels give.
    metadata : dict, optional
        JSON-able record written into each TIFF's description, as
        :func:`~napari_finetune.data.io.write_image` writes it.
    backend, device, average_views
        As for :func:`~napari_finetune.inference.predict.predict`.
    measure : callable, optional
        ``measure(map, kind)`` called with the finished probabilities
        (``'probabilities'``) or labels (``'classes'``) before the files are
        renamed; its note is returned.

    Returns
    -------
    str
        ``measure``'s note (``''`` without one).

    Raises
    ------
    ValueError
        When a plane cannot be predicted (naming the file); nothing is written.
    OSError
        When an output does not fit its disk (checked before a pixel is
        written); nothing is written.
    """
    total = int(stack.shape[0])
    with contextlib.ExitStack() as renames:  # left in reverse: probabilities, then labels
        targets = [renames.enter_context(atomic_write(path)) for path in outputs[:2]]
        maps: dict[str, np.memmap] = {}  # the outputs' pixels, mapped from their files
        try:
            for event in predict_planes(
                model,
                stack,
                name,
                list(range(total)),
                device=device,
                average_views=average_views,
                backend=backend,
            ):
                plane = event.probabilities
                classes = event.labels  # computed with the event
                if not maps:  # sized by the first plane's result: grey axis and colour read away
                    shape = (total, *classes.shape)
                    maps["classes"] = _tiff_on_disk(
                        targets[0], shape, classes.dtype, metadata, outputs[0]
                    )
                    if len(targets) > 1:
                        shape = (len(plane), *shape)
                        maps["probabilities"] = _tiff_on_disk(
                            targets[1], shape, np.float32, metadata, outputs[1]
                        )
                maps["classes"][event.plane] = classes
                if "probabilities" in maps:
                    maps["probabilities"][:, event.plane] = plane
            if not maps:
                raise ValueError(f"{name}: a stack of no planes has nothing to predict.")
            kind = "probabilities" if "probabilities" in maps else "classes"
            note = "" if measure is None else measure(maps[kind], kind)
            for kind in maps:
                maps[kind].flush()
        finally:
            # Each file's map is closed before its rename or removal (Windows refuses either).
            maps.clear()
    return note


def _tiff_on_disk(
    path: Path, shape: tuple[int, ...], dtype: object, metadata: dict | None, final: Path
) -> np.memmap:
    """An uncompressed TIFF of ``shape`` at ``path``, its pixels mapped into memory.

    A BigTIFF past 4 GB, as write_image writes; "minisblack" said, not guessed
    (3 planes are no RGB image). Its disk space is checked and, where the
    system can, reserved first: pages written into a map on a full disk kill
    the process (SIGBUS, the viewer with it), where a refusal now stops the
    run with an OSError naming ``final``, the file it becomes.
    """
    import tifffile

    needed = int(np.prod(shape)) * np.dtype(dtype).itemsize
    free = shutil.disk_usage(path.parent).free
    if needed > free:
        raise OSError(
            errno.ENOSPC,
            f"{final.name} needs {needed / 1e9:.1f} GB and its disk has {free / 1e9:.1f} GB free",
        )
    mapped = tifffile.memmap(
        path, shape=shape, dtype=dtype, photometric="minisblack", metadata=metadata or {}
    )
    if hasattr(os, "posix_fallocate"):  # not on Windows or macOS: the check above stands
        with open(path, "r+b") as file:
            try:
                os.posix_fallocate(file.fileno(), 0, os.path.getsize(path))
            except OSError as err:
                if err.errno != errno.ENOSPC:  # a file system that cannot reserve: mapped as is
                    return mapped
                raise OSError(errno.ENOSPC, f"no space on disk left for {final.name}") from None
    return mapped
