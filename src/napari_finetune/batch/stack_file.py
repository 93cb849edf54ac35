"""A deep stack in a folder run: read and predicted one plane at a time.

A folder run reads each image whole and predicts it whole: for a FIB-SEM run
of a thousand 2048² planes that is 4 GB read, a float32 copy of it and the
probabilities of every plane (well over 40 GB): the machine's memory killer
ends the whole run. A *deep* stack (:func:`~napari_finetune.session.lazy_rule.is_deep_stack`:
64 Mpx or more in all) is instead opened lazily (a TIFF memory-mapped or
read page by page, an OME-Zarr z-stack chunk by chunk) and predicted plane
after plane, each plane normalised by its own percentiles as ``predict``
normalises the planes of a stack: the same labels, holding the labels
(1 byte a pixel), the probabilities only when they are asked for, and one
plane. Larger than memory even so (the labels alone): ``napari-finetune
predict-large`` writes into a Zarr store instead (:mod:`~napari_finetune.inference.lazy_stack`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_finetune.batch.discovery import is_zarr_store
from napari_finetune.data.channel_axis import channel_count
from napari_finetune.data.tiff_read import TIFF_SUFFIXES
from napari_finetune.inference.predict import labels_from_probabilities
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


def predict_plane_by_plane(
    model: SegmentationModel,
    stack: object,
    name: str,
    *,
    probabilities: bool,
    backend: str,
    device: str | None = None,
    average_views: bool = False,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Labels (and probabilities, if asked) of every plane, predicting one plane at a time.

    Parameters
    ----------
    model : SegmentationModel
        The model.
    stack : array-like
        ``(planes, rows, cols[, C])``, read a plane at a time
        (:func:`~napari_finetune.session.deep_stack_prediction.predict_planes`).
    name : str
        The file's name, which errors name.
    probabilities : bool
        Also keep float32 ``(K, planes, rows, cols)``, filled plane by plane.
    backend, device, average_views
        As for :func:`~napari_finetune.inference.predict.predict`.

    Returns
    -------
    (numpy.ndarray or None, numpy.ndarray)
        The probabilities (None unless asked for) and the labels ``(planes, rows,
        cols)``, as ``predict`` of the whole stack and its labels give them.
    """
    total = int(stack.shape[0])
    labels = kept = None
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
        classes = labels_from_probabilities(plane)
        if labels is None:  # sized by the first plane's result: grey axis and colour read away
            labels = np.zeros((total, *classes.shape), classes.dtype)
            if probabilities:
                kept = np.empty((plane.shape[0], *labels.shape), np.float32)
        labels[event.plane] = classes
        if kept is not None:
            kept[:, event.plane] = plane
    return kept, labels
