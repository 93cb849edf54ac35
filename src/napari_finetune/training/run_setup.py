"""A fine-tuning run's set-up: painted data, model, BatchNorm, objectives, optimiser.

:func:`set_up_run` is the part of :func:`~napari_finetune.training.engine.finetune`
before the first step. It is a generator of :class:`Preparing` events (on a busy
2-core machine the set-up took seconds) that returns a :class:`RunSetup`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import (
    PaintedPairs,
    PaintedPlane,
    collect_painted,
    held_out_planes,
)
from napari_finetune.data.patches import PatchSampler
from napari_finetune.data.split import Split, given_split, split_validation
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.unet import UNet
from napari_finetune.training import strategies as st
from napari_finetune.training.arguments import check_training_arguments, default_patch_size
from napari_finetune.training.class_contact import (
    AUTO,
    NEW_HEAD_NOTICE,
    STROKES_NOTICE,
    UNLABELLED_UNUSED,
    check_semi_supervised,
    plan_pseudo_labels,
)
from napari_finetune.training.domain import learned_the_wider_world
from napari_finetune.training.events import Preparing
from napari_finetune.training.objectives import RunObjectives, run_objectives, unlabelled_planes
from napari_finetune.training.provenance import describe_start
from napari_finetune.training.start import adabn_batches, resolve_model, resolve_pipeline
from napari_finetune.training.thin_classes import thin_class_notice


@dataclass
class RunSetup:
    """Everything a run's steps work with (see :func:`set_up_run`)."""

    painted: PaintedPairs  # the checked painted planes, raw
    start: dict  # what the run starts from, for provenance
    trained: SegmentationModel  # the model being trained (a copy of the start)
    planes: list[PaintedPlane]  # normalised the way the trained model normalises
    pipeline: AugmentationPipeline | None
    split: Split  # training and held-out painted pixels
    sampler: PatchSampler
    net: UNet  # trained.net, on the training device
    objectives: RunObjectives
    optimizer: torch.optim.Optimizer
    base_lrs: dict[str, float]
    frozen: set[str]  # parameter groups frozen at the start
    semi_supervised: bool = False  # as the run learns ('auto' decided from the painting)


def set_up_run(
    images: object,
    labels: object,
    model: object,
    *,
    strategy: str,
    bn_mode: str,
    arguments: dict,
    augmentation: AugmentationPipeline | str | None,
    seed: int,
    device: torch.device,
    held_out: object,
    adaptation: str,
    semi_supervised: bool | str,
    unlabelled: object,
    class_names: dict[int, str] | None = None,
) -> Generator[Preparing, None, RunSetup]:
    """Check and prepare a run; yields :class:`Preparing` events, returns a :class:`RunSetup`.

    Takes :func:`~napari_finetune.training.engine.finetune`'s arguments (those
    checked already: ``bn_mode`` resolved, ``device`` a ``torch.device``,
    ``arguments`` the numeric options; a ``patch_size`` of None is set there to
    the side chosen for the network; ``semi_supervised='auto'`` is decided from
    the painting and the head, :func:`~napari_finetune.training.class_contact.plan_pseudo_labels`).
    Bad input raises ``ValueError`` before the first event.
    """
    check_semi_supervised(semi_supervised)  # before the start model is loaded
    rng = np.random.default_rng(seed)
    painted = collect_painted(images, labels)
    auto = semi_supervised == AUTO
    held = None if held_out is None else held_out_planes(painted, held_out)
    start = describe_start(model, strategy)
    trained, head_kept = resolve_model(
        model, strategy, painted.channels, painted.painted_classes, class_names
    )
    semi_supervised, strokes, new_head = plan_pseudo_labels(
        semi_supervised, [p.labels for p in painted.planes], head_kept
    )
    # Deeper networks pool more: the bottleneck must keep more than one pixel.
    min_patch = 2 * trained.net.min_size
    if arguments["patch_size"] is None:  # the caller's dict: the run records the side chosen
        arguments["patch_size"] = default_patch_size(min_patch)
    check_training_arguments(**arguments, min_patch=min_patch)
    extra_planes = unlabelled_planes(
        unlabelled if semi_supervised else None, painted.channels, trained.normalization, seed
    )
    yield Preparing(f"normalising {len(painted.planes)} painted plane(s)", 0.0)
    # Normalised once, the way the model being trained normalises.
    planes = painted.normalized(trained.normalization)
    pipeline = resolve_pipeline(augmentation)
    if held is None:
        split = split_validation(planes, arguments["validation_fraction"], seed)
    else:
        split = given_split(planes, held)
    sampler = PatchSampler(planes, split.train, arguments["patch_size"], pipeline, seed)

    net = trained.net.to(device, memory_format=torch.channels_last)
    if bn_mode == "adabn":
        yield Preparing("adapting BatchNorm to your images", 0.3)
        crops = adabn_batches(planes, rng, trained.net.min_size)
        st.adapt_batchnorm(net, [b.to(device) for b in crops])
    yield Preparing("setting up the optimiser", 0.8)
    objectives = run_objectives(
        net,
        adaptation=adaptation,
        semi_supervised=semi_supervised,
        planes=planes,
        unlabelled=extra_planes,
        normalization=trained.normalization,
        channels=painted.channels,
        pipeline=pipeline,
        patch_size=arguments["patch_size"],
        seed=seed,
        pretrained=strategy != "scratch",
        keeps_start=strokes and head_kept,
        source_world=learned_the_wider_world(trained.history),
    )
    if auto and objectives.teacher is not None:  # said, as it was not asked for
        yield Preparing(STROKES_NOTICE, 0.8)
    elif new_head:
        yield Preparing(NEW_HEAD_NOTICE, 0.8)
    elif auto and not semi_supervised and unlabelled is not None:
        yield Preparing(UNLABELLED_UNUSED, 0.8)
    for notice in objectives.notices:
        yield Preparing(notice, 0.8)
    named = class_names or {}  # the user's: a start model's own classes may be known already
    labels = [p.labels for p in painted.planes]
    if thin := thin_class_notice(labels, trained.classes | named, named):
        yield Preparing(thin, 0.8)  # what more paint would teach; no weighting makes up for it
    optimizer, base_lrs = st.optimizer_for(net, strategy)
    objectives.attach(optimizer, base_lrs, device)
    frozen = st.initially_frozen(net, strategy)
    st.set_trainable(net, frozen)
    st.batchnorm_train_mode(net, bn_mode, frozen)
    return RunSetup(
        painted,
        start,
        trained,
        planes,
        pipeline,
        split,
        sampler,
        net,
        objectives,
        optimizer,
        base_lrs,
        frozen,
        semi_supervised and objectives.teacher is not None,
    )
