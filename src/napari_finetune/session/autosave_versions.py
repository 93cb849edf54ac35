"""Which autosaved versions of one painting to keep: the newest, and a few over time.

Keeping only the last few versions loses the painting before an accidental
erase a couple of minutes after it (the erase is autosaved too, then again and
again). So besides the newest, older versions are thinned to one per slot of
time, slots widening with age: a minute for versions 1-5 minutes old, five
minutes up to a quarter of an hour, a quarter of an hour up to an hour, an hour
beyond; and the one with the most painted pixels is kept. Slots are fixed in
time (not in age), so a version kept stays kept until it shares a wider slot
with an older one: an erase found an hour later is undone, and a day's
painting costs a few dozen small files.
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


# (age from, age to, slot width) in seconds: older versions, one per slot.
SLOTS = ((60.0, 300.0, 60.0), (300.0, 900.0, 300.0), (900.0, 3600.0, 900.0))
HOURLY = 3600.0  # beyond the last: one per hour


def versions_to_keep(
    versions: Sequence[SavedVersion], now: float, newest: int
) -> list[SavedVersion]:
    """The versions of one painting to keep, oldest first.

    The ``newest`` last ones; of the older, the oldest in each slot of time
    (:data:`SLOTS`, then :data:`HOURLY`); and the version with the most
    painted pixels (what an accidental erase would lose).
    """
    keep = set(range(max(len(versions) - newest, 0), len(versions)))
    seen: set[tuple[float, int]] = set()
    for k, version in enumerate(versions):  # oldest first: each slot's oldest wins
        age = now - version.when
        width = next((w for low, high, w in SLOTS if low <= age < high), None)
        if width is None and age >= SLOTS[-1][1]:
            width = HOURLY
        slot = (width, int(version.when // width)) if width is not None else None
        if slot is not None and slot not in seen:
            seen.add(slot)
            keep.add(k)
    if versions:
        keep.add(max(range(len(versions)), key=lambda k: (versions[k].painted, k)))
    return [versions[k] for k in sorted(keep)]
