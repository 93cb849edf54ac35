"""Pretraining on task A: abundant synthetic Voronoi grains with exact labels.

An endless stream of freshly generated micrographs with randomised, physically
plausible parameters (both morphologies, any growth direction, SEM and
target-domain renderings, dark grooves and bright edges, doses from noisy to
clean), fully labelled 1 = grain interior, 2 = boundary. The network learns
what a grain boundary is, not one rendering of it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from napari_finetune.choices import (
    PRETRAIN_TASK,
    REGIONS_PRETRAIN_TASK,
    WORLD_PRETRAIN_TASK,
    pretrained_name,
)
from napari_finetune.choices import WORLD_MODEL as WORLD_MODEL
from napari_finetune.choices import WORLD_REGIONS_MODEL as WORLD_REGIONS_MODEL
from napari_finetune.data.normalize import Normalization
from napari_finetune.inference.metrics import boundary_f1
from napari_finetune.inference.predict import labels_from_probabilities, predict
from napari_finetune.models.device import DEFAULT_DEVICE, resolve_device, training_autocast_dtype
from napari_finetune.models.model import SegmentationModel
from napari_finetune.synth import GrainSample, TargetDomain, voronoi_grains
from napari_finetune.training.pretrain_workers import (
    SeededBatchStream,
    default_data_workers,
    loader_batches,
)
from napari_finetune.training.step import train_step

IMAGE_SIDE = 256
PATCHES_PER_SAMPLE = 2
# The wider world (issue 20): Voronoi grains keep this share of the draws; the
# rest goes evenly to these grey kinds of napari_finetune.synth.world.
WORLD_SHARE = 0.4
WORLD_GREY_KINDS = ("twins", "second_phases", "em_membranes")
# The multi-class variant (WORLD_REGIONS_MODEL): second phases' regions are classes
# of their own beside interior and boundary (a precipitate's rim is its region).
REGION_CLASSES = {1: "interior", 2: "boundary", 3: "precipitate", 4: "lamellar colony"}


def random_sample(rng: np.random.Generator, side: int = IMAGE_SIDE) -> GrainSample:
    """One synthetic micrograph with randomly drawn, plausible parameters."""
    elongated = rng.random() < 0.4
    diameter = float(rng.uniform(18, 70))
    elongation = float(rng.uniform(1.5, 4.0)) if elongated else None
    minor = diameter / math.sqrt(elongation or 1.0)
    width = int(rng.integers(1, max(2, min(5, int(minor / 4)))))
    domain = None
    if rng.random() < 0.4:
        domain = TargetDomain(
            scan_jitter_px=float(rng.uniform(0, 1.5)),
            vignetting=float(rng.uniform(0, 0.5)),
            drift=float(rng.uniform(0, 0.25)),
        )
    bright_edges = rng.random() < 0.2
    return voronoi_grains(
        (side, side),
        mean_diameter=diameter,
        size_spread=float(rng.uniform(0, 0.6)),
        boundary_width=width,
        morphology="elongated" if elongated else "equiaxed",
        elongation=elongation,
        direction=float(rng.uniform(-180, 180)),
        contrast=float(rng.uniform(0.05, 0.7)),
        boundary_contrast=float(rng.uniform(0.15, 0.6)) * (-1 if bright_edges else 1),
        dose=None if rng.random() < 0.1 else float(rng.uniform(5, 200)),
        blur=float(rng.uniform(0.3, 2.0)),
        target_domain=domain or False,
        seed=int(rng.integers(2**31)),
    )


def world_mixture_sample(
    rng: np.random.Generator, side: int = IMAGE_SIDE, regions: bool = False
) -> tuple:
    """``(image, classes)`` from the wider synthetic world, grey kinds only.

    :data:`WORLD_SHARE` of the draws are today's Voronoi grains
    (:func:`random_sample`: both morphologies, SEM and target-domain
    renderings); the rest is split evenly between twinned grains, second phases
    and EM membranes (:func:`napari_finetune.synth.world_sample`). The colour
    kinds (tint etching, EBSD IPF) need an RGB model and are left out here.
    ``regions`` labels :data:`REGION_CLASSES`: second phases' precipitates and
    lamellar colonies become classes 3 and 4 (grain boundaries stay 2).
    """
    from napari_finetune.synth import world_sample

    if rng.random() < WORLD_SHARE:
        sample = random_sample(rng, side)
        return sample.image, sample.classes
    kind = WORLD_GREY_KINDS[int(rng.integers(len(WORLD_GREY_KINDS)))]
    sample = world_sample(kind, rng, (side, side))
    if not regions or sample.regions is None:
        return sample.image, sample.classes
    classes = sample.classes.copy()
    # Region classes 2 (precipitate) and 3 (colony) -> 3 and 4, off the boundaries.
    inside = (sample.regions > 1) & (classes != 2)
    classes[inside] = sample.regions[inside] + 1
    return sample.image, classes


def _voronoi_sample(rng: np.random.Generator) -> tuple:
    sample = random_sample(rng)
    return sample.image, sample.classes


def synthetic_batches(
    batch_size: int,
    patch_size: int,
    normalization: Normalization,
    seed: int | np.random.SeedSequence,
    world: bool = False,
    regions: bool = False,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless batches of fully labelled patches, each from a fresh sample.

    ``world`` draws from :func:`world_mixture_sample` instead of Voronoi grains
    only; ``regions`` (with ``world``) labels its :data:`REGION_CLASSES`.
    """
    rng = np.random.default_rng(seed)
    draw = partial(world_mixture_sample, regions=regions) if world else _voronoi_sample
    while True:
        images, targets = [], []
        for index in range(batch_size):
            # Two patches per generated image: halves the generation cost.
            if index % PATCHES_PER_SAMPLE == 0:
                picture, classes = draw(rng)
            y, x = rng.integers(0, IMAGE_SIDE - patch_size + 1, 2)
            image = normalization(picture[y : y + patch_size, x : x + patch_size, None])
            target = classes[y : y + patch_size, x : x + patch_size].astype(np.int64) - 1
            k = int(rng.integers(4))  # rotations and flips: cheap extra variety
            image, target = np.rot90(image, k), np.rot90(target, k)
            if rng.random() < 0.5:
                image, target = image[:, ::-1], target[:, ::-1]
            images.append(np.ascontiguousarray(image))
            targets.append(np.ascontiguousarray(target))
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
        yield x.contiguous(memory_format=torch.channels_last), torch.from_numpy(np.stack(targets))


