"""Unpainted pixels as data: confident pseudo-labels from a mean teacher (issue 20).

Most of what the user shows the plugin is never painted. Each step, crops are
drawn anywhere in the user's images (and in any extra, unlabelled images). A
*mean teacher* (an exponential moving average of the network being trained,
Tarvainen & Valpola 2017) predicts the plain crop; where it is confident and
the user painted nothing, its class becomes a pseudo-label. The crop and its
pseudo-labels then go through the run's augmentation pipeline together, as
painted patches do (FixMatch, Sohn et al. 2020): the student must give the
same answer on a view the physics preset allows, and the preset decides which
transforms are legal. The pseudo-label loss is a mean over confident pixels,
ramped up from 0; the painted loss is a mean over far fewer pixels, so each
painted pixel counts for more than each pseudo-labelled one.
For strokes from a start model that knows the classes, the teacher *keeps the
start*: it follows the student slowly, so its pseudo-labels stay close to what
the start model knew, its pseudo-labels (on fewer crops) weigh twice the
painting, and it estimates the images' class mix, to which the painted pixels are weighed
(:meth:`MeanTeacher.painted_weights`). Otherwise (a box painting, a new head
from scratch or for another class count) it follows within ~20 steps, weighs
nothing, and its pseudo-labels weigh half the painting: on box paintings that
was better (README, *Strokes teach with pseudo-labels*), and a new head knows
nothing yet.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import PaintedPlane
from napari_finetune.data.patches import IGNORE
from napari_finetune.training.losses import painted_loss

# A teacher probability at least this high makes a pseudo-label.
CONFIDENCE = 0.9
# Weight of the pseudo-label loss at full strength for a teacher that follows
# fast (boxes; a new head): half the painted loss's 1.
PSEUDO_WEIGHT = 0.5
# For a teacher that keeps the start (strokes): twice the painted loss, in total,
# on a quarter as many crops as painted patches (:data:`KEPT_START_CROPS`). Both
# losses are means, the painted one over a few thousand painted pixels and the
# pseudo-label one over far more, so each painted pixel still counts for more.
# On task B's strokes (README, *Strokes teach with pseudo-labels*), per seed:
# weight 0.5 on half as many crops 0.869 / 0.848 / 0.842, 1 0.876 / 0.865 / 0.853,
# 2 on a quarter 0.878 / 0.879 / 0.874; the demo's sample kept 0.999.
KEPT_START_PSEUDO_WEIGHT = 2.0
# Unlabelled crops per painted patch each step: the teacher predicts them and
# the student trains on them, so fewer crops leave time for more steps.
KEPT_START_CROPS = 0.25
FRESH_CROPS = 0.5
# Share of the run over which that weight ramps up from 0 (sigmoid-shaped).
RAMP = 0.3
# Mean-teacher decay per step when it keeps the start: a time constant of 200
# steps (~40 s at the ~5 steps/s of a 2-core CPU run with the teacher, where it
# was measured), so pseudo-labels stay close to what the start model knew while
# the student learns the strokes. A teacher that followed within ~20 steps let
# strokes thicken boundaries the start had known thin. Counted in steps: a
# GPU's longer runs follow sooner in their run's terms.
TEACHER_DECAY = 0.995
# Otherwise (boxes; a head that never trained) the teacher follows within ~20
# steps, as every teacher did first: on box paintings the slow one lost.
FRESH_TEACHER_DECAY = 0.95
# Bounds on a painted class's cross-entropy weight (image share / painted share):
# the teacher's estimate of the image's class mix may reweigh the painting, never
# silence a class the user painted nor let one drown the rest.
PRIOR_WEIGHT_RANGE = (0.1, 10.0)


def ramp(progress: float, length: float = RAMP) -> float:
    """Laine & Aila's sigmoid ramp-up: ~0 at the start, 1 from ``length`` of the run."""
    if progress >= length:
        return 1.0
    return math.exp(-5.0 * (1.0 - progress / length) ** 2)


