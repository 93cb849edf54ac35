"""An honest score on held-out painted pixels: a tolerance band, its size and its spread.

Held-out strokes are the easy pixels: scribbles in the middle of grains and
lines on boundaries. Scored pixel by pixel they gave 0.997-1.000 while the true
boundary F1 was 0.89, because what goes wrong in a prediction - thick, doubled
or wandering boundaries - happens *beside* the painted line, where nobody
painted. So thin classes (boundaries, membranes) are scored like the
benchmarks' boundary F1 with a 2-px tolerance, inside a band around each
held-out stroke:

- recall: held-out thin-class pixels with a prediction of that class within
  ``tolerance`` px;
- precision: predictions of the class inside the band (``band`` px around the
  held-out strokes, plus the held-out pixels themselves) that lie within
  ``tolerance`` px of any painted pixel of the class. A boundary drawn 5 px
  beside the traced one is a false positive, as it is against the truth.

Region classes are scored per pixel, excusing pixels within ``tolerance`` of a
painted thin-class pixel (where the border between them really is). The score
comes with its size (pixels, regions), a bootstrap range over held-out regions,
and a plain statement when it cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from napari_finetune.class_roles import thin_classes  # re-exported (in __all__)
from napari_finetune.training.held_out_regions import (  # re-exported: the score's parts
    BAND_PX,
    TOLERANCE_PX,
    RegionCounts,
    region_counts,
)

__all__ = [
    "BAND_PX",
    "TOLERANCE_PX",
    "HeldOutScore",
    "RegionCounts",
    "class_f1",
    "f1_of",
    "region_counts",
    "summarize",
    "thin_classes",
]

# Below these the score is shown with a warning rather than as a fact.
MIN_REGIONS, MIN_PIXELS, MAX_RANGE = 3, 200, 0.15
# Held-out interiors this far from boundaries are the easy pixels: with fewer
# than this share near a boundary the score says little about the boundaries.
MIN_NEAR_THIN = 0.1
BOOTSTRAP_DRAWS = 200


def class_f1(regions: list[RegionCounts]) -> dict[int, float]:
    """F1 of each class with painted truth in ``regions``, from the summed counts.

    Keyed by class value, in value order; a class predicted but never painted
    in these regions has no entry (its false positives count against the
    painted classes' precision).
    """
    totals: dict[int, np.ndarray] = {}
    for region in regions:
        for k, row in region.counts.items():
            totals[k] = totals.get(k, np.zeros(4)) + row
    scores = {}
    for k in sorted(totals):
        hit, truth, correct, predicted = totals[k]
        if truth == 0:
            continue
        recall = hit / truth
        precision = correct / predicted if predicted else 0.0
        scores[k] = (
            0.0 if recall + precision == 0 else 2 * precision * recall / (precision + recall)
        )
    return scores


def f1_of(regions: list[RegionCounts]) -> float | None:
    """Mean over classes of F1 from the summed counts (classes with painted truth only)."""
    scores = class_f1(regions)
    return float(np.mean(list(scores.values()))) if scores else None


@dataclass(frozen=True)
class HeldOutScore:
    """The validation score with what it rests on.

    Attributes
    ----------
    score : float or None
        Mean class F1 with the tolerance band (None: nothing held out).
    low, high : float or None
        5th and 95th percentile over bootstrap resamples of the held-out regions.
    pixels, regions : int
        Held-out painted pixels and the regions they form.
    caution : str or None
        Why the score cannot be trusted, in words (None when it can).
    counts : tuple of RegionCounts
        Each held-out region's counts, in the order of the regions: runs
        scored on the same held-out pixels can be compared region by region
        (:mod:`~napari_finetune.training.held_out_lead`).
    missing : tuple of int
        Painted classes with no held-out pixel (the caution names them).
    """

    score: float | None
    low: float | None = None
    high: float | None = None
    pixels: int = 0
    regions: int = 0
    caution: str | None = None
    counts: tuple[RegionCounts, ...] = field(default=(), repr=False, compare=False)
    missing: tuple[int, ...] = ()

    def record(self) -> dict[str, float | int | str | None]:
        """The fields a training history keeps for each epoch."""
        return {
            "validation_score": self.score,
            "validation_low": self.low,
            "validation_high": self.high,
            "validation_regions": self.regions,
            "validation_caution": self.caution,
        }

    def per_class(self) -> dict[int, float]:
        """F1 of each held-out class, by class value: the parts ``score`` is the mean of."""
        return class_f1(list(self.counts))

    def describe(self, classes: Mapping[int, str] | None = None) -> str:
        """E.g. "validation F1 0.912 (0.85–0.95) on 1,204 px in 4 regions".

        With ``classes`` (value -> name) each held-out class's F1 follows, e.g.
        "; per class: matrix 0.97, secondary γ′ 0.93, tertiary γ′ 0.62": a mean
        over three phases hides the one the model has not learnt.
        """
        if self.score is None:
            return "nothing held out for validation"
        spread = f" ({self.low:.2f}–{self.high:.2f})" if self.low is not None else ""
        said = (
            f"validation F1 {self.score:.3f}{spread} on {self.pixels:,} px in "
            f"{self.regions} region{'s' if self.regions != 1 else ''}"
        )
        parts = self.per_class() if classes is not None else {}
        if len(parts) > 1:
            named = (f"{_name(k, classes)} {f1:.2f}" for k, f1 in parts.items())
            said += f"; per class: {', '.join(named)}"
        caution = self.caution
        if classes is not None and self.missing and caution == _missing_caution(self.missing):
            caution = _missing_caution(self.missing, classes)  # by name, as just above
        return f"{said}; {caution}" if caution else said


def _name(k: int, classes: Mapping[int, str] | None) -> str:
    return (classes or {}).get(k, f"class {k}")


def _missing_caution(missing: tuple[int, ...], classes: Mapping[int, str] | None = None) -> str:
    """E.g. "class 3 is not among the held-out pixels: the score ignores it"."""
    names = [_name(k, classes) for k in missing]
    one = len(names) == 1
    return (
        f"{', '.join(names)} {'is' if one else 'are'} not among the held-out pixels: "
        f"the score ignores {'it' if one else 'them'}"
    )


def _share_near_thin(regions: list[RegionCounts]) -> float:
    """Share of held-out region-class pixels near a painted thin pixel (1 when none)."""
    total = sum(r.region_pixels for r in regions)
    return sum(r.near_thin for r in regions) / total if total else 1.0


def summarize(
    regions: list[RegionCounts], classes: set[int], thin: set[int] | None = None, seed: int = 0
) -> HeldOutScore:
    """Score, bootstrap range and trust of held-out regions covering ``classes``.

    ``thin`` are the classes scored with the band; without any, the "easy
    pixels" caution does not apply (a phase map has no boundaries to be near).
    """
    score = f1_of(regions)
    if score is None:
        return HeldOutScore(None)
    rng = np.random.default_rng(seed)
    draws = [
        f1_of([regions[i] for i in rng.integers(0, len(regions), len(regions))])
        for _ in range(BOOTSTRAP_DRAWS)
    ]
    draws = [d for d in draws if d is not None]
    low, high = (float(v) for v in np.percentile(draws, (5, 95)))
    pixels = sum(r.pixels for r in regions)
    seen = {k for r in regions for k, row in r.counts.items() if row[1]}
    missing = tuple(sorted(classes - seen))
    caution = None
    if len(regions) < MIN_REGIONS or pixels < MIN_PIXELS:
        caution = (
            f"too little held out to trust (fewer than {MIN_REGIONS} regions or "
            f"{MIN_PIXELS} px): paint a few more strokes"
        )
    elif missing:
        caution = _missing_caution(missing)
    elif thin and _share_near_thin(regions) < MIN_NEAR_THIN:
        caution = (
            "the held-out pixels are the easy ones (interior strokes far from boundaries): "
            "the true score is likely lower; paint a small box completely to validate on"
        )
    elif high - low > MAX_RANGE:
        caution = "the held-out regions disagree widely: take the score as a rough guide"
    return HeldOutScore(score, low, high, pixels, len(regions), caution, tuple(regions), missing)
