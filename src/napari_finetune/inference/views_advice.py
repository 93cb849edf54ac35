"""Whether a painting's model should predict averaged over its views.

Averaging the flipped and rotated views a model trained with
(:mod:`~napari_finetune.inference.views`) costs 4–7× the prediction time
and helps only where those views are symmetries of the sample. On box
paintings it was not a win on every set measured: it lifted the EM membranes
and the superalloy's phases and cost 0.011 F1 on task B's grains elongated at
30° (README, *Average flipped and rotated views*). A model fine-tuned on
strokes gains more, because its guesses vary more between views: on task B's
stroke paintings (6 + 6 strokes on 3 images, 60 s, six seeds; 2026-12-07,
fifth session) averaging lifted the median F1 from 0.879 to 0.885, five seeds
of six (the sixth −0.003); on isbi2012's EM membranes painted with strokes
and NIST steel's grain boundaries painted with strokes (3 seeds each) it
lifted every seed (+0.002 to +0.004), on the superalloy's phases painted
with strokes too (+0.010 to +0.016), and the demo's strokes kept
0.999–1.000. So
``average_views='auto'`` (a labelling round's default, the dock's suggestion)
averages for a painting whose classes rarely meet, the test pseudo-labels use
(:mod:`~napari_finetune.training.class_contact`), and keeps one view for boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_finetune.training.class_contact import (
    Contact,
    SwitchAdvice,
    advise_for_strokes,
    resolve_switch,
)

STROKES_VIEWS = (
    "On (suggested): your painting is strokes; averaging the flipped and rotated views "
    "lifted stroke-trained models in 14 of 15 runs (EM membranes, etched steel, "
    "superalloy phases, synthetic grains), at 4-7x the prediction time."
)
BOXES_VIEWS = (
    "Off (suggested): on box paintings averaging did not help every set measured (it "
    "cost grains elongated one way); tick it for samples with no preferred direction "
    "(4-7x the prediction time)."
)
NOTHING_PAINTED = "Suggested once you paint: on for strokes."


def suggest_average_views(painting: Sequence[np.ndarray] | Contact) -> SwitchAdvice:
    """Averaged views on for a painting whose classes rarely meet (strokes), else off.

    Parameters
    ----------
    painting : sequence of numpy.ndarray, or Contact
        The painted labels of the run (0 = unpainted), or their measured contact.
    """
    return advise_for_strokes(painting, STROKES_VIEWS, BOXES_VIEWS, NOTHING_PAINTED)


def resolve_average_views(
    average_views: bool | str, labels: Sequence[np.ndarray] | Contact
) -> bool:
    """``average_views`` as a round uses it: ``'auto'`` asks :func:`suggest_average_views`.

    Raises
    ------
    ValueError
        Anything but True, False or ``'auto'``.
    """
    return resolve_switch("average_views", average_views, labels, suggest_average_views)
