"""Whether the recommended candidate should predict averaged over its views.

With ``average_views`` the strategy advisor scores each run's kept weights a
second time on the same held-out regions, each crop averaged over the flips and
turns the run trained with (:mod:`~napari_finetune.training.held_out_views`).
The pick itself is made on the plain scores, as a prediction without views
would use it; this then says whether to tick *average flipped and rotated
views* for it. Each seed's two scores come from the same weights, so the
difference between them is free of the training's noise: views are advised when
they lift the median over seeds by at least ``MIN_VIEWS_LIFT`` and lower no seed,
because they cost 4–7× the prediction time. Redrawing the held-out regions (the
paired bootstrap of :mod:`~napari_finetune.training.held_out_lead`) says how much
rests on a few regions.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from napari_finetune.training.held_out_lead import MIN_LEAD_REGIONS, SURE_SHARE, lead_share

# Smallest median lift over seeds worth 4-7x the prediction time: a chosen margin,
# about the held-out score's rounding in the verdict, not a break point of the data.
MIN_VIEWS_LIFT = 0.002


@dataclass(frozen=True)
class ViewsVerdict:
    """Whether to average views, with the scores that say so."""

    use: bool
    views: int  # views averaged (1: the model trained with no flips or turns)
    median: float | None  # held-out score averaged over views, median over seeds
    lift: float | None  # median over seeds of (with views − without)
    share: float | None  # of redrawn held-out regions where views stay ahead
    text: str


def views_verdict(runs: Sequence[object]) -> ViewsVerdict | None:
    """The verdict on one candidate's runs (one per seed, on the same painted share).

    Parameters
    ----------
    runs : sequence of RunResult
        Each with ``score``, ``views_score``, ``views``, ``regions`` and
        ``views_regions``.

    Returns
    -------
    ViewsVerdict or None
        None when no run was scored with views (not asked for).
    """
    judged = [r for r in runs if r.score is not None and r.views_score is not None]
    if not judged:
        return None
    views = judged[0].views
    if views <= 1:
        return ViewsVerdict(
            False,
            views,
            None,
            None,
            None,
            "Averaged views: its training allowed no flips or turns, so there is one view "
            "and nothing to average.",
        )
    lifts = [r.views_score - r.score for r in judged]
    lift = statistics.median(lifts)
    median = statistics.median(r.views_score for r in judged)
    share = lead_share([r.views_regions for r in judged], [r.regions for r in judged])
    use = lift >= MIN_VIEWS_LIFT and min(lifts) >= 0
    seeds = "every seed" if len(judged) > 1 else "its one seed"
    said = (
        f"Averaged over its {views} views (the flips and turns it trained with) it scores "
        f"{median:.3f} held out, {lift:+.3f} at the median"
    )
    if use:
        text = f"{said} and no lower on {seeds}: tick *average flipped and rotated views*"
        text += " (4–7× the prediction time)."
        regions = min(len(r.regions) for r in judged)
        if regions < MIN_LEAD_REGIONS:
            text += f" It rests on {regions} held-out regions: a lean."
        elif share is not None and share < SURE_SHARE:
            text += f" Redrawing the held-out regions, views stay ahead in {share:.0%}: a lean."
    elif lift >= MIN_VIEWS_LIFT:
        low = min(lifts)
        text = f"{said}, but {low:+.3f} on one seed: leave averaged views off."
    else:
        text = f"{said}: not worth 4–7× the prediction time; leave averaged views off."
    return ViewsVerdict(use, views, median, lift, share, text)
