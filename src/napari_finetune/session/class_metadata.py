"""What a result layer's metadata says of its classes: written, and read back.

A prediction layer records each class's name, colour and colour name
(:func:`colours_metadata`); a probabilities layer its names. Measure grains
and the CLI read the names back (:func:`class_names_of`) to name the phases
and to know which class is a boundary.
"""

from __future__ import annotations

from collections.abc import Mapping

from napari_finetune.session.result_style import ClassColour


def colours_metadata(colours: dict[int, ClassColour]) -> dict[int, dict[str, str]]:
    """What a prediction layer's metadata says of its classes: name, colour, colour name."""
    return {
        k: {"name": c.name, "colour": c.colour, "colour name": c.colour_name}
        for k, c in colours.items()
    }


def class_names_of(metadata: object) -> dict[int, str] | None:
    """The class names a prediction layer's metadata records (:func:`colours_metadata`).

    Keys may have become strings on the way through a file; None when the
    metadata records no classes.
    """
    ours = metadata.get("napari_finetune") if isinstance(metadata, Mapping) else None
    classes = ours.get("classes") if isinstance(ours, Mapping) else None
    if not isinstance(classes, Mapping):
        return None
    names = {}
    for key, said in classes.items():
        if isinstance(said, Mapping) and isinstance(said.get("name"), str):
            try:
                names[int(key)] = said["name"]
            except (TypeError, ValueError):
                continue
    return names or None