def confident_per_class(probabilities: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
    """Which free pixels get a pseudo-label: the surer half of each predicted class.

    One absolute threshold labels the large, easy class (grain interior) and
    almost never the thin one (boundaries, at lower confidence): the
    pseudo-labels would teach "less boundary". So each class keeps its pixels
    at or above the class's median confidence, capped at :data:`CONFIDENCE`
    and never below halfway from a guess (1 / K) to it (FlexMatch's class-wise
    thresholds, Zhang et al. 2021, in their simplest form).

    Parameters
    ----------
    probabilities : torch.Tensor
        ``(N, K, H, W)`` teacher probabilities.
    free : torch.Tensor
        ``(N, H, W)`` bool: pixels nobody painted.
    """
    confidence, index = probabilities.max(dim=1)
    guess = 1.0 / probabilities.shape[1]
    floor = guess + (CONFIDENCE - guess) / 2
    sure = torch.zeros_like(free)
    for k in index[free].unique():
        mine = free & (index == k)
        threshold = min(max(float(confidence[mine].median()), floor), CONFIDENCE)
        sure |= mine & (confidence >= threshold)
    return sure


class UnpaintedCrops:
    """Random crops of the user's images, and which of their pixels nobody painted.

    Parameters
    ----------
    planes : list of PaintedPlane
        The normalised painted planes (their unpainted pixels are used).
    extra : list of numpy.ndarray
        Normalised ``(rows, cols, channels)`` unlabelled planes.
    patch_size : int
        Crop side; smaller planes are mirrored out.
    seed : int
        Source of the crop positions.
    """

    def __init__(
        self, planes: list[PaintedPlane], extra: list[np.ndarray], patch_size: int, seed: int
    ) -> None:
        self.sources = [(p.image, p.labels) for p in planes if (p.labels == 0).any()]
        self.sources += [(image, None) for image in extra]
        self.patch_size = patch_size
        self.rng = np.random.default_rng(seed)

    @property
    def has_pixels(self) -> bool:
        """Whether there is any unpainted pixel to learn from."""
        return bool(self.sources)

    def crop(self) -> tuple[np.ndarray, np.ndarray]:
        """One ``(image (P, P, C) float32, unpainted (P, P) bool)`` crop."""
        image, labels = self.sources[self.rng.integers(len(self.sources))]
        rows, cols = image.shape[:2]
        size = self.patch_size
        y = int(self.rng.integers(0, max(rows - size, 0) + 1))
        x = int(self.rng.integers(0, max(cols - size, 0) + 1))
        piece = image[y : y + size, x : x + size]
        if labels is None:
            free = np.ones(piece.shape[:2], bool)
        else:
            free = labels[y : y + size, x : x + size] == 0
        short = [(0, size - n) for n in piece.shape[:2]]
        if any(after for _, after in short):
            piece = np.pad(piece, [*short, (0, 0)], mode="symmetric")
            free = np.pad(free, short, constant_values=False)  # mirrored pixels teach nothing
        return np.ascontiguousarray(piece, dtype=np.float32), free


class MeanTeacher:
    """Pseudo-labelled, augmented crops of unpainted pixels, and their loss.

    Parameters
    ----------
    net : torch.nn.Module
        The network being trained (the teacher starts as its copy).
    crops : UnpaintedCrops
        Where crops come from.
    pipeline : AugmentationPipeline or None
        The run's augmentation (the legal transforms of its preset).
    seed : int
        Seed of the augmentations.
    keeps_start : bool
        Strokes on a network that starts knowing the classes (pretrained, its
        own head): the teacher follows slowly (:data:`TEACHER_DECAY`), weighs
        the painting to the images' class mix and its pseudo-labels weigh
        :data:`KEPT_START_PSEUDO_WEIGHT` on :data:`KEPT_START_CROPS` crops per
        painted patch; else it follows fast (:data:`FRESH_TEACHER_DECAY`), weighs
        nothing and its pseudo-labels weigh :data:`PSEUDO_WEIGHT` on
        :data:`FRESH_CROPS`.
    """

    def __init__(
        self,
        net: nn.Module,
        crops: UnpaintedCrops,
        pipeline: AugmentationPipeline | None,
        seed: int,
        keeps_start: bool = False,
    ) -> None:
        self.teacher = copy.deepcopy(net).eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.crops, self.pipeline = crops, pipeline
        self._augment = pipeline.compile() if pipeline is not None else None  # built once
        self.rng = np.random.default_rng(seed + 1)
        self.targets: torch.Tensor | None = None
        self.confident = 0.0  # share of the last batch's crop pixels pseudo-labelled
        self.keeps_start = keeps_start
        self.decay = TEACHER_DECAY if keeps_start else FRESH_TEACHER_DECAY
        self.weight = KEPT_START_PSEUDO_WEIGHT if keeps_start else PSEUDO_WEIGHT
        self.crops_per_patch = KEPT_START_CROPS if keeps_start else FRESH_CROPS
        self.class_share: torch.Tensor | None = None  # the teacher's class mix of the images
        self._batches = 0

    @torch.no_grad()
    def inputs(self, n: int, device: torch.device) -> torch.Tensor:
        """``n`` augmented crops ``(n, C, P, P)``; :meth:`loss` uses their pseudo-labels."""
        crops = [self.crops.crop() for _ in range(n)]
        x = torch.from_numpy(np.stack([c for c, _ in crops])).permute(0, 3, 1, 2)
        x = x.contiguous(memory_format=torch.channels_last).to(device)
        probabilities = torch.softmax(self.teacher(x).float(), dim=1)
        if self.keeps_start:  # only its weights use the class mix
            self._count_classes(probabilities)
        free = torch.from_numpy(np.stack([f for _, f in crops])).to(device)
        sure = confident_per_class(probabilities, free)
        # Classes 1..K where confident and unpainted, 0 elsewhere (as a painting).
        pseudo = torch.where(sure, probabilities.argmax(dim=1) + 1, 0)
        pseudo = pseudo.to(torch.uint8).cpu().numpy()
        images, targets = [], []
        for (image, _), mask in zip(crops, pseudo, strict=True):
            if self._augment is not None:
                image, mask = self._augment.transform(image, mask, int(self.rng.integers(2**31)))
            images.append(image.astype(np.float32, copy=False))
            targets.append(mask.astype(np.int64) - 1)  # 0 -> IGNORE, as painted patches
        self.targets = torch.from_numpy(np.stack(targets))
        self.confident = float((self.targets != IGNORE).float().mean())
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
        return x.contiguous(memory_format=torch.channels_last)

    def _count_classes(self, probabilities: torch.Tensor) -> None:
        # A running mean over every crop so far: random crops anywhere in the
        # images, so an estimate of their class mix, painted or not.
        share = probabilities.mean(dim=(0, 2, 3)).cpu()
        self._batches += 1
        if self.class_share is None:
            self.class_share = share
        else:
            self.class_share += (share - self.class_share) / self._batches

    def painted_weights(self, target: torch.Tensor) -> torch.Tensor | None:
        """Cross-entropy weights per class that give the painted pixels the images' class mix.

        Strokes do not paint classes in the proportions the images hold them
        (a traced boundary is half the painting, a tenth of the image); trained
        on those proportions the network learns that boundaries are common and
        paints them thick. Weighting each class by its share of the images (as
        the teacher sees them) over its share of this batch's painted pixels
        corrects that prior shift (Saerens et al. 2002), within
        :data:`PRIOR_WEIGHT_RANGE`.

        Parameters
        ----------
        target : torch.Tensor
            ``(N, H, W)`` painted classes 0..K-1, -1 unpainted.

        Returns
        -------
        torch.Tensor or None
            ``(K,)`` weights, or None before the teacher has seen a crop, when
            nothing is painted, or when the teacher does not keep the start
            (a box painting holds the images' mix already; a new head's
            estimate would be noise).
        """
        painted = target[target != IGNORE]
        if not self.keeps_start or self.class_share is None or not len(painted):
            return None
        classes = len(self.class_share)
        counts = torch.bincount(painted.cpu(), minlength=classes).float()
        painted_share = counts / counts.sum()
        # Classes absent from the batch have no pixel to weigh: any finite value.
        weights = self.class_share / painted_share.clamp_min(1e-6)
        return weights.clamp(*PRIOR_WEIGHT_RANGE).to(target.device)

    def describe(self) -> dict:
        """How this teacher teaches, for the run's provenance."""
        return {
            "decay": self.decay,
            "class_weights": self.keeps_start,
            "weight": self.weight,
            "crops_per_patch": self.crops_per_patch,
        }

    def loss(self, logits: torch.Tensor, progress: float) -> torch.Tensor:
        """Weighted painted-style loss of the student on the pseudo-labels."""
        target = self.targets.to(logits.device)
        return self.weight * ramp(progress) * painted_loss(logits, target)

    @torch.no_grad()
    def follow(self, net: nn.Module) -> None:
        """Move the teacher's weights (and BatchNorm statistics) toward the student's."""
        student = net.state_dict().values()
        for mine, theirs in zip(self.teacher.state_dict().values(), student, strict=True):
            if mine.dtype.is_floating_point:
                mine.lerp_(theirs, 1.0 - self.decay)
            else:
                mine.copy_(theirs)
