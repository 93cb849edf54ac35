"""Which autosaved versions of one painting to keep: the newest, and a few over time.

Keeping only the last few versions loses the painting before an accidental
erase a couple of minutes after it (the erase is autosaved too, then again and
again). So besides the newest, the newest version older than a minute, five,
a quarter of an hour and an hour is kept, and the one with the most painted
pixels: a day's painting costs a handful of small files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SavedVersion:
    """One written version of a painting: its file, when (clock seconds), how much painted."""

    path: Path
    when: float
    painted: int


# Besides the newest versions, the newest one older than each of these keeps a
# painting's history over the session: an erase found an hour later is undone.
KEEP_AGES_S = (60.0, 300.0, 900.0, 3600.0)


def versions_to_keep(
    versions: Sequence[SavedVersion], now: float, newest: int
) -> list[SavedVersion]:
    """The versions of one painting to keep, oldest first.

    The ``newest`` last ones; for each age of :data:`KEEP_AGES_S`, the newest
    version at least that old; and the version with the most painted pixels
    (what an accidental erase or fill would lose).
    """
    keep = set(range(max(len(versions) - newest, 0), len(versions)))
    for age in KEEP_AGES_S:
        older = [k for k, v in enumerate(versions) if now - v.when >= age]
        if older:
            keep.add(older[-1])
    if versions:
        keep.add(max(range(len(versions)), key=lambda k: (versions[k].painted, k)))
    return [versions[k] for k in sorted(keep)]
