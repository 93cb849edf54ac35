"""Tiled prediction of class probabilities for images of any size."""

from __future__ import annotations

import numpy as np
import torch

from napari_finetune.data.channel_axis import channel_count, without_grey_axis
from napari_finetune.data.painted import MIN_SIDE
from napari_finetune.inference.runtime import (
    DEFAULT_BACKEND,
    logits_function,
    model_device,
    resolve_backend,
    run_device,
)
from napari_finetune.inference.tiling import apply_tiled, check_tiling
from napari_finetune.inference.views import IDENTITY, View, averaged, views_for
from napari_finetune.models.model import SegmentationModel

TILE, OVERLAP = 512, 64
# Probabilities (classes x pixels) whose classes are picked at once: the band's
# temporary copies take at most 12 bytes per value (a class-last float32 copy and int64 picks).
LABEL_BAND_VALUES = 2**20


def as_planes(model: SegmentationModel, image: np.ndarray) -> tuple[np.ndarray, bool]:
    """Check ``image`` for ``model``; return planes ``(n, rows, cols, C)`` and if it was a stack.

    RGBA images are taken as RGB (alpha is display information, not signal). For
    a grey model a trailing channel axis of 1 (``(rows, cols, 1)`` or
    ``(planes, rows, cols, 1)``) is dropped.

    Raises
    ------
    ValueError
        For images under 16 px, NaN values, non-numeric data or a channel count
        the model lacks (said in those words, not as a shape puzzle): colour,
        a colour stack or 2 channels given to a grey model.
    """
    image = np.asarray(image)
    rgb = model.in_channels == 3
    # By kind: complex and timedelta count as numbers to NumPy, not to a microscope.
    if image.dtype.kind not in "biuf":
        raise ValueError(
            f"image dtype {image.dtype} is not numeric: give integers, floats or booleans."
        )
    # A last axis of 1 to 4 is channels (data.channel_axis): read as a stack, an (rows,
    # cols, C) image was refused as "rows x C px", a colour stack as "not 2D or 3D".
    channels = channel_count(image.shape)
    colour_axis = channels in (3, 4)
    if rgb:
        if not colour_axis:
            raise ValueError(
                f"the model was trained on RGB images and needs a last axis of 3 "
                f"(rows, cols, 3), but the image has shape {image.shape}."
            )
        image = image[..., :3]
    elif colour_axis:
        raise ValueError(
            f"the model was trained on grey images, but the image looks like colour "
            f"(shape {image.shape}, last axis {image.shape[-1]}): convert it to grey, or "
            "fine-tune on colour images to get an RGB model."
        )
    elif channels == 2:
        # Two microscope channels as often as grey + alpha: which one is signal is the user's call.
        raise ValueError(
            f"the image has 2 channels on its last axis (shape {image.shape}) but the model "
            "takes one grey channel: give one of them (for grey + alpha, the first)."
        )
    elif channels == 1:
        image = without_grey_axis(image)  # grey with its channel axis: a view, nothing copied
    spatial = image.ndim - (1 if rgb else 0)
    if spatial not in (2, 3):
        raise ValueError(
            f"image of shape {image.shape} is not a 2D image or a 3D stack "
            f"({'RGB' if rgb else 'grey'})."
        )
    rows, cols = image.shape[spatial - 2 : spatial]
    if spatial == 3 and image.shape[0] == 0:
        raise ValueError(f"the image stack of shape {image.shape} has no planes.")
    if min(rows, cols) < MIN_SIDE:
        raise ValueError(
            f"image is {rows} × {cols} px: the model needs at least {MIN_SIDE} px per side."
        )
    if not np.all(np.isfinite(image)):
        raise ValueError("image contains NaN or infinite values.")
    stack = spatial == 3
    planes = image if stack else image[None]
    if not rgb:
        planes = planes[..., None]
    return planes, stack


