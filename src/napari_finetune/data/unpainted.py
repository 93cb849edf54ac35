"""Images nobody painted: unlabelled data for the pseudo-labels of a round or a comparison.

A round learns from the session's images with no paint at all as it learns
from the unpainted pixels of the painted ones, when its painting gets
pseudo-labels (:mod:`~napari_finetune.training.unlabelled`); *Compare
strategies…* gives its runs the same images, so that what it ranks is what a
round would train.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def unpainted_images(
    images: Sequence[object], labels: Sequence[object], painted_pixels: Sequence[int]
) -> list | None:
    """The images with no painted pixel, of the painted images' kind (grey or colour).

    Parameters
    ----------
    images, labels : sequences of arrays
        The images and their labels (0 = unpainted), e.g. a session's pairs.
    painted_pixels : sequence of int
        How many pixels of each image are painted (counted once by the caller:
        reading a lazy label layer again would cost a pass over it).

    Returns
    -------
    list or None
        The unpainted images whose channel axis matches the painted ones'
        (a colour image beside grey paintings would be refused as adaptation
        data); None when there are none.
    """
    triples = list(zip(images, labels, painted_pixels, strict=True))
    kind = {np.ndim(image) - np.ndim(lab) for image, lab, n in triples if n}
    unpainted = [
        image for image, lab, n in triples if not n and {np.ndim(image) - np.ndim(lab)} == kind
    ]
    return unpainted or None
