"""Phase area fractions of a specimen from several images: each image one field (E562, E1245).

One image's interval (:mod:`~napari_finetune.measure.phases`) says how
uniform that image is. ASTM E562 and E1245 estimate a phase's volume
fraction from fields spread over the specimen: the mean of the fields' area
fractions, its 95 % confidence interval ``t(0.975, n-1) s / sqrt(n)`` and
%RA. Here each measured image is a field, all weighing the same (measure
images of one magnification and size together), as for G
(:mod:`~napari_finetune.measure.specimen`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from napari_finetune.measure.astm import FieldStatistic, field_statistic
from napari_finetune.measure.measuring import CI_SUFFIX, FRACTION_PREFIX, percent


@dataclass(frozen=True)
class SpecimenFraction:
    """One phase's area fraction over a specimen's images as fields.

    Attributes
    ----------
    phase : str
        The phase's name.
    statistic : FieldStatistic
        The images' mean area fraction (of 1), its 95 % CI half-width and %RA.
    per_area, free_path : FieldStatistic or None
        Of a discrete phase (:mod:`~napari_finetune.measure.particles`): its particles
        per unit² (N_A) and mean free path (λ, in ``unit``) over the same fields; None
        for a continuous phase, or fields in different units.
    unit : str
        Their length unit.
    """

    phase: str
    statistic: FieldStatistic
    per_area: FieldStatistic | None = None
    free_path: FieldStatistic | None = None
    unit: str = "px"

    @property
    def interval(self) -> tuple[float, float]:
        """The 95 % interval's ends, within [0, 1]."""
        mean, half = self.statistic.mean, self.statistic.ci95 or 0.0
        return max(mean - half, 0.0), min(mean + half, 1.0)

    def describe(self, field: str = "image") -> str:
        """E.g. "pearlite 51.0 % (95% CI 48.8–53.2 %, %RA 4) over 6 images".

        ``field`` names what the fields were (``'field'`` when a stack's planes are among them).
        """
        low, high = self.interval
        ra = self.statistic.relative_accuracy
        spread = f", %RA {ra:.0f}" if ra is not None else ""
        n = self.statistic.n
        said = (
            f"{self.phase} {percent(self.statistic.mean)} % (95% CI {percent(low)}–"
            f"{percent(high)} %{spread}) over {n} {field}{'s' * (n > 1)}"
        )
        if self.per_area is not None and self.free_path is not None:
            said += (
                f"; {_said(self.per_area)} particles per {self.unit}², mean free path "
                f"{_said(self.free_path)} {self.unit} over {self.per_area.n} {field}s"
            )
        return said

    def row(self) -> dict[str, object]:
        """A row of ``phase_fractions.csv``."""
        low, high = self.interval
        return {
            "phase": self.phase,
            "images": self.statistic.n,
            "area fraction": self.statistic.mean,
            "95% low": low,
            "95% high": high,
            "%RA": self.statistic.relative_accuracy,
            **self._particle_row(),
        }

    def _particle_row(self) -> dict[str, object]:
        if self.per_area is None or self.free_path is None:
            return {}
        row: dict[str, object] = {}
        measured = (("particles per area", self.per_area), ("mean free path", self.free_path))
        for name, stat in measured:
            half = stat.ci95
            row[name] = stat.mean
            row[f"{name} 95% low"] = max(stat.mean - half, 0.0) if half is not None else None
            row[f"{name} 95% high"] = stat.mean + half if half is not None else None
        return row | {"length unit": self.unit}


def specimen_fractions(table: pd.DataFrame) -> list[SpecimenFraction]:
    """Each phase's area fraction over the images of a folder run's ``measurements.csv``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per image with ``fraction <phase>`` columns; images without a
        value (not measured) are left out of that phase.

    Returns
    -------
    list of SpecimenFraction
        One per phase with at least two images (one image is a single field:
        its own report says all there is), in the table's column order; with
        its particles over the images where the table has them
        (``particles per area <phase>``, ``mean free path <phase>``, one
        ``length unit``).
    """
    found = []
    for column in table.columns:
        if not column.startswith(FRACTION_PREFIX) or column.endswith(CI_SUFFIX):
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
        values = values[np.isfinite(values)]
        if values.size >= 2:
            phase = column.removeprefix(FRACTION_PREFIX)
            found.append(
                SpecimenFraction(phase, field_statistic(list(values)), *_particles(table, phase))
            )
    return found


def _particles(table: pd.DataFrame, phase: str) -> tuple:
    """N_A and λ of ``phase`` over the fields that have them, and their unit (or nothing).

    Fields in different units are not averaged together: then nothing.
    """
    columns = (f"particles per area {phase}", f"mean free path {phase}")
    if not all(c in table for c in columns):
        return ()
    rows = table[columns[0]].notna() & table[columns[1]].notna()
    units = set(table.loc[rows, "length unit"]) if "length unit" in table else {"px"}
    if rows.sum() < 2 or len(units) != 1:
        return ()
    per_area, free_path = (field_statistic(table.loc[rows, c].astype(float)) for c in columns)
    return per_area, free_path, str(next(iter(units)))


def _said(stat: FieldStatistic) -> str:
    """A mean with its 95 % interval, three significant digits."""
    if stat.ci95 is None:
        return f"{stat.mean:.3g}"
    low, high = max(stat.mean - stat.ci95, 0), stat.mean + stat.ci95
    return f"{stat.mean:.3g} (95% CI {low:.3g}–{high:.3g})"