def as_batch(piece: np.ndarray) -> torch.Tensor:
    """A ``(h, w, C)`` array as a channels-last ``(1, C, h, w)`` tensor."""
    x = torch.from_numpy(np.ascontiguousarray(piece, dtype=np.float32)).permute(2, 0, 1)[None]
    return x.contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def predict_plane(
    model: SegmentationModel,
    image: np.ndarray,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str | None = None,
    device: str | torch.device | None = None,
    views: tuple[View, ...] = IDENTITY,
) -> np.ndarray:
    """Probabilities ``(K, rows, cols)`` of one normalised ``(rows, cols, C)`` plane.

    ``backend=None`` runs the model's own network as it is (put in evaluation
    mode), on its own device: training's validation calls this on small crops
    with weights that change every epoch, and its scores must not depend on
    the inference backend (see :mod:`~napari_finetune.inference.runtime` for
    the others, which run on ``device``, by default the model's). Each tile's
    probabilities are the mean over ``views`` (:mod:`~napari_finetune.inference.views`).
    """
    if backend is None:
        net = model.net.eval()
        where = model_device(model)

        def forward(x: torch.Tensor) -> torch.Tensor:
            return net(x.to(where)).float().cpu()

    else:
        forward = logits_function(model, backend, device)
    forward = averaged(forward, views)

    def per_tile(piece: np.ndarray) -> np.ndarray:
        return torch.softmax(forward(as_batch(piece)), dim=1)[0].numpy()

    return apply_tiled(image, per_tile, model.n_classes, tile, overlap, model.net.min_size)


def predict(
    model: SegmentationModel,
    image: np.ndarray,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str = DEFAULT_BACKEND,
    device: str | torch.device | None = None,
    average_views: bool = False,
) -> np.ndarray:
    """Class probabilities for an image of any size.

    Parameters
    ----------
    model : SegmentationModel
        A trained model (:func:`napari_finetune.load_model` or :func:`~napari_finetune.fit`).
    image : numpy.ndarray
        2D grey ``(rows, cols)``, RGB ``(rows, cols, 3)``, or a stack of either
        (``(planes, rows, cols[, 3])``, predicted plane by plane).
    tile, overlap : int
        Tile side and overlap in pixels; tiles are blended with smooth weights.
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network, BatchNorm folded in either case (within 1e-5 of
        the network as trained): ``'auto'`` is PyTorch, channels-last (see
        :mod:`napari_finetune.inference.runtime` for the measurements).
    device : str or torch.device, optional
        ``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:N'`` or ``'mps'``
        (:mod:`napari_finetune.models.device`); default: where the model's
        weights are. The model itself is not moved: a prepared copy runs there.
    average_views : bool
        Average the probabilities over the flipped and rotated views the
        model's training augmentation allowed (up to 8, that many times the
        time; :mod:`~napari_finetune.inference.views`); one view when its
        training recorded none.

    Returns
    -------
    numpy.ndarray
        float32 ``(K, rows, cols)`` (or ``(K, planes, rows, cols)`` for a stack),
        where channel k is the probability of class k + 1.

    Raises
    ------
    ValueError
        For images under 16 px, NaN values, a channel count the model lacks, a
        tile/overlap that cannot work, an unknown or missing backend, or a
        device this machine lacks.
    """
    tile, overlap = check_tiling(tile, overlap, 2 * model.net.min_size)
    backend = resolve_backend(backend)
    device = run_device(model, device, backend)
    planes, stack = as_planes(model, image)
    views = views_for(model, average_views)

    def one(plane: np.ndarray) -> np.ndarray:
        return predict_plane(
            model, model.normalization(plane), tile, overlap, backend, device, views
        )

    if not stack:
        return one(planes[0])
    # Filled plane by plane: a list of planes then np.stack held the result twice.
    out = np.empty((model.n_classes, *planes.shape[:3]), np.float32)
    for i, plane in enumerate(planes):
        out[:, i] = one(plane)
    return out


def labels_from_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """Most likely class per pixel, as painted values 1..K (uint8 when K < 256).

    Band by band of ``LABEL_BAND_VALUES`` probabilities: one ``argmax`` over the whole map made
    a copy of the probabilities with the class axis last and an int64 map (and
    ``+ 1`` a second), 16 bytes a pixel beyond the result for 2 classes.
    """
    dtype = np.uint8 if probabilities.shape[0] < 256 else np.int32
    labels = np.empty(probabilities.shape[1:], dtype)
    if labels.ndim < 2:
        labels[...] = np.argmax(probabilities, axis=0)
    else:
        band = max(1, LABEL_BAND_VALUES // max(1, labels.shape[-1] * probabilities.shape[0]))
        for plane in np.ndindex(labels.shape[:-2]):
            for y in range(0, labels.shape[-2], band):
                rows = (*plane, slice(y, y + band))
                labels[rows] = np.argmax(probabilities[(slice(None), *rows)], axis=0)
    labels += 1  # in place, in the output's own type
    return labels
