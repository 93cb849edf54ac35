"""The *Feature maps* dock's jobs, run in a worker, and how their errors are named.

``read`` reads the image plane there (a lazy one is decompressed there, not in
the GUI thread). A failure of the model (no training record, a broken
checkpoint) is a :class:`ModelError`, so the dock names the model in its
message, not the image layer.
"""

from __future__ import annotations

from collections.abc import Callable

from napari_finetune.inference.feature_compare import iter_before_after, start_model_of
from napari_finetune.inference.feature_maps import channel_contrast, iter_feature_maps
from napari_finetune.inference.learned_kernels import first_layer_kernels
from napari_finetune.models.model import SegmentationModel


class ModelError(ValueError):
    """The chosen model could not be loaded or compared: named after the model."""


def load_named(load: Callable[[], SegmentationModel]) -> SegmentationModel:
    """The model ``load`` returns; its refusal (a broken file) as a :class:`ModelError`."""
    try:
        return load()
    except (ValueError, OSError) as err:
        raise ModelError(str(err)) from err


def where_of(err: BaseException, layer: object = None, model: str | None = None) -> str:
    """What an error message starts with: the model for a model error, else the layer."""
    if isinstance(err, ModelError) and model:
        # The labels read 'model file x.ckpt' and "the Fine-tune dock's model" already.
        return f"{model}: " if model.startswith(("model ", "the ")) else f"model '{model}': "
    return f"layer '{layer.name}': " if layer is not None else ""


def maps_job(load, read, stage):  # generator functions: napari GeneratorWorkers
    """The stage's maps of the model on the plane, and their display."""
    model = load_named(load)
    result = yield from iter_feature_maps(model, read(), stage)
    return model, (result,), channel_contrast(result.maps)


def compare_job(load, read, stage):
    """The stage's maps of the model's pretrained start and of the model."""
    after = load_named(load)
    before, why = start_model_of(after)
    if before is None:
        raise ModelError(why)
    pair = yield from iter_before_after(before, after, read(), stage)
    return after, pair, channel_contrast(*(maps.maps for maps in pair))


def kernels_job(load):
    """The model's first-layer kernels."""
    model = load_named(load)
    return model, first_layer_kernels(model)
