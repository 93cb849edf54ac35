"""What a training run starts from: the model, the augmentation pipeline, BatchNorm batches."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import PaintedPlane, check_class_ids
from napari_finetune.inference.tiling import pad_to_multiple
from napari_finetune.models.class_names import name_classes
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL, load_model
from napari_finetune.training.class_contact import new_head

# AdaBN statistics come from this many random crops of this side.
ADABN_CROPS, ADABN_SIZE = 16, 256
ADABN_MIN = 32


def resolve_model(
    model: SegmentationModel | str | Path | None,
    strategy: str,
    channels: int,
    painted_classes: set[int] | frozenset[int],
    class_names: Mapping[int, str] | None = None,
) -> tuple[SegmentationModel, bool]:
    """The model a run trains, and whether its output head is the start model's own.

    The model is a fresh one, or a copy of the start model fitted to the data.

    ``strategy='scratch'`` makes a new network (keeping a given model's
    normalisation); otherwise the start model (None: :data:`DEFAULT_MODEL`) is
    copied or loaded, its input adapted to ``channels`` and its head to the
    largest painted class. The caller's model object is never changed. The
    head is new (False) from scratch and when the class count changed: it
    knows nothing of the classes yet (the mean teacher must learn fast then).
    ``class_names`` name the classes; classes without a given name keep the
    start model's (:func:`~napari_finetune.models.class_names.name_classes`).

    Raises
    ------
    ValueError
        If the painted classes skip a value that neither the painting nor the
        start model has (see :func:`~napari_finetune.data.painted.check_class_ids`).
    """
    n_classes = max(painted_classes)
    if strategy == "scratch":
        check_class_ids(painted_classes)
        template = model if isinstance(model, SegmentationModel) else None
        fresh = SegmentationModel.create(channels, n_classes)
        if template is not None:
            fresh.normalization = template.normalization
        # The start chosen names the classes here too (what the dock's empty field says).
        start_names = template.classes if template is not None else fresh.classes
        fresh.classes = name_classes(start_names, n_classes, class_names)
        return fresh, False
    if model is None:
        model = DEFAULT_MODEL
    resolved = model.copy() if isinstance(model, SegmentationModel) else load_model(model)
    check_class_ids(painted_classes, set(resolved.classes))
    resolved.net.adapt_input_channels(channels)
    head_kept = not new_head(resolved.n_classes, n_classes)
    if not head_kept:
        # A class the start model knows and the painting skips (1 and 3 painted on a
        # model of 1 and 2) keeps its row of the head: fresh, it would only be unlearned.
        known = range(1, min(n_classes, resolved.n_classes) + 1)
        resolved.net.replace_head(
            n_classes, keep_known=any(k not in painted_classes for k in known)
        )
    resolved.classes = name_classes(resolved.classes, n_classes, class_names)
    return resolved, head_kept


def resolve_pipeline(
    augmentation: AugmentationPipeline | str | None,
) -> AugmentationPipeline | None:
    """A pipeline from a pipeline, a preset name, a YAML file, or None (no augmentation)."""
    if augmentation is None or isinstance(augmentation, AugmentationPipeline):
        return augmentation
    path = Path(augmentation)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ValueError(f"augmentation pipeline {path} does not exist.")
        return AugmentationPipeline.load(path)
    return AugmentationPipeline.from_preset(augmentation)


def adabn_batches(
    planes: list[PaintedPlane], rng: np.random.Generator, multiple: int = 1
) -> list[torch.Tensor]:
    """Random crops of all the user's images (painted or not): their statistics.

    Crops of images under 256 px are mirrored out to sides that are multiples
    of ``multiple`` (the network's ``min_size``), as prediction's tiles are
    (:func:`~napari_finetune.inference.tiling.pad_to_multiple`): on other
    sides the decoder's statistics would come from stretched features.
    """
    batches = []
    for k in range(ADABN_CROPS):
        image = planes[k % len(planes)].image
        rows, cols = image.shape[:2]
        # Each side on its own: a square crop of a 16 x 4096 strip would be
        # 16 x 16, one value per channel at the bottleneck, which BatchNorm refuses.
        height, width = min(ADABN_SIZE, rows), min(ADABN_SIZE, cols)
        y = int(rng.integers(0, rows - height + 1))
        x = int(rng.integers(0, cols - width + 1))
        crop = np.ascontiguousarray(image[y : y + height, x : x + width])
        # Under 32 px both ways the bottleneck would hold one value per channel,
        # which BatchNorm refuses: mirror the crop out to 32 px.
        short = [(0, max(0, ADABN_MIN - n)) for n in crop.shape[:2]]
        if any(after for _, after in short):
            crop = np.pad(crop, [*short, (0, 0)], mode="symmetric")
        crop = pad_to_multiple(crop, multiple)
        batches.append(torch.from_numpy(crop).permute(2, 0, 1)[None])
    return batches


def device_of(model: SegmentationModel) -> str:
    """Where the model's weights live (``'cpu'``, ``'cuda:0'``, ...)."""
    return str(next(model.net.parameters()).device)
