"""Small events a larger-than-memory prediction yields, band after band or plane after plane."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BandDone:
    """A band of rows is predicted and written to the output store.

    Rows ``0 .. rows_done`` of ``rows`` are final in the store; ``seconds`` is
    the time since the run started (the percentile sample included) and
    ``time_left`` the seconds per row so far times the rows left.
    """

    rows_done: int
    rows: int
    seconds: float
    time_left: float


@dataclass(frozen=True)
class PlaneDone:
    """A plane of a stack is predicted and written to the output store.

    Planes ``0 .. planes_done`` of ``planes`` are final in the store;
    ``seconds`` is the time since the run started and ``time_left`` the
    seconds per plane so far times the planes left.
    """

    planes_done: int
    planes: int
    seconds: float
    time_left: float


@dataclass(frozen=True)
class PlaneRowsDone:
    """A band of a stack's plane is written: how far a plane of many bands has come.

    Rows ``0 .. rows_done`` of plane ``plane`` (counted from 0) and every plane
    before it are final in the store. Not yielded for a plane's last band: its
    :class:`PlaneDone` says that. ``seconds`` is the time since the run started
    and ``time_left`` the seconds per plane so far (the part of this one done
    counted) times the planes left.
    """

    plane: int
    planes: int
    rows_done: int
    rows: int
    seconds: float
    time_left: float


@dataclass(frozen=True)
class PredictionWritten:
    """Every band (of every plane) is written and the store marked complete.

    ``output`` is the store (or, beside an OME-Zarr image, the label image's
    folder); ``rows`` and ``cols`` are those of one plane, ``planes`` how many
    there are (1 for one image); ``megapixels_per_second`` counts image pixels
    over ``seconds``.
    """

    output: Path | None
    rows: int
    cols: int
    seconds: float
    megapixels_per_second: float
    planes: int = 1
