"""Before and after fine-tuning: one stage's feature maps of the start model and of the result.

Fine-tuning on a few painted strokes mostly re-weights what the pretrained
network already computes; seeing the same stage of both side by side shows
where it changed. The start model is found from the fine-tuned model's own
training record (:mod:`~napari_finetune.training.provenance`): its first run
names the model it started from and the hash of its weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from napari_finetune.inference.feature_maps import (
    TILE,
    FeatureMaps,
    FeatureProgress,
    iter_feature_maps,
    run_steps,
)
from napari_finetune.inference.network_stages import Stage, resolve_stage
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import REGISTRY, load_model


def _loadable(name: str) -> bool:
    if name in REGISTRY:
        return True
    try:
        return bool(name) and Path(name).is_file()
    except OSError:  # a name no file system accepts
        return False


def start_model_of(model: SegmentationModel) -> tuple[SegmentationModel | None, str]:
    """The model ``model`` was first fine-tuned from, loaded again, and a line saying so.

    Returns
    -------
    tuple
        ``(start, words)``: the start model (only when a shipped model or an
        existing checkpoint file of that name has the very weights recorded),
        else None, with the reason in ``words``.
    """
    runs = [
        r for r in model.provenance if isinstance(r, dict) and isinstance(r.get("start"), dict)
    ]
    if not runs:
        return None, (
            "the model has no training record: fine-tune it first, so that its "
            "pretrained start is known."
        )
    start = runs[0]["start"]
    if start.get("kind") == "scratch":
        return None, "the model was trained from scratch: there is no pretrained model to compare."
    name, digest = str(start.get("name", "")), start.get("sha256")
    if _loadable(name):
        try:
            candidate = load_model(name)
        except (ValueError, OSError):
            candidate = None
        if candidate is not None and (
            digest is None or tensor_digest(candidate.net.state_dict()) == digest
        ):
            return candidate, f"pretrained start: {name}"
    return None, (
        f"the model started from '{name}', which is not available here with the weights "
        "it started from."
    )


def adapted_start(before: SegmentationModel, after: SegmentationModel) -> SegmentationModel:
    """``before`` with its input channels as ``after`` has them: what training started from.

    Fine-tuning a grey shipped model on colour images adapts a copy of its first
    convolution to three channels (:meth:`~napari_finetune.models.unet.UNet.adapt_input_channels`);
    the start reloaded by :func:`start_model_of` is grey again, so it is adapted the
    same way here. ``before`` itself is never changed.
    """
    if before.in_channels == after.in_channels:
        return before
    adapted = before.copy()
    adapted.net.adapt_input_channels(after.in_channels)
    return adapted


def iter_before_after(
    before: SegmentationModel,
    after: SegmentationModel,
    image: np.ndarray,
    stage: int | str | Stage,
    *,
    tile: int = TILE,
    device: str | torch.device | None = None,
    plane: int | None = None,
) -> Iterator[FeatureProgress]:
    """One stage's maps of two models on one plane: yields progress, returns ``(before, after)``.

    A grey ``before`` of a colour ``after`` is compared as fine-tuning started
    it: a copy with its input adapted to three channels, as training adapts it
    (:func:`adapted_start`).

    Raises
    ------
    ValueError
        When the stage is out of range for either model, or the two models'
        stage differs in its number of channels (they are not one architecture).
    """
    before = adapted_start(before, after)
    first, second = resolve_stage(before, stage), resolve_stage(after, stage)
    if first != second:
        raise ValueError(
            f"the two models differ at {first.name} ({first.channels} and "
            f"{second.channels} channels): they are not the same architecture."
        )
    results = []
    for k, model in enumerate((before, after)):
        steps = iter_feature_maps(model, image, first, tile=tile, device=device, plane=plane)
        while True:
            try:
                done = next(steps)
            except StopIteration as finished:
                results.append(finished.value)
                break
            yield FeatureProgress(k * done.total + done.done, 2 * done.total)
    return tuple(results)


def before_after(
    before: SegmentationModel,
    after: SegmentationModel,
    image: np.ndarray,
    stage: int | str | Stage,
    *,
    tile: int = TILE,
    device: str | torch.device | None = None,
    plane: int | None = None,
) -> tuple[FeatureMaps, FeatureMaps]:
    """The same stage's feature maps of a pretrained and a fine-tuned model.

    Parameters
    ----------
    before, after : SegmentationModel
        The start model (:func:`start_model_of`) and the fine-tuned one.
    image, stage, tile, device, plane
        As for :func:`~napari_finetune.inference.feature_maps.feature_maps`.

    Returns
    -------
    tuple of FeatureMaps
        ``(before, after)``, raw activations; give both to
        :func:`~napari_finetune.inference.feature_maps.channel_contrast`
        together to show them on one scale per channel.
    """
    steps = iter_before_after(before, after, image, stage, tile=tile, device=device, plane=plane)
    return run_steps(steps)
