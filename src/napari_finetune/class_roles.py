"""Which of a model's classes are thin (boundaries, membranes), read from their names.

A thin class is a line between regions, not a region. Validation scores it in
a tolerance band beside the painted line
(:mod:`~napari_finetune.training.held_out_score`), and phase fractions give
its pixels to the nearest phase, as if boundaries had no width
(:mod:`~napari_finetune.measure.phases`). The name decides, since the user
names the classes (``'boundary'``, ``'membrane'``; a superalloy's
``'secondary γ′'`` is a phase). Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

# Words in a class name that mark a thin class.
THIN_WORDS = ("boundar", "membrane", "edge", "outline", "wall", "contour")


def thin_classes(classes: Mapping[int, str]) -> set[int]:
    """The classes whose name says they are thin (boundaries, membranes, …)."""
    return {k for k, name in classes.items() if any(w in name.lower() for w in THIN_WORDS)}


def names_by_value(said: object) -> dict[int, str] | None:
    """``{value: name}`` from metadata (keys may be strings after a file); None if none or bad."""
    if not isinstance(said, Mapping) or not said:
        return None
    try:
        return {int(value): str(name) for value, name in said.items()}
    except (TypeError, ValueError):  # edited by hand
        return None
