"""The end of a folder run: one row per image, printable as a plain-text table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from napari_finetune.batch.planning import FolderPlan
    from napari_finetune.models.model import SegmentationModel

DONE, SKIPPED, FAILED = "done", "skipped", "failed"


@dataclass(frozen=True)
class FileRow:
    """What became of one image: ``status`` is ``'done'``, ``'skipped'`` or ``'failed'``.

    ``shape`` is the image's array shape (empty for a skipped file, which was
    not read); ``message`` says why a file failed.
    """

    path: Path
    status: str
    outputs: tuple[Path, ...] = ()
    shape: tuple[int, ...] = ()
    seconds: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class FolderSummary:
    """Every image of a folder run, in the order they were found.

    ``measurements`` is the run's table of grain measurements (one row per
    image) when the run measured grains, else None; ``grain_size`` says G over
    those images as E112 fields, one sentence per method, and
    ``phase_fractions`` each phase's area fraction over them (E562/E1245). ``views`` is how many
    flipped and rotated views each prediction averaged (1: the image as it is;
    :mod:`~napari_finetune.inference.views`).
    """

    rows: tuple[FileRow, ...]
    output_dir: Path
    seconds: float = 0.0
    measurements: Path | None = None
    views: int = 1
    grain_size: tuple[str, ...] = ()
    phase_fractions: tuple[str, ...] = ()

    @classmethod
    def of_run(
        cls, plan: FolderPlan, rows: dict[Path, FileRow], seconds: float, model: SegmentationModel
    ) -> FolderSummary:
        """The summary of a run of ``plan`` by ``model``: its rows in the plan's order.

        Parameters
        ----------
        plan : FolderPlan
            What the run was to do (its files, output folder, views choice).
        rows : dict
            Image path -> the row of what became of it, for every planned file.
        seconds : float
            How long the run took.
        model : SegmentationModel
            The model that predicted (its training says which views were averaged).
        """
        # Here, not at the top: the CLI reads this module before it may need torch.
        from napari_finetune.inference.views import views_for

        views = len(views_for(model, plan.average_views))
        ordered = tuple(rows[file.image] for file in plan.files)
        return cls(ordered, plan.output_dir, seconds, views=views)

    def count(self, status: str) -> int:
        """How many images ended with ``status`` (``'done'``, ``'skipped'`` or ``'failed'``)."""
        return sum(row.status == status for row in self.rows)

    @property
    def ok(self) -> bool:
        """True when no image failed (all done or skipped)."""
        return self.count(FAILED) == 0

    def line(self) -> str:
        """One sentence: the counts, the time taken, and where the outputs are."""
        counts = Counter(row.status for row in self.rows)
        said = ", ".join(f"{counts[s]} {s}" for s in (DONE, SKIPPED, FAILED) if counts[s])
        said = f"{said or 'nothing to do'} in {self.seconds:.1f} s; outputs in {self.output_dir}"
        if self.views > 1 and counts[DONE]:
            said += f"; each new prediction averaged over {self.views} flipped and rotated views"
        if self.measurements is not None:
            said += f"; grain measurements in {self.measurements.name}"
        if self.grain_size:
            said += f"; ASTM E112 {'; '.join(self.grain_size)}"
        if self.phase_fractions:
            said += f"; area fractions {', '.join(self.phase_fractions)}"
        return said

    def table(self) -> str:
        """The rows as an aligned text table: file, status, size, seconds, message."""
        headers = ("file", "status", "size", "seconds", "message")
        cells = [
            (
                row.path.name,
                row.status,
                describe_shape(row.shape),
                f"{row.seconds:.1f}" if row.status != SKIPPED else "",
                row.message,
            )
            for row in self.rows
        ]
        table = text_table(headers, cells)
        if self.measurements is not None:
            table += f"\ngrain measurements, one row per image or plane: {self.measurements}"
        for sentence in self.grain_size:
            table += f"\nASTM E112, each image or plane a field: {sentence}"
        for sentence in self.phase_fractions:
            table += f"\narea fraction (ASTM E562/E1245), each image or plane a field: {sentence}"
        return table


def describe_shape(shape: tuple[int, ...]) -> str:
    """An image shape for people: ``1024 × 1024``, ``512 × 512 × 3``, or blank if unknown."""
    return " × ".join(str(side) for side in shape)


def text_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged.

    Parameters
    ----------
    headers : tuple of str
        Column titles.
    rows : list of tuple of str
        One tuple of cells per row, as many as ``headers``.

    Returns
    -------
    str
        The table, a rule under the headers, no trailing newline.
    """
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def render(cells: tuple[str, ...]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    # A long message must not make the rule under the headers a screen wide.
    rule = tuple("-" * min(width, 40) for width in widths)
    return "\n".join([render(headers), render(rule), *(render(row) for row in rows)])
