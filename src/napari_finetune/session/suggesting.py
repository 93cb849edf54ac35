"""One image's where-to-paint-next: its uncertainty map and ranked boxes.

The :class:`~napari_finetune.session.LabellingSession` asks this for every
pair after a round; the boxes are ranked on the uncertainty, times how typical
each region is, times (while a class is painted thinly) how much of that class
the model sees there. The map the user is shown stays the plain uncertainty.
"""

from __future__ import annotations

import numpy as np

from napari_finetune.inference.representativeness import representativeness
from napari_finetune.inference.suggest import rank_regions
from napari_finetune.inference.thin_class_emphasis import seeking_map
from napari_finetune.inference.uncertainty import uncertainty, uncertainty_and_prediction
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.events import Suggestions
from napari_finetune.session.options import SuggestionOptions
from napari_finetune.session.pairs import Pair


def suggestions_for(
    model: SegmentationModel,
    pair: Pair,
    options: SuggestionOptions,
    seed: int | None,
    favoured: list[int],
) -> Suggestions:
    """Uncertainty of ``model`` on ``pair``'s plane in view and the boxes to paint there.

    Parameters
    ----------
    model : SegmentationModel
        The session's current model.
    pair : Pair
        The image and its painting (boxes never touch painted pixels).
    options : SuggestionOptions
        Method, number and size of boxes, the factors' weights.
    seed : int or None
        The draw's seed for this image and round (None: the best boxes).
    favoured : list of int
        Thinly painted values over the whole session
        (:func:`~napari_finetune.inference.thin_class_emphasis.favoured_classes`).

    Returns
    -------
    Suggestions
        The map, the boxes best first with their scores, and the classes the
        ranking sought on this image (favoured ones the model sees here).
    """
    image = np.asarray(pair.plane_image)  # a lazy plane (outside a round) read once
    predicted = None
    if favoured and options.thin_class_weight:  # seeking: the map's own pass predicts too
        unsure, predicted = uncertainty_and_prediction(model, image, options.method)
    else:
        unsure = uncertainty(model, image, method=options.method)
    typical = representativeness(model, image, options.size) if options.typical_weight else None
    ranked_on, sought = seeking_map(
        model, image, unsure, favoured, options.thin_class_weight, predicted
    )
    ranked = rank_regions(
        ranked_on,
        pair.plane_labels,
        options.n,
        options.size,
        typical,
        options.typical_weight,
        seed,
    )
    top = float(max(np.percentile(unsure, 99.5), 1e-3))
    return Suggestions(
        pair.name,
        unsure,
        [box for box, _ in ranked],
        [score for _, score in ranked],
        pair.plane,
        top,
        tuple(model.classes.get(value, f"class {value}") for value in sought),
    )
