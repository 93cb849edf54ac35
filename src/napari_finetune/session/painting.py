"""What a new painting layer holds: its classes, their colours, and the brush to start with.

A new labels layer to paint on gets one named class per class of the model
that will learn from it (the session's current model, else the grain classes
of the shipped one), each in a colour of its own that stays distinct on a grey
micrograph, also for red-green colour-blind users.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from napari_finetune.models.model import DEFAULT_CLASSES

if TYPE_CHECKING:
    from napari_finetune.models.model import SegmentationModel

# Class 1 and 2 match the painted sample's colours (cyan interior, magenta boundary).
# Amber is left out: it is the colour of the samples' exact boundaries.
PALETTE: tuple[tuple[str, str], ...] = (
    ("#00c8ff", "cyan"),
    ("#ff2ec4", "magenta"),
    ("#b6ff00", "lime"),
    ("#ff7f0e", "orange"),
    ("#9a7bff", "violet"),
    ("#ffffff", "white"),
    ("#ffe119", "yellow"),
    ("#e6194b", "red"),
)
# The brush starts at this share of the image's shorter side, within these bounds (px).
BRUSH_SHARE, MIN_BRUSH, MAX_BRUSH = 0.01, 3, 40


class PaintClass(NamedTuple):
    """One class of a new painting: its name and colour (hex and in words)."""

    name: str
    colour: str
    colour_name: str


def painting_classes(
    model: SegmentationModel | None = None, names: dict[int, str] | None = None
) -> dict[int, PaintClass]:
    """The classes of a new painting layer, by the value painted.

    Parameters
    ----------
    model : SegmentationModel, optional
        The model that will learn from the painting; its ``classes`` name the
        values. Without one, the shipped models' classes (1 grain interior,
        2 boundary).
    names : dict, optional
        The user's names of the classes (value -> name): they win, and their
        number is the number of classes.

    Returns
    -------
    dict
        Value (1..K) -> :class:`PaintClass`; colours repeat after
        ``len(PALETTE)`` classes.
    """
    if not names:
        names = dict(model.classes) if model is not None and model.classes else DEFAULT_CLASSES
    return {
        value: PaintClass(name, *PALETTE[(value - 1) % len(PALETTE)])
        for value, name in sorted(names.items())
    }


def renamed_classes(
    had: Mapping[object, str], names: Mapping[int, str] | None
) -> dict[int, PaintClass]:
    """A painting's classes after renaming: the names given, the old ones for other values.

    Parameters
    ----------
    had : mapping
        The painting's class names now (its metadata; keys that are not painted
        values are dropped).
    names : mapping or None
        The new names (None: none known, the old names stay).
    """
    kept = {int(k): name for k, name in had.items() if str(k).isdigit()}
    return painting_classes(names=kept | dict(names or {}))


def painting_legend(classes: dict[int, PaintClass]) -> str:
    """``'1 = grain interior (cyan), 2 = boundary (magenta)'``: what to paint with which value."""
    return ", ".join(f"{value} = {c.name} ({c.colour_name})" for value, c in classes.items())


def painting_brush_size(shape: Sequence[int]) -> int:
    """A brush width (px) for painting on an image plane of ``shape`` (last two axes).

    About 1 % of the shorter side: 5 px on 512², as wide as a grain boundary
    there, and still a few strokes per grain on a 4096² micrograph.
    """
    side = min(int(n) for n in shape[-2:])
    return int(min(MAX_BRUSH, max(MIN_BRUSH, round(BRUSH_SHARE * side))))


def paint_first(unpainted: list[str]) -> str:
    """What to do before *Fine-tune*: paint, on a new painting layer where there is none.

    Parameters
    ----------
    unpainted : list of str
        Names of the chosen images that have no painted labels layer chosen.
    """
    if not unpainted:
        return "Paint a few strokes (1, 2, …) and click Fine-tune."
    names = ", ".join(f"'{name}'" for name in unpainted)
    return f"Nothing painted on {names} yet: click New painting layer, paint, then Fine-tune."


def new_painting(name: str, classes: dict[int, PaintClass]) -> str:
    """The status after *New painting layer*: where to paint, and with which value."""
    return f"Paint on '{name}': {painting_legend(classes)}. Then click Fine-tune."
