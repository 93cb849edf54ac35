"""A small U-Net for CPU fine-tuning, with depth-ordered parameter groups.

Encoder stages, skip connections, a decoder and a 1x1 head, sized so that a
2-core CPU trains tens of patches per second. The parts that transfer learning
needs are explicit: ``encoder_stages`` from shallow to deep (differential learning
rates, gradual unfreezing), dropout in the decoder only (Monte-Carlo uncertainty
without disturbing the encoder's BatchNorm), and an upsampling path that resizes
to each skip connection, so any image size works.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    """Architecture of a :class:`UNet`; stored in checkpoints.

    Attributes
    ----------
    in_channels : int
        1 for grey images, 3 for RGB.
    n_classes : int
        Number of painted classes K (labels 1..K).
    widths : tuple of int
        Channels of each encoder stage, shallow to deep (the last is the bottleneck).
    dropout : float
        Dropout probability in the decoder (used for Monte-Carlo uncertainty).
    """

    in_channels: int = 1
    n_classes: int = 2
    # Thin at full resolution, wide deep down: with channels_last this trains ~60
    # patches of 128^2 per second and predicts >3 Mpx/s on 2 CPU cores.
    widths: tuple[int, ...] = (8, 16, 32, 64, 128)
    dropout: float = 0.1

    def to_dict(self) -> dict:
        """Plain data for checkpoint metadata."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> UNetConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            in_channels=int(data["in_channels"]),
            n_classes=int(data["n_classes"]),
            widths=tuple(int(w) for w in data["widths"]),
            dropout=float(data["dropout"]),
        )


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 convolutions, each followed by BatchNorm and ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DecoderStage(nn.Module):
    """Upsample, resize to the skip connection, concatenate, convolve, dropout."""

    def __init__(self, in_channels: int, skip_channels: int, dropout: float) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(in_channels, skip_channels, 1)
        self.block = conv_block(2 * skip_channels, skip_channels)
        self.dropout = nn.Dropout2d(dropout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        """Fuse the coarser features ``x`` with the encoder's ``skip``."""
        # Resize to the skip's exact size, so any side runs; but only multiples of
        # min_size keep the deep features in place, so callers mirror tiles out to
        # those (inference/tiling.py: pad_to_multiple).
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = self.block(torch.cat([self.reduce(x), skip], dim=1))
        return self.dropout(x)


class UNet(nn.Module):
    """U-Net: ``encoder_stages`` (shallow to deep), ``decoder_stages``, ``head``.

    The output has one channel per class: logits of classes 1..K.
    """

    def __init__(self, config: UNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or UNetConfig()
        widths = self.config.widths
        stages = [conv_block(self.config.in_channels, widths[0])]
        stages += [
            nn.Sequential(nn.MaxPool2d(2), conv_block(widths[i - 1], widths[i]))
            for i in range(1, len(widths))
        ]
        self.encoder_stages = nn.ModuleList(stages)
        self.decoder_stages = nn.ModuleList(
            DecoderStage(widths[i + 1], widths[i], self.config.dropout)
            for i in reversed(range(len(widths) - 1))
        )
        self.head = nn.Conv2d(widths[0], self.config.n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, K, H, W)`` for images ``(N, C, H, W)``."""
        return self.decode(self.encode(x))

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Features of every encoder stage, shallow to deep (no dropout here)."""
        skips = []
        for stage in self.encoder_stages:
            x = stage(x)
            skips.append(x)
        return skips

    def decode(self, skips: list[torch.Tensor]) -> torch.Tensor:
        """Logits from encoder features; the only place dropout acts.

        Monte-Carlo dropout calls this repeatedly on one :meth:`encode` result:
        the deterministic encoder runs once, only the stochastic part repeats.
        """
        skips = list(skips)
        x = skips.pop()
        for stage in self.decoder_stages:
            x = stage(x, skips.pop())
        return self.head(x)

    @property
    def min_size(self) -> int:
        """Smallest image side the encoder can pool down (2 ** pooling steps)."""
        return 2 ** (len(self.config.widths) - 1)

    def parameter_groups(self) -> list[tuple[str, list[nn.Parameter]]]:
        """Named parameter groups ordered by depth: encoder stages, decoder, head."""
        groups = [
            (f"encoder.{i}", list(stage.parameters()))
            for i, stage in enumerate(self.encoder_stages)
        ]
        groups.append(("decoder", list(self.decoder_stages.parameters())))
        groups.append(("head", list(self.head.parameters())))
        return groups

    def replace_head(self, n_classes: int, keep_known: bool = False) -> None:
        """A fresh 1x1 head for a different number of classes.

        ``keep_known``: the classes both heads have keep their rows (weights and
        bias), so that a class the start model knows still means what it did.
        """
        old, self.head = self.head, nn.Conv2d(self.config.widths[0], n_classes, 1)
        if keep_known:
            shared = min(n_classes, old.out_channels)
            with torch.no_grad():
                self.head.weight[:shared] = old.weight[:shared]
                self.head.bias[:shared] = old.bias[:shared]
        self.config = UNetConfig(
            self.config.in_channels, n_classes, self.config.widths, self.config.dropout
        )

    def adapt_input_channels(self, in_channels: int) -> None:
        """Change the first convolution to ``in_channels``, keeping what it learned.

        Grey -> RGB spreads each pretrained filter evenly over the three channels
        (so a grey image given as RGB gives the same response); RGB -> grey sums
        them (the grey image stands for all three).
        """
        old = self.encoder_stages[0][0]
        if old.in_channels == in_channels:
            return
        weight = old.weight.detach()
        if in_channels == 1:
            new_weight = weight.sum(dim=1, keepdim=True)
        else:
            mean = weight.mean(dim=1, keepdim=True)
            new_weight = mean.repeat(1, in_channels, 1, 1) * (old.in_channels / in_channels)
        conv = nn.Conv2d(in_channels, old.out_channels, 3, padding=1, bias=False)
        with torch.no_grad():
            conv.weight.copy_(new_weight)
        self.encoder_stages[0][0] = conv
        self.config = UNetConfig(
            in_channels, self.config.n_classes, self.config.widths, self.config.dropout
        )


class UNetProbabilities(UNet):
    """A :class:`UNet` built from plain keyword arguments that outputs probabilities.

    The ``callable`` of exported BioImage.IO packages: their rdf can only give
    JSON keyword arguments (no :class:`UNetConfig`), and their consumers expect
    class probabilities, not logits. The parameters and ``state_dict`` keys are
    exactly :class:`UNet`'s, so a UNet's weights load into it unchanged. This
    file imports nothing but torch and the standard library, so that it can be
    shipped as a package's architecture source on its own.

    Parameters
    ----------
    in_channels, n_classes, widths, dropout
        As in :class:`UNetConfig` (``widths`` may be a list, as JSON gives it).
    """

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 2,
        widths: tuple[int, ...] | list[int] = (8, 16, 32, 64, 128),
        dropout: float = 0.1,
    ) -> None:
        super().__init__(UNetConfig(in_channels, n_classes, tuple(widths), dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities ``(N, K, H, W)`` (softmax over classes) for images ``(N, C, H, W)``."""
        return torch.softmax(super().forward(x), dim=1)
