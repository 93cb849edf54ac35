"""What a strategy comparison found: one result per run, a table, and a recommendation.

The recommendation is taken where the user stands: with all their painted
labels (the largest subset), or, when the comparison was stopped, on the
largest subset where every candidate ran all its seeds (then never *clear*).
The strategy with the best median held-out score over seeds is named; it is
called *clear* only when its worst seed beats every other strategy's best
seed, and its lead holds over resamples of the held-out regions
(:mod:`~napari_finetune.training.held_out_lead`): two seeds measure the
training's noise, not which pixels were held out. On fewer than
``MIN_LEAD_REGIONS`` held-out regions that cannot be judged: a lean at most.
Otherwise the text says which strategies are within noise of it, so a user
does not read a difference of a few thousandths as a verdict. When start
models were compared too, a candidate is a strategy *from* a start model, and
the pick names both.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import pandas as pd

from napari_finetune.training.advisor_candidates import candidate_name
from napari_finetune.training.held_out_lead import MIN_LEAD_REGIONS, SURE_SHARE, lead_share
from napari_finetune.training.held_out_regions import RegionCounts


@dataclass(frozen=True)
class RunResult:
    """One training run of a comparison and its held-out score."""

    strategy: str
    fraction: float  # share of the training regions
    painted_pixels: int  # painted pixels trained on
    seed: int
    score: float | None  # held-out score of the kept weights
    history: list[dict] = field(default_factory=list)  # per epoch: losses and scores
    seconds: float = 0.0
    steps: int = 0
    bn_mode: str = "auto"  # BatchNorm handling; 'auto' is the strategy's usual one
    start: str = ""  # the start model's name when several were compared, else ''
    # The kept weights' counts per held-out region (same regions for every run).
    regions: tuple[RegionCounts, ...] = field(default=(), repr=False, compare=False)
    pseudo_labels: str = "auto"  # 'auto' (the painting decides), 'on' or 'off'

    @property
    def candidate(self) -> str:
        """What was compared: the strategy, its start, BatchNorm and pseudo-labels where named.

        ``'finetune'``, ``'finetune from voronoi-unet'``, ``'head (BN frozen)'``,
        ``'finetune (BN frozen, pseudo-labels)'``.
        """
        return candidate_name(self.strategy, self.bn_mode, self.start, self.pseudo_labels)


@dataclass(frozen=True)
class Recommendation:
    """The strategy to use, its score range, and how sure that is."""

    candidate: str  # as in the table: 'finetune' or 'finetune from voronoi-unet (BN adapt)'
    strategy: str
    bn_mode: str
    median: float
    low: float
    high: float
    clear: bool  # its worst seed beats every other's best, on most draws of the regions
    close: tuple[str, ...]  # strategies whose range overlaps its range
    text: str
    start: str = ""  # the start model to use when several were compared, else ''
    # Candidates its seeds beat, but not over resamples of the held-out regions.
    unsure: tuple[str, ...] = ()
    painted_pixels: int = 0  # the subset judged: the largest where every candidate ran
    # Candidates without every seed on all the painted px (a stopped comparison).
    missing: tuple[str, ...] = ()
    # Every candidate ran every seed on the subset judged; else only the best so far.
    complete: bool = True
    pseudo_labels: str = "auto"  # 'on' / 'off' when compared, else the painting decides


@dataclass(frozen=True)
class StrategyComparison:
    """Every run of a comparison."""

    runs: tuple[RunResult, ...]
    held_out_pixels: int
    grouping: str
    caution: str | None = None  # why its runs may be too short to rank, said with the pick
    # The plan (ComparisonStarted): every candidate, seed and subset's painted px.
    # Empty: taken from the runs (a comparison that ran to the end has them all).
    candidates: tuple[str, ...] = ()
    seeds: tuple[int, ...] = ()
    subsets: tuple[int, ...] = ()

    def table(self) -> pd.DataFrame:
        """Median, lowest and highest held-out score per candidate and subset size."""
        rows = []
        for (strategy, pixels), runs in self._groups().items():
            scores = [r.score for r in runs if r.score is not None]
            rows.append(
                {
                    "strategy": strategy,
                    "start": runs[0].start or "–",
                    "painted_pixels": pixels,
                    "fraction": runs[0].fraction,
                    "seeds": len(runs),
                    "median": statistics.median(scores) if scores else None,
                    "low": min(scores) if scores else None,
                    "high": max(scores) if scores else None,
                }
            )
        return pd.DataFrame(rows)

    def recommendation(self) -> Recommendation:
        """The best candidate where every candidate ran all its seeds, and how sure that is.

        It is judged on the largest subset where every candidate has a scored run
        for every seed: all the painted labels when the comparison ran to the end.
        A stopped comparison is judged on a smaller subset (never *clear*: the
        ranking can change with more labels) and says which candidates are
        missing with all the labels; when no subset is complete, the best so far
        is named with ``complete`` False (not a pick to use).

        Raises
        ------
        ValueError
            When no run was scored (the comparison was stopped before any).
        """
        scored = [r for r in self.runs if r.score is not None]
        if not scored:
            raise ValueError("no run was scored: let the comparison run longer.")
        sizes = sorted({*self.subsets, *(r.painted_pixels for r in self.runs)})
        largest = sizes[-1]
        whole = [px for px in sizes if not self._missing_at(px)]
        complete = bool(whole)
        most = whole[-1] if whole else max(r.painted_pixels for r in scored)
        missing = self._missing_at(largest)
        ranges = {}
        for (strategy, pixels), runs in self._groups().items():
            scores = [r.score for r in runs if r.score is not None]
            if pixels == most and scores:
                ranges[strategy] = (statistics.median(scores), min(scores), max(scores))
        best = max(ranges, key=lambda s: ranges[s][0])
        median, low, high = ranges[best]
        close = tuple(
            s for s, (_, _, other_high) in ranges.items() if s != best and other_high >= low
        )
        at_most = [r for r in scored if r.candidate == best and r.painted_pixels == most]
        seeds = len(at_most)
        chosen = at_most[0]
        shares = self._lead_shares(best, [s for s in ranges if s != best and s not in close], most)
        unsure = tuple(s for s, share in shares.items() if share < SURE_SHARE)
        regions = min(len(r.regions) for r in at_most)
        judged = regions >= MIN_LEAD_REGIONS
        where = (
            f"with all {most:,} painted px"
            if most == largest
            else f"on {most:,} of the {largest:,} painted px"
        )
        said = (
            f"{best}: held-out F1 {median:.3f} ({low:.3f}–{high:.3f} over {seeds} "
            f"seed{'s' if seeds != 1 else ''}) {where}"
        )
        leads = ", ".join(f"{s} in {shares[s]:.0%}" for s in unsure)
        clear = not close and not unsure and judged and not missing
        if clear:
            text = f"{said}; its worst seed beats every other strategy's best: use {best}."
        elif not close and unsure:
            text = (
                f"{said}; its worst seed beats every other strategy's best, but redrawing "
                f"the held-out regions it stays ahead of {leads} of the draws: a lean, "
                f"not a verdict. Paint more regions to tell them apart."
            )
        elif not close:
            text = f"{said}; its worst seed beats every other strategy's best: a lean."
        else:
            others = ", ".join(f"{s} {ranges[s][0]:.3f}" for s in close)
            text = (
                f"{said}; the ranges overlap with {others}: within noise, {best} has the "
                "higher median. Paint more, or give each run more time, to tell them apart."
            )
            if unsure:
                text += f" Redrawing the held-out regions, it stays ahead of {leads} of the draws."
        if not judged:
            text += (
                f" It rests on {regions} held-out region{'s' if regions != 1 else ''}: too "
                "few to tell a lead from which pixels were held out, so at most a lean. "
                "Paint more regions."
            )
        if missing:
            text += " " + _stopped_note(missing, most, largest, complete)
        if self.caution:
            text = f"{text} Caution: {self.caution}"
        return Recommendation(
            best,
            chosen.strategy,
            chosen.bn_mode,
            median,
            low,
            high,
            clear,
            close,
            text,
            chosen.start,
            unsure,
            most,
            missing,
            complete,
            chosen.pseudo_labels,
        )

    def _missing_at(self, pixels: int) -> tuple[str, ...]:
        """Candidates without a scored run for every seed on ``pixels`` painted px."""
        candidates = self.candidates or tuple(dict.fromkeys(r.candidate for r in self.runs))
        seeds = set(self.seeds or (r.seed for r in self.runs))
        ran: dict[str, set[int]] = {}
        for r in self.runs:
            if r.painted_pixels == pixels and r.score is not None:
                ran.setdefault(r.candidate, set()).add(r.seed)
        return tuple(c for c in candidates if not seeds <= ran.get(c, set()))

    def _lead_shares(self, best: str, others: list[str], most: int) -> dict[str, float]:
        """Per other candidate: how often ``best`` leads it over redrawn held-out regions.

        Runs on ``most`` painted pixels (all of them) count; candidates whose runs
        carry no region counts are left out (nothing to redraw).
        """

        def regions_of(candidate: str) -> list[tuple[RegionCounts, ...]]:
            return [
                r.regions
                for r in self.runs
                if r.candidate == candidate and r.painted_pixels == most and r.score is not None
            ]

        shares = {s: lead_share(regions_of(best), regions_of(s)) for s in others}
        return {s: share for s, share in shares.items() if share is not None}

    def transfer_gap(self) -> dict[int, float]:
        """Per subset size: best pretrained strategy's median minus scratch's (when both ran)."""
        medians: dict[int, dict[str, float]] = {}
        for (strategy, pixels), runs in self._groups().items():
            scores = [r.score for r in runs if r.score is not None]
            if scores:
                medians.setdefault(pixels, {})[strategy] = statistics.median(scores)
        gaps = {}
        for pixels, by_strategy in sorted(medians.items()):
            pretrained = [v for s, v in by_strategy.items() if s != "scratch"]
            if "scratch" in by_strategy and pretrained:
                gaps[pixels] = max(pretrained) - by_strategy["scratch"]
        return gaps

    def _groups(self) -> dict[tuple[str, int], list[RunResult]]:
        groups: dict[tuple[str, int], list[RunResult]] = {}
        for run in self.runs:
            groups.setdefault((run.candidate, run.painted_pixels), []).append(run)
        return groups


def _stopped_note(missing: tuple[str, ...], most: int, largest: int, complete: bool) -> str:
    """What a stopped comparison could not judge, said with its pick."""
    names = ", ".join(missing)
    if not complete:
        return (
            f"Stopped before every candidate ran all its seeds on any share of the "
            f"painting ({names} missing on {largest:,} px): the best so far, not a pick. "
            "Let the comparison run longer."
        )
    return (
        f"Stopped before {names} ran every seed on all {largest:,} painted px: judged on "
        f"{most:,} px, where every candidate did, so at most a lean (the ranking can "
        "change with more labels)."
    )
