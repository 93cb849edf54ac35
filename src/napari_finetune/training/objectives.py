"""What a run learns from besides the painted pixels: the adaptation levers of issue 20.

- ``l2sp``: pretrained weights are pulled back toward their start after each
  step (:mod:`~napari_finetune.training.start_anchor`);
- ``mmd`` / ``dann``: the encoder's features of the user's images are aligned
  with those of synthetic source images (:mod:`~napari_finetune.training.domain`);
- ``semi_supervised``: confident pseudo-labels of a mean teacher on unpainted
  pixels (:mod:`~napari_finetune.training.unlabelled`).

:func:`run_objectives` turns the options into a :class:`RunObjectives`; when
nothing beyond the painted pixels is asked it is not ``active`` and a plain run
is the plain step it always was. The engine calls :meth:`RunObjectives.inputs` before
each step, :meth:`~RunObjectives.loss` inside it and
:meth:`~RunObjectives.after_step` after the optimiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.choices import ADAPTATIONS, as_sentence
from napari_finetune.data.channel_axis import without_grey_axis
from napari_finetune.data.normalize import Normalization
from napari_finetune.data.painted import MIN_SIDE, PaintedPlane
from napari_finetune.training.domain import DomainAlignment, SourcePatches
from napari_finetune.training.start_anchor import StartAnchor
from napari_finetune.training.unlabelled import MeanTeacher, UnpaintedCrops

# Planes of extra unlabelled stacks used at most (chosen by the seed): a stack
# of thousands of planes is sampled, never loaded whole.
MAX_UNLABELLED_PLANES = 32


def parse_adaptation(adaptation: str) -> tuple[str, ...]:
    """The levers named by ``'none'``, ``'l2sp'``, ``'mmd'``, ``'dann'`` or a ``+`` join.

    Raises
    ------
    ValueError
        For an unknown name, or ``mmd`` with ``dann`` (two alignments of one thing).
    """
    names = tuple(n.strip() for n in str(adaptation).split("+") if n.strip())
    for name in names or ("",):
        if name not in ADAPTATIONS:
            raise ValueError(
                f"adaptation={adaptation!r} is unknown: choose one of {', '.join(ADAPTATIONS)}, "
                "or join them with '+' (e.g. 'l2sp+mmd')."
            )
    if "mmd" in names and "dann" in names:
        raise ValueError("adaptation: choose 'mmd' or 'dann', not both.")
    return tuple(n for n in names if n != "none")


def describe_adaptation(adaptation: str) -> str:
    """One line saying what ``adaptation`` does (its levers' lines joined)."""
    levers = parse_adaptation(adaptation) or ("none",)
    text = "; ".join(ADAPTATIONS[name] for name in levers)
    return as_sentence(text)


def unlabelled_planes(
    unlabelled: object, channels: int, normalization: Normalization, seed: int
) -> list[np.ndarray]:
    """Extra unlabelled images as normalised ``(rows, cols, channels)`` planes.

    Parameters
    ----------
    unlabelled : array or list of arrays, optional
        2D grey, ``(rows, cols, 3|4)`` colour, or 3D stacks of either; a grey
        channel axis of 1 is read away as for painted images.
    channels : int
        The painted images' channel count: the unlabelled images must match.
    normalization : Normalization
        The model's.
    seed : int
        Chooses the planes of stacks longer than :data:`MAX_UNLABELLED_PLANES`.

    Raises
    ------
    ValueError
        Naming the image, when its channel count differs, it is not 2D/3D, or
        its planes would be under 16 px a side (e.g. ``(rows, cols, 2)``).
    """
    if unlabelled is None:
        return []
    images = [unlabelled] if hasattr(unlabelled, "shape") else list(unlabelled)
    rng = np.random.default_rng(seed + 3)
    planes = []
    for index, image in enumerate(images):
        image = without_grey_axis(image)  # a view: (rows, cols, 1) is not rows planes
        shape = tuple(image.shape)
        colour = len(shape) in (3, 4) and shape[-1] in (3, 4)
        spatial = len(shape) - 1 if colour else len(shape)
        if (3 if colour else 1) != channels or spatial not in (2, 3):
            raise ValueError(
                f"unlabelled image {index} has shape {shape}: the painted images have "
                f"{channels} channel(s), so it must be {_expected(channels)}."
            )
        rows, cols = shape[-3:-1] if colour else shape[-2:]
        if min(rows, cols) < MIN_SIDE:
            # E.g. (rows, cols, 2): read as a stack of 2-px-wide planes, not as channels.
            raise ValueError(
                f"unlabelled image {index} has shape {shape}: its planes would be "
                f"{rows} × {cols} px (the model needs at least {MIN_SIDE} px per side); "
                f"with {channels} channel(s) painted it must be {_expected(channels)}."
            )
        if spatial == 2:
            stack = [image]
        else:
            count = shape[0]
            chosen = sorted(rng.choice(count, min(count, MAX_UNLABELLED_PLANES), replace=False))
            stack = [image[int(z)] for z in chosen]  # only these planes are read
        for plane in stack:
            plane = np.asarray(plane)
            plane = plane[..., :3] if colour else plane[..., None]
            planes.append(normalization(plane))
    return planes


def _expected(channels: int) -> str:
    if channels == 3:
        return "(rows, cols, 3) colour or a (planes, rows, cols, 3) stack"
    return "(rows, cols) grey or a (planes, rows, cols) stack"


@dataclass
class RunObjectives:
    """The extra objectives of one run (see the module docstring)."""

    anchor: StartAnchor | None = None
    teacher: MeanTeacher | None = None
    domain: DomainAlignment | None = None
    source_share: float = 0.5  # source patches per painted patch (domain alignment)
    notices: list[str] = field(default_factory=list)
    unlabelled_planes: int = 0  # extra unlabelled planes the pseudo-labels may come from

    @property
    def active(self) -> bool:
        """Whether anything beyond the painted pixels teaches."""
        return not (self.anchor is None and self.teacher is None and self.domain is None)

    def record(self) -> dict:
        """What the run's provenance keeps of them beyond the options (notices, extra planes)."""
        kept: dict = {"notices": list(self.notices)} if self.notices else {}
        if self.unlabelled_planes:
            kept["unlabelled_planes"] = self.unlabelled_planes  # not hashed: not repeatable
        if self.teacher is not None:  # how it taught, so retrain can say when that changed
            kept["teacher"] = self.teacher.describe()
        if self.domain is not None:  # follows the start model: said, so retrain can compare
            kept["domain_source"] = "wider world" if self.domain.source.world else "Voronoi grains"
        return kept

    def in_words(self) -> str:
        """What teaches besides the painted pixels, e.g. ``'L2-SP, MMD, pseudo-labels'``."""
        words = ["L2-SP"] if self.anchor is not None else []
        words += [] if self.domain is None else [self.domain.kind.upper()]
        words += ["pseudo-labels"] if self.teacher is not None else []
        return ", ".join(words)

    def attach(
        self, optimizer: torch.optim.Optimizer, base_lrs: dict, device: torch.device
    ) -> None:
        """Put the DANN classifier on ``device`` with its own optimiser group (``'domain'``)."""
        if self.domain is not None and self.domain.classifier is not None:
            self.domain.classifier.to(device)
            base_lrs["domain"] = 1e-3
            optimizer.add_param_group(
                {"params": list(self.domain.classifier.parameters()), "lr": 1e-3, "name": "domain"}
            )

    def inputs(self, batch_size: int, device: torch.device) -> tuple[list[torch.Tensor], int]:
        """Extra patches for this step: ``[unlabelled?, source?]`` and how many are decoded."""
        n = max(1, round(batch_size * self.source_share))
        parts, decoded = [], 0
        if self.teacher is not None:  # its own share: a teacher keeping the start takes fewer
            decoded = max(1, round(batch_size * self.teacher.crops_per_patch))
            parts.append(self.teacher.inputs(decoded, device))
        if self.domain is not None:
            parts.append(self.domain.source.batch(n))
        return parts, decoded

    def painted_weights(self, target: torch.Tensor) -> torch.Tensor | None:
        """Class weights of the painted pixels' cross-entropy (the teacher's prior shift)."""
        return None if self.teacher is None else self.teacher.painted_weights(target)

    def loss(
        self, logits: torch.Tensor, bottleneck: torch.Tensor, n_painted: int, progress: float
    ) -> torch.Tensor:
        """The extra loss: ``logits`` of the unlabelled crops, bottleneck of all patches."""
        total = logits.new_zeros(())
        if self.teacher is not None:
            total = total + self.teacher.loss(logits, progress)
        if self.domain is not None:
            n_user = n_painted + (len(logits) if self.teacher is not None else 0)
            target, source = bottleneck[:n_user], bottleneck[n_user:]
            total = total + self.domain.loss(source.float(), target.float(), progress)
        return total

    def after_step(self, net: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        """L2-SP pull and the mean teacher's update."""
        if self.anchor is not None:
            self.anchor.pull(optimizer)
        if self.teacher is not None:
            self.teacher.follow(net)


def run_objectives(
    net: nn.Module,
    *,
    adaptation: str,
    semi_supervised: bool,
    planes: Sequence[PaintedPlane],
    unlabelled: Sequence[np.ndarray],
    normalization: Normalization,
    channels: int,
    pipeline: AugmentationPipeline | None,
    patch_size: int,
    seed: int,
    pretrained: bool,
    source_world: bool = False,
    keeps_start: bool = False,
) -> RunObjectives:
    """The run's extra objectives (not :attr:`~RunObjectives.active` when only paint teaches).

    Parameters
    ----------
    net : torch.nn.Module
        The network about to be trained (after AdaBN): the start the anchor keeps.
    adaptation : str
        ``'none'``, ``'l2sp'``, ``'mmd'``, ``'dann'`` or a ``+`` join (:func:`parse_adaptation`).
    semi_supervised : bool
        Learn from confident pseudo-labels on unpainted pixels.
    planes : list of PaintedPlane
        The normalised painted planes.
    unlabelled : list of numpy.ndarray
        Extra normalised unlabelled planes (:func:`unlabelled_planes`).
    normalization : Normalization
        The model's (for the synthetic source patches).
    channels : int
        The images' channel count.
    pipeline : AugmentationPipeline or None
        The run's augmentation.
    patch_size, seed : int
        As the run's.
    pretrained : bool
        False from scratch: there is no start worth anchoring to (``l2sp`` is
        then dropped with a notice).
    source_world : bool
        The start learned the wider synthetic world: ``mmd`` / ``dann`` align
        with that mixture rather than Voronoi grains alone.
    keeps_start : bool
        The painting is strokes and the output head is the start model's own
        (never from scratch, nor for another class count): the mean teacher
        keeps close to the start model and weighs the painting to the images'
        class mix (see :class:`~napari_finetune.training.unlabelled.MeanTeacher`).
    """
    levers = parse_adaptation(adaptation)
    objectives = RunObjectives(unlabelled_planes=len(unlabelled) if semi_supervised else 0)
    if "l2sp" in levers:
        if pretrained:
            fresh = {name for name, _ in net.named_parameters() if name.startswith("head.")}
            objectives.anchor = StartAnchor(net, fresh=fresh)
        else:
            objectives.notices.append("L2-SP needs a pretrained start: from scratch it is off.")
    if semi_supervised:
        crops = UnpaintedCrops(list(planes), list(unlabelled), patch_size, seed)
        if crops.has_pixels:
            objectives.teacher = MeanTeacher(net, crops, pipeline, seed, keeps_start=keeps_start)
        else:
            objectives.notices.append(
                "every pixel is painted and no unlabelled images were given: "
                "training without pseudo-labels."
            )
    kind = next((n for n in levers if n in ("mmd", "dann")), None)
    if kind is not None:
        source = SourcePatches(normalization, channels, patch_size, seed, source_world)
        width = net.config.widths[-1]
        objectives.domain = DomainAlignment(kind, source, width, seed)
    return objectives
