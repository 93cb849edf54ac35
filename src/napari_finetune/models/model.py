"""A segmentation model: the network and everything needed to use it again."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from napari_finetune.data.normalize import Normalization
from napari_finetune.models.unet import UNet, UNetConfig

DEFAULT_CLASSES = {1: "grain interior", 2: "boundary"}


@dataclass
class SegmentationModel:
    """A :class:`UNet` with its classes, normalisation and training record.

    Attributes
    ----------
    net : UNet
        The network; output channel k is class k + 1.
    classes : dict
        Class value (1..K, as painted) -> name.
    normalization : Normalization
        How images are normalised before the network sees them.
    history : list of dict
        One record per epoch of every training run (and per active-learning round).
    augmentation : str or None
        YAML of the augmentation pipeline the last training used.
    name : str
        Where the weights came from (registry name or file).
    provenance : list of dict
        One record per training run: data hashes, options, seed, library
        versions (see :mod:`napari_finetune.training.provenance`).
    """

    net: UNet
    classes: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_CLASSES))
    normalization: Normalization = field(default_factory=Normalization)
    history: list[dict[str, Any]] = field(default_factory=list)
    augmentation: str | None = None
    name: str = ""
    provenance: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(cls, in_channels: int = 1, n_classes: int = 2, **config: Any) -> SegmentationModel:
        """A randomly initialised model (the *scratch* baseline)."""
        net = UNet(UNetConfig(in_channels=in_channels, n_classes=n_classes, **config))
        classes = {k: DEFAULT_CLASSES.get(k, f"class {k}") for k in range(1, n_classes + 1)}
        return cls(net, classes, name="scratch")

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return self.net.config.n_classes

    @property
    def in_channels(self) -> int:
        """Input channels the network expects (1 grey, 3 RGB)."""
        return self.net.config.in_channels

    def copy(self) -> SegmentationModel:
        """An independent deep copy (training one leaves the other unchanged)."""
        return copy.deepcopy(self)
