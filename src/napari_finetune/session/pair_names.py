"""Errors about a session's images say which image, by the name the user knows.

The engine counts the painted images it was given (``image 0``); a user knows
layers and files by name, and unpainted rows shift the count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

# "image 3" of the painted images, not "unlabelled image 3" (counted over others)
_IMAGE_INDEX = re.compile(r"(?<!unlabelled )\bimage (\d+)\b")


@contextmanager
def naming(image: str) -> Iterator[None]:
    """A ValueError about one image says which (after training, several may follow)."""
    try:
        yield
    except ValueError as err:
        raise ValueError(f"image '{image}': {err}") from None


def naming_images(events: Iterator, names: list[str]) -> Iterator:
    """``events`` of an engine run on the images ``names``, its errors naming them.

    ``image 3`` in a ValueError becomes ``image 'grains 2'``. Closing this
    closes ``events`` (the engine's clean-up keeps the best weights).
    """

    def named(match: re.Match) -> str:
        index = int(match.group(1))
        return f"image '{names[index]}'" if index < len(names) else match.group(0)

    try:
        yield from events
    except ValueError as err:
        raise ValueError(_IMAGE_INDEX.sub(named, str(err))) from None


def check_one_kind(names: list[str], images: list, labels: list) -> None:
    """ValueError naming a grey and a colour image when both are painted (one model, one kind)."""
    colour = [
        np.ndim(image) > np.ndim(painted) for image, painted in zip(images, labels, strict=True)
    ]
    if len(set(colour)) > 1:
        grey, rgb = colour.index(False), colour.index(True)
        raise ValueError(
            f"image '{names[grey]}' is grey but '{names[rgb]}' is colour (RGB): one model "
            "trains on one kind; paint images of one kind, or convert them."
        )
