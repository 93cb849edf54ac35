"""A pipeline's transforms built once and reseeded per draw: what training samples with.

Building the albumentations transforms of a pipeline costs more than applying
them to a 64² patch (each constructor validates its parameters and inspects
signatures: ~1 ms for the seven transforms of ``equiaxed``), and a training run
draws thousands of patches from one pipeline. :class:`CompiledPipeline` builds
them once; each draw reseeds them exactly as a fresh build is seeded, so a seed
gives the same image and mask either way (recorded runs repeat bit for bit).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from napari_finetune.augment import arrays
from napari_finetune.augment.catalog import CATALOG, A

if TYPE_CHECKING:
    from napari_finetune.augment.pipeline import TransformSetting


@dataclass(frozen=True)
class AugmentedSample:
    """One transformed (image, mask) pair and what was sampled to make it."""

    image: np.ndarray
    mask: np.ndarray | None
    applied: tuple[str, ...]

    @property
    def description(self) -> str:
        """The sampled parameters as one short line ('identity' if none applied)."""
        return ", ".join(self.applied) or "identity"


class CompiledPipeline:
    """The switched-on transforms of a pipeline, built once.

    Parameters
    ----------
    active : sequence of TransformSetting
        The transforms switched on, in catalogue order
        (:attr:`AugmentationPipeline.active`).
    nearest : bool
        Resample the image by nearest neighbour (the preset's ``keeps_values``).

    Notes
    -----
    Not thread-safe (a draw reseeds the transforms' random generators): each
    sampler compiles its own, and :meth:`AugmentationPipeline.apply` a fresh one.
    """

    def __init__(self, active: Sequence[TransformSetting], nearest: bool = False) -> None:
        self._transforms = [CATALOG[t.name].build(t.p, t.params, nearest) for t in active]
        self._compose = A.ReplayCompose(self._transforms)
        # Each transform draws from its own stream of (seed, name): albumentations
        # gives all the same seed, which correlates their draws (a contrast factor
        # equal to the gamma), and switching one on would change the others' samples.
        self._salts = [zlib.crc32(t.name.encode()) for t in active]

    def seed(self, seed: int) -> A.ReplayCompose:
        """The albumentations pipeline, reseeded for the draw of ``seed``.

        Parameters
        ----------
        seed : int
            Seed of one draw; each transform gets its own stream from (seed, name).

        Returns
        -------
        albumentations.ReplayCompose
            The one compose this object holds, ready for one call.
        """
        # As Compose.set_random_seed, without its seeding of every transform that
        # the lines below replace anyway.
        self._compose.set_random_state(np.random.default_rng(seed), random.Random(seed))
        for transform, salt in zip(self._transforms, self._salts, strict=True):
            stream = np.random.SeedSequence([seed, salt])
            transform.set_random_seed(int(stream.generate_state(1)[0]))
        return self._compose

    def transform(
        self, image: np.ndarray, mask: np.ndarray, seed: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``image`` and its integer ``mask`` transformed together (training's draw).

        Parameters
        ----------
        image : numpy.ndarray
            2D grey or (rows, cols, channels); any int or float dtype.
        mask : numpy.ndarray
            Integer labels of the image's shape (0 = unpainted).
        seed : int
            Seed of this draw.

        Returns
        -------
        tuple of numpy.ndarray
            The image and mask in their own dtypes: the arrays :meth:`apply`
            gives for ``seed``, without describing what was sampled.
        """
        out, mapping = self._run(image, mask, seed)
        return _image_back(out, mapping), out["mask"].astype(mask.dtype, copy=False)

    def apply(
        self, image: np.ndarray, mask: np.ndarray | None = None, seed: int = 0
    ) -> AugmentedSample:
        """Transform ``image`` and ``mask`` together and say what was sampled.

        Parameters and result as :meth:`AugmentationPipeline.apply`, which
        compiles afresh for each call; this reuses the built transforms.
        """
        labels = np.zeros(image.shape[:2], np.int32) if mask is None else mask
        out, mapping = self._run(image, labels, seed)
        applied = tuple(
            CATALOG[record["__class_fullname__"].rsplit(".", 1)[-1]].describe(record["params"])
            for record in out["replay"]["transforms"]
            if record["applied"]
        )
        result_mask = None if mask is None else out["mask"].astype(mask.dtype, copy=False)
        return AugmentedSample(_image_back(out, mapping), result_mask, applied)

    def _run(self, image: np.ndarray, labels: np.ndarray, seed: int) -> tuple[dict, object]:
        arrays.check_pair(image, labels)
        work, mapping = arrays.image_to_unit(image)
        return self.seed(seed)(image=work, mask=arrays.mask_to_int32(labels)), mapping


def _image_back(out: dict, mapping: object) -> np.ndarray:
    return arrays.unit_to_image(np.clip(out["image"], 0, 1), mapping)
