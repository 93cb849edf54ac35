"""Domain adaptation toward the user's images: MMD and a domain-adversarial head.

The shipped network learned on synthetic grains (the *source*); the user's
micrographs are the *target*. Beside AdaBN (which only re-estimates BatchNorm
statistics) two classic ways pull the encoder's features of both domains
together while the painted pixels teach the task:

- ``mmd``: the maximum mean discrepancy (Gretton et al. 2012; Long et al.
  2015) between the bottleneck features of source and target patches, with a
  sum of Gaussian kernels around the median distance, added to the loss;
- ``dann``: a small domain classifier on the bottleneck features behind a
  gradient-reversal layer (Ganin & Lempitsky 2015): the classifier learns to
  tell the domains apart, the encoder learns to make that impossible.

Source patches are fresh synthetic micrographs like those the start model was
pretrained on: Voronoi grains (:func:`~napari_finetune.training.pretrain.random_sample`)
or, for a model that learned the wider world (``world-unet`` and models fine-tuned
from it), draws of that mixture
(:func:`~napari_finetune.training.pretrain.world_mixture_sample`). They are rendered
once per run into a small pool, nothing downloaded.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from napari_finetune.choices import REGIONS_PRETRAIN_TASK, WORLD_PRETRAIN_TASK
from napari_finetune.data.normalize import Normalization

# Synthetic micrographs rendered per run, and the most feature vectors per
# domain an MMD estimate compares (its cost grows with their square).
SOURCE_POOL = 16
MMD_SAMPLES = 256
MMD_WEIGHT = 1.0
DOMAIN_WEIGHT = 0.1
# Kernel bandwidths, as multiples of the median pairwise distance.
BANDWIDTHS = (0.25, 0.5, 1.0, 2.0, 4.0)


class SourcePatches:
    """Crops of freshly rendered synthetic micrographs, normalised like the user's.

    Parameters
    ----------
    normalization : Normalization
        The model's normalisation (as for the user's planes).
    channels : int
        1, or 3 for RGB models (the grey rendering repeated: how grey looks in RGB).
    patch_size : int
        Crop side.
    seed : int
        Seed of the renderings and crops.
    world : bool
        Render the wider world's mixture instead of Voronoi grains alone: the
        source of a model pretrained on it (:func:`learned_the_wider_world`).
    """

    def __init__(
        self,
        normalization: Normalization,
        channels: int,
        patch_size: int,
        seed: int,
        world: bool = False,
    ) -> None:
        from napari_finetune.training.pretrain import (
            IMAGE_SIDE,
            random_sample,
            world_mixture_sample,
        )

        self.rng = np.random.default_rng(seed + 2)
        side = max(IMAGE_SIDE, patch_size)
        self.pool = []
        for _ in range(SOURCE_POOL):
            if world:
                grey = world_mixture_sample(self.rng, side)[0]
            else:
                grey = random_sample(self.rng, side).image
            image = normalization(grey[..., None])
            self.pool.append(np.repeat(image, channels, axis=-1) if channels > 1 else image)
        self.patch_size, self.world = patch_size, world

    def batch(self, n: int) -> torch.Tensor:
        """``n`` crops ``(n, C, P, P)``, channels-last."""
        size, crops = self.patch_size, []
        for _ in range(n):
            image = self.pool[self.rng.integers(len(self.pool))]
            y, x = self.rng.integers(0, np.array(image.shape[:2]) - size + 1)
            crops.append(image[y : y + size, x : x + size])
        x = torch.from_numpy(np.stack(crops).astype(np.float32)).permute(0, 3, 1, 2)
        return x.contiguous(memory_format=torch.channels_last)


def learned_the_wider_world(history: list[dict]) -> bool:
    """Whether a model with this training ``history`` was pretrained on the wider world.

    Read from the pretraining records (``pretrain (wider world…)``), so a model
    fine-tuned from ``world-unet``, saved and loaded again, still says so.
    """
    return any(h.get("task") in (WORLD_PRETRAIN_TASK, REGIONS_PRETRAIN_TASK) for h in history)


def feature_vectors(features: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """At most ``n`` per-location feature vectors ``(m, C)`` of ``(N, C, h, w)`` features."""
    vectors = features.permute(0, 2, 3, 1).reshape(-1, features.shape[1])
    if len(vectors) <= n:
        return vectors
    pick = torch.randperm(len(vectors), generator=generator)[:n].to(vectors.device)
    return vectors[pick]


def mmd(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared MMD between two sets of vectors, multi-bandwidth Gaussian kernel (biased)."""
    both = torch.cat([source, target])
    distances = torch.cdist(both, both).pow(2)
    # The median distance sets the scale; it is a constant, not learned through.
    scale = distances.detach()[distances.detach() > 0].median().clamp_min(1e-6)
    kernel = sum(torch.exp(-distances / (scale * b)) for b in BANDWIDTHS)
    m = len(source)
    return kernel[:m, :m].mean() + kernel[m:, m:].mean() - 2 * kernel[:m, m:].mean()


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, strength: float) -> torch.Tensor:
        ctx.strength = strength
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.strength * grad, None


def reversal_strength(progress: float) -> float:
    """Ganin & Lempitsky's schedule: 0 at the start, toward 1 as the run goes on."""
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0


class DomainClassifier(nn.Module):
    """Per-location source/target logits of bottleneck features, behind a gradient reversal."""

    def __init__(self, channels: int, hidden: int = 32) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, 1, 1)
        )

    def forward(self, features: torch.Tensor, strength: float) -> torch.Tensor:
        """Logits ``(N, 1, h, w)``: positive = source."""
        return self.layers(_ReverseGradient.apply(features, strength))


class DomainAlignment:
    """One run's domain-adaptation term: source patches and the ``mmd`` or ``dann`` loss.

    Parameters
    ----------
    kind : {'mmd', 'dann'}
        Which alignment.
    source : SourcePatches
        Where source patches come from.
    bottleneck_channels : int
        Channels of the encoder's deepest stage (the DANN classifier's input).
    seed : int
        Seed of the feature subsampling.
    """

    def __init__(
        self, kind: str, source: SourcePatches, bottleneck_channels: int, seed: int
    ) -> None:
        self.kind, self.source = kind, source
        self.generator = torch.Generator().manual_seed(seed)
        self.classifier = DomainClassifier(bottleneck_channels) if kind == "dann" else None

    def loss(self, source: torch.Tensor, target: torch.Tensor, progress: float) -> torch.Tensor:
        """The alignment loss of bottleneck features ``(Ns, C, h, w)`` and ``(Nt, C, h, w)``."""
        if self.kind == "mmd":
            a = feature_vectors(source, MMD_SAMPLES, self.generator)
            b = feature_vectors(target, MMD_SAMPLES, self.generator)
            return MMD_WEIGHT * mmd(a, b)
        # The classifier learns at full strength; the encoder gets its gradient
        # reversed and scaled (Ganin & Lempitsky's lambda), ramped up from 0.
        strength = DOMAIN_WEIGHT * reversal_strength(progress)
        logits = self.classifier(torch.cat([source, target]), strength)
        truth = torch.zeros_like(logits)
        truth[: len(source)] = 1.0
        return nn.functional.binary_cross_entropy_with_logits(logits, truth)
