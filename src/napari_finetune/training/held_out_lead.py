"""How sure a lead is: one candidate's held-out score against another's, region by region.

Two seeds of each candidate say whether a lead survives the training's own
noise; they say nothing of which pixels were held out. Every run of a strategy
comparison is scored on the same held-out regions, so the regions can be
resampled (a paired bootstrap): the same draw of regions rescores every run,
and the leader's median over its seeds is compared with the other's. A lead
that holds in nearly every draw rests on most regions; one that holds in only
some rests on a few, and another painting could reverse it. (On isbi2012 the
advisor once called a start model *clear* by 0.003 on four held-out regions,
and 60-s runs on the test images put the other ahead on every seed.)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np

from napari_finetune.training.held_out_regions import RegionCounts
from napari_finetune.training.held_out_score import f1_of

LEAD_DRAWS = 400
# A lead is sure when it holds in at least this share of the draws (one-sided 5 %).
SURE_SHARE = 0.95
# Fewer held-out regions than this and no lead can be judged: with one region every
# draw is that region (the share is 0 or 1 whatever the lead), and with two to four
# a draw repeats the same few regions so often that one region decides most draws.
# The recommendation is then at most a lean, however far its seeds are apart.
MIN_LEAD_REGIONS = 5


def lead_share(
    leader: Sequence[Sequence[RegionCounts]],
    other: Sequence[Sequence[RegionCounts]],
    draws: int = LEAD_DRAWS,
    seed: int = 0,
) -> float | None:
    """Share of resamples of the held-out regions in which ``leader`` scores above ``other``.

    Parameters
    ----------
    leader, other : sequence of sequences of RegionCounts
        Each candidate's runs (one per seed), each run's counts per held-out
        region, the regions in the same order for every run.
    draws : int
        Bootstrap resamples of the regions.
    seed : int
        Of the resampling.

    Returns
    -------
    float or None
        The share of draws in which the leader's median score over its runs is
        higher (ties count half); None when it cannot be judged: a run without
        region counts, runs scored on different regions, or no draw with truth to score.
    """
    runs = [list(r) for r in (*leader, *other)]
    if not leader or not other or any(not r for r in runs) or len({len(r) for r in runs}) > 1:
        return None
    n = len(runs[0])
    rng = np.random.default_rng(seed)
    ahead, judged = 0.0, 0
    for _ in range(draws):
        chosen = rng.integers(0, n, n)
        mine = _median([[run[i] for i in chosen] for run in leader])
        theirs = _median([[run[i] for i in chosen] for run in other])
        if mine is None or theirs is None:
            continue  # a draw without painted truth scores neither
        judged += 1
        ahead += 1.0 if mine > theirs else 0.5 if mine == theirs else 0.0
    return ahead / judged if judged else None


def _median(runs: list[list[RegionCounts]]) -> float | None:
    scores = [s for s in (f1_of(regions) for regions in runs) if s is not None]
    return statistics.median(scores) if scores else None
