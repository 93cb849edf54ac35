"""Grain reports to files: per-grain CSV, a summary CSV, and the E112 pattern's segments."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from napari_finetune.data.safe_write import atomic_write
from napari_finetune.measure.measuring import is_particle_count
from napari_finetune.measure.report import GrainReport


def summary_path(table_path: str | Path) -> Path:
    """Where the summary of ``table.csv`` goes: ``table_summary.csv`` beside it."""
    path = Path(table_path)
    return path.with_name(f"{path.stem}_summary{path.suffix or '.csv'}")


def segments_path(table_path: str | Path) -> Path:
    """Where the intercept segments of ``table.csv`` go: ``table_segments.csv`` beside it."""
    path = Path(table_path)
    return path.with_name(f"{path.stem}_segments{path.suffix or '.csv'}")


def write_grain_csv(
    reports: Mapping[str, GrainReport | None],
    path: str | Path,
    extra: Mapping[str, Mapping[str, object]] | None = None,
) -> tuple[Path, Path]:
    """One row per grain of every image (column ``image``), and one summary row per image.

    Every intercept segment of the E112 pattern (like NIST GSAT's CSV) goes to
    :func:`segments_path` of ``path``.

    Parameters
    ----------
    reports : dict
        Image name -> its :class:`~napari_finetune.measure.report.GrainReport`;
        None for an image (or a stack's plane) with no grains to list, which
        gets its summary row (from ``extra``) and nothing else.
    path : str or Path
        The per-grain CSV; the summary goes to :func:`summary_path` of it.
    extra : dict, optional
        Image name -> more columns for its summary row, after the report's
        own (e.g. where the calibration came from).

    Returns
    -------
    tuple of Path
        The per-grain table and the summary.
    """
    if not reports:
        raise ValueError("no grain reports to write.")
    path = Path(path)
    tables = []
    for name, report in _listed(reports):
        unit = report.calibration.unit
        table = report.table.rename(
            columns={
                "area": f"area ({report.calibration.area_unit})",
                **{c: f"{c} ({unit})" for c in ("ecd", "perimeter", "major_axis", "minor_axis")},
                "orientation": "orientation (deg)",
                "centroid_y": "centroid_y (px)",
                "centroid_x": "centroid_x (px)",
            }
        )
        table.insert(0, "image", name)
        tables.append(table)
    extra = extra or {}
    summary = pd.DataFrame(
        [
            {"image": name, **(r.summary() if r is not None else {}), **extra.get(name, {})}
            for name, r in reports.items()
        ]
    )
    # The numbers' columns first and warnings last, whichever row came first
    # (a plane not measured has neither numbers nor their columns).
    numbers = next((list(r.summary()) for r in reports.values() if r is not None), [])
    order = ["image", *numbers, *(c for c in summary.columns if c not in numbers)]
    order = [c for c in dict.fromkeys(order) if c != "warnings"]
    if len(summary.columns):  # no rows at all: nothing to order
        summary = summary[order + (["warnings"] if "warnings" in summary else [])]
    for column in filter(is_particle_count, summary.columns):  # 3, not 3.0 beside a blank
        summary[column] = summary[column].astype("Int64")
    segments = []
    for name, report in _listed(reports):
        rows = report.pattern.segments.copy()
        rows["length"] = rows["length"] * report.calibration.pixel_size
        rows = rows.rename(columns={"length": f"length ({report.calibration.unit})"})
        rows.insert(0, "image", name)
        segments.append(rows)
    # Everything is computed before the first file is written (an error in the
    # measurements leaves all three old files), then each is replaced whole.
    frames = {
        path: _joined(tables),
        summary_path(path): summary,
        segments_path(path): _joined(segments),
    }
    for target, frame in frames.items():
        with atomic_write(target) as temporary:
            frame.to_csv(temporary, index=False)
    return path, summary_path(path)


def _listed(reports: Mapping[str, GrainReport | None]) -> list[tuple[str, GrainReport]]:
    return [(name, report) for name, report in reports.items() if report is not None]


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # No image with grains to list: the file still says which column names images.
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"image": []})
