"""Where is the model unsure? A per-pixel uncertainty map, higher = less sure.

The methods:

- ``mc_dropout``: Monte-Carlo dropout. Only the decoder's dropout layers are
  switched on (BatchNorm stays in evaluation mode: training mode would change
  its statistics and the prediction); the encoder runs once per tile and only
  the stochastic decoder repeats. Map = entropy of the mean prediction.
- ``mutual_information`` (BALD): the same samples; entropy of the mean minus
  the mean entropy of each sample. Only the part of the uncertainty that more
  training could remove (the samples disagree); regions that are ambiguous in
  themselves (every sample says 50:50) score low.
- ``tta``: test-time augmentation over the flips and 90-degree rotations the
  model's own training allowed (the views averaged predictions use,
  :func:`~napari_finetune.inference.views.model_views`: a model trained under
  the ``ebsd`` or ``directional`` preset is never shown a view its physics
  forbids), or those of a ``preset`` given; each prediction is transformed back
  before averaging. Map = entropy of the mean prediction.
- ``entropy``: entropy of a single prediction.
- ``margin``: 1 - (top probability - second probability).

All maps lie in [0, 1] (entropies are divided by log K). A model with one
class is refused: it is sure of that class everywhere, so there is nothing to
map (and log 1 = 0). Each plane of a stack gets the same dropout masks as it
would alone: its map does not depend on where it sits in the stack. ``tta``, ``entropy``
and ``margin`` run the network on the inference backend
(:mod:`~napari_finetune.inference.runtime`); the two dropout methods need live
dropout masks and run on PyTorch's prepared network (BatchNorm folded).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from napari_finetune.augment import get_preset
from napari_finetune.inference.predict import OVERLAP, TILE, as_batch, as_planes
from napari_finetune.inference.runtime import (
    DEFAULT_BACKEND,
    inference_network,
    logits_function,
    resolve_backend,
    run_device,
)
from napari_finetune.inference.tiling import apply_tiled, check_tiling
from napari_finetune.inference.views import View, model_views
from napari_finetune.models.full_float32 import full_float32
from napari_finetune.models.model import SegmentationModel

METHODS = ("mc_dropout", "mutual_information", "tta", "entropy", "margin")
# Measured (benchmarks/bench_active_learning.py, AUROC for misclassified pixels on
# held-out images): entropy 0.846 / 0.803 (synthetic / isbi2012), mc_dropout
# 0.847 / 0.809, mutual_information 0.817 / 0.792, tta 0.862 / 0.815, at
# ~1x / 3x / 3x / 3x the cost. Entropy is the
# default: as good as MC dropout within 0.006 and the only one that keeps a
# 2048^2 map under 10 s on 2 CPU cores.
DEFAULT_METHOD = "entropy"
# The methods whose map comes from one plain prediction (it can come back with the map).
ONE_PREDICTION = ("entropy", "margin")

Flip = tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]


def normalized_entropy(probabilities: torch.Tensor) -> torch.Tensor:
    """Entropy over the class axis (dim 1) divided by log K: 0 sure, 1 clueless."""
    k = probabilities.shape[1]
    p = probabilities.clamp_min(1e-8)
    return -(p * p.log()).sum(dim=1) / math.log(k)


def dihedral_transforms(preset: str) -> list[Flip]:
    """(forward, inverse) pairs: identity plus the flips and rotations ``preset`` allows.

    Each flip and turn alone, not the group they make (which
    :func:`~napari_finetune.inference.views.symmetry_views` gives predictions).
    """
    allowed = get_preset(preset)
    views = [View()]
    if allowed.allows("HorizontalFlip"):
        views.append(View(0, mirrored=True))
    if allowed.allows("VerticalFlip"):
        views.append(View(2, mirrored=True))  # a top-bottom mirror: left-right, half turn
    if allowed.allows("RandomRotate90"):
        views += [View(k) for k in (1, 2, 3)]
    return [(view.there, view.back) for view in views]


def _tta_transforms(model: SegmentationModel, preset: str | None) -> list[Flip]:
    if preset is not None:
        return dihedral_transforms(preset)
    return [(view.there, view.back) for view in model_views(model)]


def _dropout_only(net: nn.Module) -> list[nn.Module]:
    """Evaluation mode everywhere except the dropout layers; returns them."""
    net.eval()
    dropouts = [m for m in net.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    for module in dropouts:
        module.train()
    return dropouts


def uncertainty(
    model: SegmentationModel,
    image: np.ndarray,
    method: str = DEFAULT_METHOD,
    samples: int = 8,
    preset: str | None = None,
    seed: int = 0,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str = DEFAULT_BACKEND,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Per-pixel uncertainty of ``model`` on ``image``; higher = less sure.

    :func:`uncertainty_and_prediction` gives the prediction of the same pass too.

    Parameters
    ----------
    model : SegmentationModel
        A trained model.
    image : numpy.ndarray
        2D grey, RGB, or a stack of either (as for :func:`napari_finetune.predict`).
    method : {'mc_dropout', 'mutual_information', 'tta', 'entropy', 'margin'}
        See the module description; ``'entropy'`` is the default (see
        ``DEFAULT_METHOD`` for the measurements behind the choice).
    samples : int
        Monte-Carlo samples (``mc_dropout`` and ``mutual_information``).
    preset : str, optional
        Modality preset whose legal flips/rotations ``tta`` uses instead of the
        views the model's recorded training augmentation allows (the default:
        one view, i.e. plain entropy, for a model that records none).
    seed : int
        Seed of the dropout masks (the global torch RNG is left untouched).
    tile, overlap : int
        Tiling, as in prediction.
    backend : {'auto', 'onnxruntime', 'torch'}
        What runs the network, as in :func:`napari_finetune.predict` (the
        dropout methods always use PyTorch).
    device : str or torch.device, optional
        Where the network runs, as in :func:`napari_finetune.predict`
        (default: where the model's weights are).

    Returns
    -------
    numpy.ndarray
        float32 ``(rows, cols)`` in [0, 1] (``(planes, rows, cols)`` for a stack).

    Raises
    ------
    ValueError
        For an unknown method, a bad sample count or tiling, an image the model
        cannot take, or a model with fewer than 2 classes.
    """
    return _maps(model, image, method, samples, preset, seed, tile, overlap, backend, device)[0]


