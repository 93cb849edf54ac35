"""Whether a painting's model should predict averaged over its views.

Averaging the flipped and rotated views a model trained with
(:mod:`~napari_finetune.inference.views`) costs about 4× the prediction time
and helps only where those views are symmetries of the sample. On box
paintings it was not a win on every set measured: it lifted the EM membranes
and the superalloy's phases and cost 0.011 F1 on task B's grains elongated at
30° (README, *Average flipped and rotated views*). A model fine-tuned on
strokes gains more, because its guesses vary more between views: on task B's
stroke paintings (6 + 6 strokes on 3 images, 60 s, six seeds; 2026-12-07,
fifth session) averaging lifted the median F1 from 0.879 to 0.885, five seeds
of six (the sixth −0.003), and the demo's strokes kept 0.999–1.000. So
``average_views='auto'`` (a labelling round's default, the dock's suggestion)
averages for a painting whose classes rarely meet, the test pseudo-labels use
(:mod:`~napari_finetune.training.class_contact`), and keeps one view for boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from napari_finetune.training.class_contact import STROKES_BELOW, class_contact, resolve_switch

STROKES_VIEWS = (
    "On (suggested): your painting is strokes; averaging the flipped and rotated views "
    "lifted stroke-trained models (+0.006 F1 at the median of six seeds), at ~4x the "
    "prediction time."
)
BOXES_VIEWS = (
    "Off (suggested): on box paintings averaging did not help every set measured (it "
    "cost grains elongated one way); tick it for samples with no preferred direction "
    "(~4x the prediction time)."
)
NOTHING_PAINTED = "Suggested once you paint: on for strokes."


@dataclass(frozen=True)
class ViewsAdvice:
    """Whether predictions average the model's views, and the sentence that says why."""

    on: bool
    explanation: str


def suggest_average_views(labels: Sequence[np.ndarray]) -> ViewsAdvice:
    """Averaged views on for a painting whose classes rarely meet (strokes), else off.

    Parameters
    ----------
    labels : sequence of numpy.ndarray
        The painted labels of the run (0 = unpainted).
    """
    contact = class_contact(labels)
    if contact is None:
        return ViewsAdvice(False, NOTHING_PAINTED)
    if contact < STROKES_BELOW:
        return ViewsAdvice(True, STROKES_VIEWS)
    return ViewsAdvice(False, BOXES_VIEWS)


def resolve_average_views(average_views: bool | str, labels: Sequence[np.ndarray]) -> bool:
    """``average_views`` as a round uses it: ``'auto'`` asks :func:`suggest_average_views`.

    Raises
    ------
    ValueError
        Anything but True, False or ``'auto'``.
    """
    return resolve_switch("average_views", average_views, labels, suggest_average_views)
