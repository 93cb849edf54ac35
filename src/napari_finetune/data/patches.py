"""Training patches sampled around painted pixels, class-balanced and augmented.

Boundaries are ~10 % of pixels and strokes are sparse, so patches are centred on
painted pixels of a class drawn uniformly: every class is seen equally often,
whatever its area. Each patch goes through the augmentation pipeline (image and
mask together); unpainted and padded pixels become -1, which the loss ignores.
"""

from __future__ import annotations

import numpy as np
import torch

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import PaintedPlane

IGNORE = -1  # target value of unpainted and padded pixels; the loss skips it


class PatchSampler:
    """Draws batches of ``(images, targets)`` from painted planes.

    Parameters
    ----------
    planes : list of PaintedPlane
        Normalised images.
    labels : list of numpy.ndarray
        The labels to learn (e.g. the training part of a split), one per plane.
    patch_size : int
        Side of the square patches.
    pipeline : AugmentationPipeline, optional
        Applied to every patch; None for no augmentation.
    seed : int
        Source of all randomness (centres, jitter, augmentation seeds).
    """

    def __init__(
        self,
        planes: list[PaintedPlane],
        labels: list[np.ndarray],
        patch_size: int = 128,
        pipeline: AugmentationPipeline | None = None,
        seed: int = 0,
    ) -> None:
        self.planes, self.patch_size, self.pipeline = planes, patch_size, pipeline
        # Built once: building the transforms per patch took a third of a run's time.
        self._augment = pipeline.compile() if pipeline is not None else None
        self.rng = np.random.default_rng(seed)
        # For each class, the (plane, row, col) of every pixel painted with it.
        coords: dict[int, list[np.ndarray]] = {}
        for index, lab in enumerate(labels):
            for cls in np.unique(lab[lab > 0]):
                ys, xs = np.nonzero(lab == cls)
                coords.setdefault(int(cls), []).append(
                    np.stack([np.full_like(ys, index), ys, xs], axis=1)
                )
        if not coords:
            raise ValueError("no painted pixels to train on.")
        self.by_class = {cls: np.concatenate(c) for cls, c in coords.items()}
        self.classes = sorted(self.by_class)
        self.labels = labels

    def _crop(self, array: np.ndarray, y0: int, x0: int, fill: str) -> np.ndarray:
        size = self.patch_size
        rows, cols = array.shape[:2]
        ys, xs = slice(max(y0, 0), min(y0 + size, rows)), slice(max(x0, 0), min(x0 + size, cols))
        piece = array[ys, xs]
        pad = [(ys.start - y0, y0 + size - ys.stop), (xs.start - x0, x0 + size - xs.stop)]
        if any(p for pair in pad for p in pair):
            pad += [(0, 0)] * (array.ndim - 2)
            # Images mirror at the border (numpy repeats the reflection when the
            # pad is longer than the image); labels pad with 0 = unpainted.
            if fill == "reflect":
                piece = np.pad(piece, pad, mode="reflect")
            else:
                piece = np.pad(piece, pad, mode="constant", constant_values=0)
        return piece

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """One ``(image (P, P, C) float32, target (P, P) int64)`` patch."""
        cls = self.classes[self.rng.integers(len(self.classes))]
        plane, y, x = self.by_class[cls][self.rng.integers(len(self.by_class[cls]))]
        # Jitter, so the painted pixel is not always at the centre.
        half, quarter = self.patch_size // 2, self.patch_size // 4
        y0 = int(y) - half + int(self.rng.integers(-quarter, quarter + 1))
        x0 = int(x) - half + int(self.rng.integers(-quarter, quarter + 1))
        image = self._crop(self.planes[plane].image, y0, x0, "reflect")
        target = self._crop(self.labels[plane], y0, x0, "constant")
        if self._augment is not None:
            image, target = self._augment.transform(image, target, int(self.rng.integers(2**31)))
        # Painted classes 1..K become indices 0..K-1; unpainted 0 becomes IGNORE (-1).
        return image.astype(np.float32, copy=False), target.astype(np.int64) - 1

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``size`` patches as tensors ``(N, C, P, P)`` (channels-last) and ``(N, P, P)``."""
        images, targets = zip(*(self.sample() for _ in range(size)), strict=True)
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
        y = torch.from_numpy(np.stack(targets))
        return x.contiguous(memory_format=torch.channels_last), y