def uncertainty_and_prediction(
    model: SegmentationModel, image: np.ndarray, method: str = DEFAULT_METHOD, **options: object
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`uncertainty`, and for a method of one plain prediction that prediction.

    The suggested boxes that seek a rare class need the prediction beside the
    map (:mod:`~napari_finetune.inference.thin_class_emphasis`); for
    ``'entropy'`` (the default) and ``'margin'`` the pass that makes the map
    already has it, so the image is not run through the network twice.

    Parameters
    ----------
    model, image, method
        As for :func:`uncertainty`.
    **options
        :func:`uncertainty`'s other arguments (``samples``, ``preset``, ``seed``,
        ``tile``, ``overlap``, ``backend``, ``device``).

    Returns
    -------
    tuple
        ``(map, probabilities)``: the map :func:`uncertainty` gives, and the
        float32 ``(classes, rows, cols)`` (``(classes, planes, rows, cols)``
        for a stack) that :func:`napari_finetune.predict` gives with the same
        tiling, backend and device; None for the methods that average several
        predictions (``'mc_dropout'``, ``'mutual_information'``, ``'tta'``).
    """
    return _maps(model, image, method, keep_prediction=True, **options)


def _maps(
    model: SegmentationModel,
    image: np.ndarray,
    method: str = DEFAULT_METHOD,
    samples: int = 8,
    preset: str | None = None,
    seed: int = 0,
    tile: int = TILE,
    overlap: int = OVERLAP,
    backend: str = DEFAULT_BACKEND,
    device: str | torch.device | None = None,
    keep_prediction: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The map, and the prediction when kept and the method makes one plain prediction."""
    if method not in METHODS:
        raise ValueError(f"method={method!r} is unknown: choose one of {', '.join(METHODS)}.")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples={samples!r} must be a whole number of at least 1.")
    if model.n_classes < 2:
        # Entropy / log(1) was NaN everywhere and the margin's top-2 crashed.
        raise ValueError(
            f"the model has {model.n_classes} class: a one-class model is sure of it "
            "everywhere, so there is no uncertainty to map. Fine-tune with at least 2 classes."
        )
    tile, overlap = check_tiling(tile, overlap, 2 * model.net.min_size)
    if preset is not None:
        get_preset(preset)  # checked for every method: a typo is an error even where unused
    backend = resolve_backend(backend)
    dropout = method in ("mc_dropout", "mutual_information")
    device = run_device(model, device, "torch" if dropout else backend)
    planes, stack = as_planes(model, image)
    # Dropout needs PyTorch; a private prepared copy, so its dropout mode is seen by no one else.
    net = inference_network(model, device) if dropout else None
    forward = None if dropout else logits_function(model, backend, device)
    transforms = _tta_transforms(model, preset) if method == "tta" else []
    kept = keep_prediction and method in ONE_PREDICTION

    @torch.inference_mode()
    def per_tile(piece: np.ndarray) -> np.ndarray:
        x = as_batch(piece)
        if dropout:
            with full_float32(device):  # no TF32 (the masks are the device's own draws)
                skips = net.encode(x.to(device))  # deterministic: once
                draws = [torch.softmax(net.decode(skips).float(), 1) for _ in range(samples)]
            total = normalized_entropy(sum(draws) / samples)
            if method == "mc_dropout":
                return total.cpu().numpy()
            expected = sum(normalized_entropy(d) for d in draws) / samples
            return (total - expected).clamp_min(0).cpu().numpy()
        if method == "tta":
            mean = sum(
                inverse(torch.softmax(forward(there(x)), 1)) for there, inverse in transforms
            ) / len(transforms)
            return normalized_entropy(mean).numpy()
        probabilities = torch.softmax(forward(x), 1)
        if method == "entropy":
            unsure = normalized_entropy(probabilities)
        else:
            top = probabilities.topk(2, dim=1).values
            unsure = 1 - (top[:, 0] - top[:, 1])
        if kept:  # the map as channel 0, the prediction after it: blended alike
            return torch.cat([unsure, probabilities[0]]).numpy()
        return unsure.numpy()

    channels = 1 + model.n_classes if kept else 1
    # A stack is filled plane by plane (a list of maps then np.stack held every map
    # twice); one image's map and prediction are views of the blended tiles, no copy.
    maps = predicted = None
    if stack:
        maps = np.empty(planes.shape[:3], np.float32)
        predicted = np.empty((model.n_classes, *planes.shape[:3]), np.float32) if kept else None
    with torch.random.fork_rng():
        if dropout:
            _dropout_only(net)
        multiple = model.net.min_size
        for i, plane in enumerate(planes):
            # Seeded per plane: seeded once, a plane's masks depended on the planes before it.
            torch.manual_seed(seed)
            tiled = apply_tiled(
                model.normalization(plane), per_tile, channels, tile, overlap, multiple
            )
            if not stack:
                return tiled[0], tiled[1:] if kept else None
            maps[i] = tiled[0]
            if kept:
                predicted[:, i] = tiled[1:]
    return maps, predicted
