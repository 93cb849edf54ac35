"""One image of a labelling session and the labels painted on it."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from napari_finetune.data.channel_axis import without_grey_axes
from napari_finetune.session.lazy_rule import is_deep_stack
from napari_finetune.training.events import Preparing


@dataclass(frozen=True)
class Pair:
    """An image, the labels painted on it, and the plane in view.

    Attributes
    ----------
    image : array-like
        2D grey, RGB, or a stack of either: a NumPy array, or a lazy one (Dask,
        Zarr: what a napari layer may hold) that :meth:`read` reads. Only ever
        read, so a pair may hold a layer's own array (no copy where it is made).
        A grey image with its channel axis of 1 (``(rows, cols, 1)``, ``(planes,
        rows, cols, 1)``) is held without it, a view
        (:func:`~napari_finetune.data.channel_axis.without_grey_axes`), and so
        are labels painted with that axis.
    labels : numpy.ndarray
        Painted labels of the image's pixels (0 = unpainted, 1..K = classes);
        may be all zero: the image then gets predictions and suggestions but
        adds nothing to training.
    name : str
        The image's name: results are named after it (``<name> prediction``).
    plane : int or None
        For a stack, the plane the user looks at: live previews and suggestions
        cover that plane. None for 2D images.
    """

    image: ArrayLike
    labels: np.ndarray
    name: str
    plane: int | None = None

    def __post_init__(self) -> None:
        image, labels = without_grey_axes(self.image, self.labels)
        if labels is not self.labels and np.ndim(labels) == 2:
            # A plane given for (rows, cols, 1) labels indexed their rows (a viewer's
            # slider over the channel axis shown as a stack): the grey image has none.
            object.__setattr__(self, "plane", None)
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "labels", labels)
        stack = np.ndim(self.labels) == 3
        if stack and self.plane is None:
            object.__setattr__(self, "plane", 0)
        if not stack and self.plane is not None:
            raise ValueError(f"image '{self.name}' is 2D: it has no plane {self.plane}.")
        if stack and not 0 <= self.plane < np.shape(self.labels)[0]:
            raise ValueError(
                f"image '{self.name}' has {np.shape(self.labels)[0]} planes: "
                f"there is no plane {self.plane}."
            )

    @property
    def deep(self) -> bool:
        """Whether the image is a deep stack, read and predicted plane by plane.

        See :mod:`~napari_finetune.session.deep_stacks` (the rule:
        :func:`~napari_finetune.session.lazy_rule.is_deep_stack`).
        """
        return is_deep_stack(tuple(np.shape(self.labels)))

    def read(self) -> Pair:
        """The pair with its image in memory: a lazy image is read whole, here.

        A round needs every plane of an image that is not a deep stack
        (training and the final predictions cover them all), so
        :class:`~napari_finetune.session.LabellingSession` calls this once, in
        the thread that runs the round, never where the pair is made (the
        viewer's GUI thread). A NumPy image is kept as it is (no copy), and so
        is a deep stack: the round reads only the planes it needs, when it
        needs them (:mod:`~napari_finetune.session.deep_stacks`).

        Returns
        -------
        Pair
            ``self`` when the image is a NumPy array already or a deep stack,
            else a pair with the image read into one.
        """
        if self.deep:
            return self
        image = np.asarray(self.image)
        return self if image is self.image else replace(self, image=image)

    @property
    def painted_pixels(self) -> int:
        """How many pixels are painted."""
        return int(np.count_nonzero(self.labels))

    @property
    def plane_image(self) -> np.ndarray:
        """The image of the plane in view (the whole image when 2D; lazy if the image is)."""
        return self.image if self.plane is None else self.image[self.plane]

    @property
    def plane_labels(self) -> np.ndarray:
        """The labels of the plane in view."""
        return self.labels if self.plane is None else self.labels[self.plane]


def read_pairs(pairs: list[Pair]) -> Generator[Preparing, None, list[Pair]]:
    """Each pair with its image in memory (:meth:`Pair.read`; not a deep stack), errors naming it.

    A generator: before reading a lazy image it yields a :class:`Preparing`
    event, so the status line says what takes the time and *Stop* (closing the
    generator) is honoured between images. NumPy images are taken as they are.

    Parameters
    ----------
    pairs : list of Pair
        Pairs whose images may be lazy (Dask, Zarr).

    Returns
    -------
    list of Pair
        The same pairs, their images read (the generator's return value).

    Raises
    ------
    ValueError
        When an image cannot be read (its file gone, a network share down), naming it.
    """
    read = []
    for number, pair in enumerate(pairs):
        if not isinstance(pair.image, np.ndarray) and not pair.deep:
            yield Preparing(f"reading '{pair.name}'", number / len(pairs) * 0.1)
        try:
            read.append(pair.read())
        except (OSError, ValueError) as err:
            raise ValueError(f"image '{pair.name}' could not be read: {err}") from None
    return read