@dataclass(frozen=True)
class PretrainProgress:
    """One pretraining step."""

    step: int
    loss: float
    elapsed: float
    lr: float


def _task(world: bool, regions: bool) -> str:
    if regions:
        return REGIONS_PRETRAIN_TASK
    return WORLD_PRETRAIN_TASK if world else PRETRAIN_TASK


def evaluate_on_fresh_samples(
    model: SegmentationModel, n: int = 8, side: int = 384, seed: int = 12345
) -> dict[str, float]:
    """Mean boundary F1 (2 px tolerance) on ``n`` fresh random samples per domain."""
    rng = np.random.default_rng(seed)
    scores: dict[str, list[float]] = {"all": []}
    for _ in range(n):
        sample = random_sample(rng, side)
        predicted = labels_from_probabilities(predict(model, sample.image)) == 2
        f1 = boundary_f1(predicted, sample.boundaries == 1).f1
        domain = "target" if sample.params.target_domain else "sem"
        scores.setdefault(domain, []).append(f1)
        scores["all"].append(f1)
    return {k: float(np.mean(v)) for k, v in scores.items()}


def pretrain(
    minutes: float = 20.0,
    batch_size: int = 8,
    patch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    device: str | torch.device | None = DEFAULT_DEVICE,
    world: bool = False,
    regions: bool = False,
    workers: int | None = None,
) -> Iterator[PretrainProgress | SegmentationModel]:
    """Train a U-Net on synthetic grains for ``minutes``; yields progress, then the model.

    The learning rate follows a one-cycle schedule over the time budget. The
    network trains on ``device`` (see :mod:`napari_finetune.models.device`;
    bfloat16 autocast on CUDA GPUs that have it) while the CPU renders the
    synthetic samples; the model comes back on the CPU, ready to be saved.
    ``world`` pretrains on the wider synthetic world (:func:`world_mixture_sample`:
    twins, second phases and EM membranes beside the Voronoi grains) and names
    the model :data:`WORLD_MODEL` (else ``voronoi-unet``); ``regions`` (with
    ``world``) makes the multi-class variant :data:`WORLD_REGIONS_MODEL`, with the four
    :data:`REGION_CLASSES`. ``workers`` processes render the samples
    (:mod:`~napari_finetune.training.pretrain_workers`; None: one per core but
    two beside a GPU, none on the CPU; 0: the training process itself).

    Raises
    ------
    ValueError
        If ``regions`` is asked without ``world`` (Voronoi grains have no phases),
        ``minutes`` that are not a positive number (the schedule runs over them),
        a ``batch_size`` below 1 or a negative ``workers``.
    """
    if not (math.isfinite(minutes) and minutes > 0):
        raise ValueError(f"minutes must be a positive number, not {minutes}.")
    if regions and not world:
        raise ValueError("regions=True needs world=True: only the wider world has phases.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be 1 or more, not {batch_size}.")
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be 0 or more, not {workers}.")
    device = resolve_device(device)
    workers = default_data_workers(device) if workers is None else workers
    autocast_dtype = training_autocast_dtype(device)
    torch.manual_seed(seed)
    model = SegmentationModel.create(in_channels=1, n_classes=4 if regions else 2)
    model.name = pretrained_name(world, regions)
    if regions:
        model.classes = dict(REGION_CLASSES)
    net = model.net.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    net.train()
    budget = minutes * 60
    started = time.perf_counter()
    losses: list[float] = []
    render = partial(
        synthetic_batches,
        batch_size,
        patch_size,
        model.normalization,
        world=world,
        regions=regions,
    )
    batches = loader_batches(SeededBatchStream(render, seed), workers, device)
    for step, (x, y) in enumerate(batches, start=1):
        progress = (time.perf_counter() - started) / budget
        if progress >= 1:
            break
        warm = 0.1
        factor = (
            0.04 + 0.96 * progress / warm
            if progress < warm
            else 0.5 * (1 + math.cos(math.pi * (progress - warm) / (1 - warm))) + 1e-3
        )
        for group in optimizer.param_groups:
            group["lr"] = lr * factor
        losses.append(train_step(net, optimizer, x, y, device, autocast_dtype))
        if step % 50 == 0:
            model.history.append(
                {
                    "run": 0,
                    "step": step,
                    "train_loss": float(np.mean(losses[-50:])),
                    "elapsed": round(time.perf_counter() - started, 1),
                    "task": _task(world, regions),
                    "device": device.type,
                    "batch_size": batch_size,
                    "data_workers": workers,
                }
            )
        yield PretrainProgress(step, losses[-1], time.perf_counter() - started, lr * factor)
    net.eval()
    model.net = net.cpu()
    yield model
