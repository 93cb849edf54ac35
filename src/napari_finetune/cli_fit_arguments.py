"""``fit``'s arguments: how the network learns, and the boxes it suggests painting next.

Split from :mod:`.cli` (the parser) to keep it one screenful per job; the
texts come from :mod:`.choices`, shared with the dock.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from napari_finetune.choices import (
    ADAPTATION_CHOICES,
    ADAPTATIONS,
    BN_CHOICES,
    DEFAULT_MODEL,
    FOLD_IN,
    PSEUDO_LABEL_CHOICES,
    SEMI_SUPERVISED,
    STRATEGY_CHOICES,
)


def add_learning_arguments(fit: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--strategy``, ``--bn-mode``, levers, ``--classes``, ``--no-fold-in``."""
    fit.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"shipped name or checkpoint (default {DEFAULT_MODEL})",
    )
    fit.add_argument(
        "--strategy",
        choices=STRATEGY_CHOICES,
        help="transfer-learning strategy (default: suggested from the painted amount)",
    )
    fit.add_argument("--bn-mode", choices=BN_CHOICES, default="auto", help="BatchNorm handling")
    fit.add_argument(
        "--adaptation",
        choices=ADAPTATION_CHOICES,
        default="none",
        help="; ".join(f"{name}: {line}" for name, line in ADAPTATIONS.items()),
    )
    fit.add_argument(
        "--semi-supervised",
        nargs="?",
        const="on",
        default="auto",
        choices=PSEUDO_LABEL_CHOICES,
        help=f"{SEMI_SUPERVISED}; auto (default): on for strokes (classes rarely meet) on "
        "the start model's classes, off for boxes; the flag alone means on",
    )
    fit.add_argument(
        "--unlabelled",
        type=Path,
        nargs="+",
        default=[],
        help="more images nobody painted, for pseudo-labels (turns 'auto' on)",
    )
    fit.add_argument(
        "--classes",
        help="names of the painted values 1, 2, … in order, comma-separated "
        "(e.g. 'matrix, secondary γ′, tertiary γ′'; default: the start model's names)",
    )
    fit.add_argument(
        "--no-fold-in",
        dest="fold_in",
        action="store_false",
        # argparse formats help with %: a literal one is doubled.
        help="keep the held-out strokes out of training to the end (by default "
        + FOLD_IN.replace("%", "%%")
        + ")",
    )


def add_suggestion_arguments(fit: argparse.ArgumentParser) -> None:
    """Add ``--suggest``, ``--best-boxes``, ``--box-size`` and ``--no-seek-rare-class``.

    Parameters
    ----------
    fit : argparse.ArgumentParser
        The ``fit`` subcommand's parser.
    """
    fit.add_argument(
        "--suggest",
        type=int,
        default=0,
        metavar="N",
        help="after training, print N boxes worth painting next over all images, drawn in "
        "proportion to their worth as the dock does (spread over kinds of error)",
    )
    fit.add_argument(
        "--best-boxes",
        action="store_true",
        help="with --suggest: the N best boxes instead of drawn ones",
    )
    fit.add_argument("--box-size", type=int, default=64, help="side of those boxes in px")
    fit.add_argument(
        "--no-seek-rare-class",
        action="store_true",
        help="with --suggest: rank boxes by uncertainty and typicality only, without also "
        "seeking a class rare in the painting (the dock's 'seek a class rare in your "
        "painting' unticked)",
    )
