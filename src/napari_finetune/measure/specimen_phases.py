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
    """

    phase: str
    statistic: FieldStatistic

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
        return (
            f"{self.phase} {percent(self.statistic.mean)} % (95% CI {percent(low)}–"
            f"{percent(high)} %{spread}) over {n} {field}{'s' * (n > 1)}"
        )

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
        }


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
        its own report says all there is), in the table's column order.
    """
    found = []
    for column in table.columns:
        if not column.startswith(FRACTION_PREFIX) or column.endswith(CI_SUFFIX):
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
        values = values[np.isfinite(values)]
        if values.size >= 2:
            phase = column.removeprefix(FRACTION_PREFIX)
            found.append(SpecimenFraction(phase, field_statistic(list(values))))
    return found
