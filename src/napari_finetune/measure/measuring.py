"""Measure one map in one call: grains, their report, and phase fractions when there are phases."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from napari_finetune.class_roles import thin_classes
from napari_finetune.measure.boundary_geometry import is_thin_class
from napari_finetune.measure.instances import GrainOptions, grains, guess_kind
from napari_finetune.measure.map_checks import check_not_a_painting, check_probability_range
from napari_finetune.measure.particles import particle_lines, phase_particles
from napari_finetune.measure.phases import phase_fractions
from napari_finetune.measure.report import GrainReport, measure_grains
from napari_finetune.measure.table import Calibration

# Phase-fraction columns: this, the phase's name, and for the interval's half-width CI_SUFFIX.
FRACTION_PREFIX = "fraction "
CI_SUFFIX = " 95% CI"
# Particle columns of a summary row: this prefix + the phase's name -> particle table column.
PARTICLE_COLUMNS = {
    "particles ": "particles",
    "particles per area ": "per area",
    "mean particle ECD ": "mean ECD",
    "mean free path ": "mean free path",
}


def is_particle_count(name: str) -> bool:
    """Whether a summary column counts a phase's particles (whole numbers)."""
    return name.startswith("particles ") and not name.startswith("particles per area ")


def is_phase_column(name: str) -> bool:
    """Whether a summary column is a phase's (its fraction, interval or particles)."""
    return name.startswith((FRACTION_PREFIX, *PARTICLE_COLUMNS))


# Said (and put in a table's warnings) when the model's classes are phases only.
NO_BOUNDARY_CLASS = "no class is a boundary: grain size not measured"


def not_measured(err: BaseException) -> str:
    """The row of a map (or plane) that could not be measured: ``'not measured: <why>'``."""
    return f"not measured: {str(err) or type(err).__name__}"


@dataclass(frozen=True)
class GrainMeasurement:
    """Grain ids, their report and (for maps of two or more phases) phase fractions.

    ``grains`` and ``report`` are None when the model's class names say no
    class is a boundary (phases only: :data:`NO_BOUNDARY_CLASS`). ``classes`` is
    the class map the phases were measured on when there are phases and no grains
    (None otherwise): the phase report draws it. ``particles`` are that map's discrete
    phases' particles (:func:`~napari_finetune.measure.particles.phase_particles`),
    lengths in ``unit``.
    """

    grains: np.ndarray | None
    report: GrainReport | None
    phases: pd.DataFrame | None
    classes: np.ndarray | None = None
    particles: pd.DataFrame | None = None
    unit: str = "px"

    def phase_columns(self) -> dict[str, float | None]:
        """``fraction <phase>`` and ``fraction <phase> 95% CI`` (half-width) per phase.

        The columns a summary CSV and a folder's ``measurements.csv`` carry (none
        without phases), fractions of 1 as the table holds them.
        """
        if self.phases is None:
            return {}
        columns: dict[str, float | None] = {}
        for _, phase in self.phases.iterrows():
            column = f"{FRACTION_PREFIX}{phase['name']}"
            columns[column] = float(phase["fraction"])
            ci = phase["ci95"]
            columns[f"{column}{CI_SUFFIX}"] = float(ci) if _known(ci) else None
        return columns | self.particle_columns()

    def particle_columns(self) -> dict[str, object]:
        """Each discrete phase's particles (:data:`PARTICLE_COLUMNS` + its name), and the units.

        Units are columns of their own (``length unit``, ``area unit``), as in a
        folder's ``measurements.csv``; none without particles.
        """
        if self.particles is None or self.particles.empty:
            return {}
        columns: dict[str, object] = {}
        for _, row in self.particles.iterrows():
            for prefix, field in PARTICLE_COLUMNS.items():
                value = row[field]
                columns[f"{prefix}{row['name']}"] = None if not _known(value) else value
        return columns | {"length unit": self.unit, "area unit": f"{self.unit}²"}

    def lines(self) -> list[str]:
        """The report in words, the phase fractions with their 95 % ranges, the particles."""
        lines = self.report.lines() if self.report is not None else [NO_BOUNDARY_CLASS + "."]
        if self.phases is not None:
            fractions = ", ".join(
                f"{row['name']} {percent(row['fraction'])} %"
                + (f" ± {percent(row['ci95'])}" if _known(row["ci95"]) else "")
                for _, row in self.phases.iterrows()
            )
            fields = int(self.phases["fields"].max())
            spread = (
                f" (± 95 % CI in percentage points over {fields} fields of this image: "
                "how uniform it is, not how well the specimen is known)"
                if fields >= 2
                else ""
            )
            lines.append(f"Phase area fractions: {fractions}{spread}")
        if self.particles is not None:
            lines += particle_lines(self.particles, self.unit)
        return lines


