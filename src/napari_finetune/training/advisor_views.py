"""Whether the recommended candidate should predict averaged over its views.

With ``average_views`` the strategy advisor scores each run's kept weights a
second time on the same held-out regions, each crop averaged over the flips and
turns the run trained with (:mod:`~napari_finetune.training.held_out_views`).
The pick itself is made on the plain scores, as a prediction without views
would use it; this then says whether to tick *average flipped and rotated
views* for it. Each seed's two scores come from the same weights, so the
difference between them is free of the training's noise, but not of which
pixels were held out: on the benchmark paintings (four held-out boxes of 48²)
the held-out lift of 8-s runs agreed in sign with the lift on the sets' test
images about as often as a coin would (README, *BatchNorm: the start model's
statistics or AdaBN's*). So the box is ticked only when redrawing the held-out
regions (the paired bootstrap of :mod:`~napari_finetune.training.held_out_lead`,
on at least ``MIN_LEAD_REGIONS`` regions) keeps the views ahead in
``SURE_SHARE`` of the draws, the median over seeds rises by at least
``MIN_VIEWS_LIFT`` (views cost 4–7× the prediction time) and no seed falls;
cleared only when they are as surely behind; otherwise left as the user set it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from napari_finetune.training.held_out_lead import MIN_LEAD_REGIONS, SURE_SHARE, lead_share

# Said when the held-out regions cannot decide: what the benchmarks' test images showed.
UNSURE_ADVICE = (
    "On this project's benchmarks views helped samples with no preferred direction (EM "
    "membranes, etched steel, a superalloy) and cost grains elongated one way."
)

# Smallest median lift over seeds worth 4-7x the prediction time: a chosen margin,
# about the held-out score's rounding in the verdict, not a break point of the data.
MIN_VIEWS_LIFT = 0.002


@dataclass(frozen=True)
class ViewsVerdict:
    """Whether to average views, with the scores that say so."""

    use: bool | None  # tick the box, clear it, or leave it as the user set it (not sure)
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
        None when no run was scored with views (not asked for). Its ``use`` is
        True (tick the box) or False (clear it) only when the held-out regions are
        sure of it; None leaves the box as the user has it.
    """
    judged = [r for r in runs if r.score is not None and r.views_score is not None]
    if not judged:
        return None
    views = judged[0].views
    if views <= 1:
        return ViewsVerdict(
            None,
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
    regions = min(len(r.regions) for r in judged)
    said = (
        f"Averaged over its {views} views (the flips and turns it trained with) it scores "
        f"{median:.3f} held out, {lift:+.3f} at the median"
    )
    use = None
    if regions < MIN_LEAD_REGIONS or share is None:
        text = (
            f"{said}; on {regions} held-out region{'s' if regions != 1 else ''} that cannot "
            "be told from which pixels were held out, so *average flipped and rotated views* "
            f"stays as you set it. {UNSURE_ADVICE}"
        )
    elif lift >= MIN_VIEWS_LIFT and min(lifts) >= 0 and share >= SURE_SHARE:
        use = True
        text = (
            f"{said}, lower on no seed and ahead in {share:.0%} of redrawn held-out regions: "
            "tick *average flipped and rotated views* (4–7× the prediction time)."
        )
    elif lift < 0 and share <= 1 - SURE_SHARE:
        use = False
        text = f"{said}, behind in {1 - share:.0%} of redrawn held-out regions: leave them off."
    else:
        text = (
            f"{said} (ahead in {share:.0%} of redrawn held-out regions"
            f"{', lower on one seed' if min(lifts) < 0 else ''}): not sure either way, so "
            f"*average flipped and rotated views* stays as you set it. {UNSURE_ADVICE}"
        )
    return ViewsVerdict(use, views, median, lift, share, text)
