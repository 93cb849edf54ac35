"""What a strategy comparison compares: strategy × BatchNorm × start model × pseudo-labels.

A *candidate* is one way of training that the comparison runs with every seed on
every share of the painting. ``scratch`` runs once, with its usual BatchNorm, the
first pseudo-label choice and no start model; every other strategy runs with each
BatchNorm mode and pseudo-label choice, from each start model.
The names here are those of the table, the plot and the recommendation.
"""

from __future__ import annotations

from typing import NamedTuple

from napari_finetune.choices import BN_CHOICES, PSEUDO_LABEL_CHOICES, STRATEGY_CHOICES
from napari_finetune.training.advisor_plan import DEFAULT_FRACTIONS

DEFAULT_SEEDS = (0, 1)

# Seconds a run takes beyond its training budget (start, BatchNorm adaptation,
# validation), measured on this project's 2-core CPU; for the time estimate.
RUN_OVERHEAD_SECONDS = 1.5


def pseudo_label_choice(semi_supervised: bool | str) -> str:
    """The pseudo-label choice of ``fit``'s ``semi_supervised`` (True, False or 'auto').

    The inverse of :data:`~napari_finetune.choices.SEMI_SUPERVISED_OF`.

    >>> pseudo_label_choice(True), pseudo_label_choice("auto")
    ('on', 'auto')
    """
    if isinstance(semi_supervised, str):
        return semi_supervised
    return "on" if semi_supervised else "off"


class Candidate(NamedTuple):
    """One way of training compared: ``start`` indexes the comparison's start models."""

    strategy: str
    bn_mode: str = "auto"
    start: int = 0
    pseudo_labels: str = "auto"


def candidate_name(
    strategy: str, bn_mode: str = "auto", start: str = "", pseudo_labels: str = "auto"
) -> str:
    """A candidate as the table names it: the strategy, its start and what differs from usual.

    Parameters
    ----------
    strategy : str
        One of :data:`~napari_finetune.choices.STRATEGY_CHOICES`.
    bn_mode : str
        Its BatchNorm handling; ``'auto'`` (the strategy's usual one) is not named.
    start : str
        The start model's name when several were compared, else ``''``.
    pseudo_labels : str
        ``'on'`` or ``'off'`` are named; ``'auto'`` (the painting decides) is not.

    Examples
    --------
    >>> candidate_name("finetune", "frozen", "voronoi-unet", "on")
    'finetune from voronoi-unet (BN frozen, pseudo-labels)'
    >>> candidate_name("head", pseudo_labels="off")
    'head (no pseudo-labels)'
    """
    name = f"{strategy} from {start}" if start else strategy
    said = [] if bn_mode == "auto" else [f"BN {bn_mode}"]
    said += {"on": ["pseudo-labels"], "off": ["no pseudo-labels"]}.get(pseudo_labels, [])
    return f"{name} ({', '.join(said)})" if said else name


def candidates_of(
    strategies: tuple[str, ...],
    bn_modes: tuple[str, ...] = ("auto",),
    starts: int = 1,
    pseudo_labels: tuple[str, ...] = ("auto",),
) -> tuple[Candidate, ...]:
    """The candidates compared, in the order they run.

    Parameters
    ----------
    strategies : tuple of str
        Some of :data:`~napari_finetune.choices.STRATEGY_CHOICES`.
    bn_modes : tuple of str
        BatchNorm handlings each pretrained strategy runs with.
    starts : int
        How many start models each pretrained strategy runs from.
    pseudo_labels : tuple of str
        ``'auto'`` (the painting decides, as :func:`~napari_finetune.finetune`),
        ``'on'``, ``'off'``: the pseudo-label choices each pretrained strategy runs with.

    Raises
    ------
    ValueError
        For unknown strategies, BatchNorm modes or pseudo-label choices, or none of one.
    """
    unknown = [s for s in strategies if s not in STRATEGY_CHOICES]
    if unknown or not strategies:
        raise ValueError(
            f"strategies {list(strategies)} must be some of {', '.join(STRATEGY_CHOICES)}."
        )
    if not bn_modes or any(m not in BN_CHOICES for m in bn_modes):
        raise ValueError(f"bn_modes {list(bn_modes)} must be some of {', '.join(BN_CHOICES)}.")
    if not pseudo_labels or any(p not in PSEUDO_LABEL_CHOICES for p in pseudo_labels):
        raise ValueError(
            f"pseudo_labels {list(pseudo_labels)} must be some of "
            f"{', '.join(PSEUDO_LABEL_CHOICES)}."
        )
    modes, pseudo = tuple(dict.fromkeys(bn_modes)), tuple(dict.fromkeys(pseudo_labels))
    return tuple(
        Candidate(s, m, k, p)
        for s in strategies
        for k in (range(1) if s == "scratch" else range(starts))
        for m in (("auto",) if s == "scratch" else modes)
        # scratch, the baseline, once: with the first choice, so that its pick says it
        for p in (pseudo[:1] if s == "scratch" else pseudo)
    )


def planned_runs(
    strategies: tuple[str, ...],
    bn_modes: tuple[str, ...] = ("auto",),
    seeds: int = len(DEFAULT_SEEDS),
    shares: int = len(DEFAULT_FRACTIONS),
    starts: int = 1,
    pseudo_labels: tuple[str, ...] = ("auto",),
) -> int:
    """How many runs a comparison makes (at most: shares equal in regions run once).

    Parameters
    ----------
    strategies, bn_modes, starts, pseudo_labels
        As for :func:`candidates_of`.
    seeds : int
        Runs per candidate and share.
    shares : int
        Shares of the painting each candidate trains on.
    """
    return len(candidates_of(strategies, bn_modes, starts, pseudo_labels)) * seeds * shares


def estimated_seconds(runs: int, seconds: float) -> float:
    """Wall time of ``runs`` runs of ``seconds`` each, as measured here (for estimates)."""
    return runs * (seconds + RUN_OVERHEAD_SECONDS)