def percent(fraction: float) -> str:
    """A fraction of 1 in percent: one decimal, two significant digits under 1 %.

    A rare phase (tertiary γ′ at 0.015 %) must not read 0.0 %, as if absent;
    never in scientific notation (one pixel of 16 Mpx reads 0.0000060).
    """
    value = 100 * float(fraction)
    if value == 0 or abs(value) >= 1:
        return f"{value:.1f}"
    decimals = 1 - math.floor(math.log10(abs(value)))  # two significant digits
    shown = f"{value:.{decimals}f}"
    return f"{value:.1f}" if abs(float(shown)) >= 1 else shown  # 0.996 reads 1.0


def _known(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def class_map(data: np.ndarray, kind: str) -> np.ndarray | None:
    """Classes 1..K of a probability or class map, None for other kinds."""
    if kind == "probabilities":
        return (np.argmax(data, axis=0) + 1).astype(np.int32)
    if kind == "classes":
        return np.asarray(data)
    return None


def measure_map(
    data: np.ndarray,
    kind: str = "auto",
    options: GrainOptions | None = None,
    calibration: Calibration | None = None,
    border: str = "half",
    class_names: dict[int, str] | None = None,
) -> GrainMeasurement:
    """Grains from a 2D map (any kind of :func:`grains`) and everything measured on them.

    Phase fractions are added for probabilities and class maps of a model with
    two or more phases: with ``class_names``, the classes whose names do not
    say they are thin (a ``'boundary'`` is not a phase: its pixels go to the
    nearest phase, :func:`~napari_finetune.measure.phases.phase_fractions`);
    without names, models of three or more classes, every class a phase.
    When ``class_names`` name no thin class, the boundary class
    (``options.boundary_class``) is one if its shape is thin everywhere
    (:func:`~napari_finetune.measure.boundary_geometry.is_thin_class`: names
    such as ``'GB'`` or ``'Korngrenze'``); if it is not (a superalloy's matrix,
    secondary and tertiary γ′), no class bounds grains: grains are not measured
    (``grains`` and ``report`` None), the phases are.

    Parameters
    ----------
    data : numpy.ndarray
        Probabilities ``(K, rows, cols)``, a class map, a boundary map or instance ids.
    kind : str
        What ``data`` is (see :func:`grains`); ``'auto'`` guesses.
    options : GrainOptions, optional
        How grains are found.
    calibration : Calibration, optional
        Pixel size and unit; None: pixels.
    border : str
        How grains cut by the frame count (see :func:`measure_grains`).
    class_names : dict, optional
        The model's class value -> name: phase-fraction rows carry them, and
        they say which classes are boundaries.

    Raises
    ------
    ValueError
        For a stack (measure its planes one by one), any bad map, or a
        model of one named class that is no boundary (nothing to measure).
    """
    data = np.asarray(data)
    kind = guess_kind(data) if kind == "auto" else kind
    planar = 3 if kind == "probabilities" else 2
    if data.ndim != planar:
        raise ValueError(
            f"a map of shape {data.shape} is not one 2D image: measure a stack plane by plane."
        )
    thin = thin_classes(class_names) if class_names else set()
    options = options or GrainOptions()
    if len(thin) == 1 and options.boundary_class not in thin:
        # The names say which class is the boundary (a model of ferrite, pearlite, boundary).
        options = replace(options, boundary_class=next(iter(thin)))
    classes = class_map(data, kind)
    # Names in words the plugin does not know ('GB', 'Korngrenze'): the boundary
    # class's shape says whether it is a boundary (thin) or a phase (γ′ blobs).
    unnamed = bool(class_names) and not thin and classes is not None
    if unnamed and is_thin_class(classes, options.boundary_class):
        thin = {options.boundary_class}
    # Named classes none of which is thin, by name or shape: grains would be read from a phase.
    phases_only = bool(class_names) and not thin and classes is not None
    ids = report = None
    if not phases_only:
        ids = grains(data, kind, options)
        report = measure_grains(ids, calibration, border)
    elif kind == "classes":  # what grains() would have refused, refused without it
        check_not_a_painting(classes)
    else:
        check_probability_range(data, kind)
    phases = None
    if classes is not None:
        # The model's classes 1..K: probabilities say it, a class map by its names
        # (a phase absent from this image then reads 0) or the highest value present.
        if kind == "probabilities":
            n_classes = data.shape[0]
        else:
            n_classes = max([int(classes.max()), *(class_names or {})])
        enough = n_classes - len(thin) >= 2 if class_names else n_classes >= 3
        # An image of boundaries only has no phase to measure: its grains are still said.
        if enough and set(np.unique(classes[classes > 0]).tolist()) - thin:
            phases = phase_fractions(classes, names=class_names, thin=thin, n_classes=n_classes)
    if phases_only and phases is None:
        raise ValueError(f"{NO_BOUNDARY_CLASS}, and it has no two phases to measure.")
    if phases is None or report is not None:
        return GrainMeasurement(ids, report, phases)
    # Phases only: the map stays for the phase report, and its particles are counted.
    calibration = calibration or Calibration()
    particles = phase_particles(classes, phases, calibration)
    return GrainMeasurement(ids, report, phases, classes, particles, calibration.unit)
