"""Parameters of a synthetic grain microstructure, checked once, in one place.

Every parameter is named as a materials scientist would name it and every
nonsense value raises a :class:`ValueError` that says which parameter is wrong
and why, so a widget can show the message as it is.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

MORPHOLOGIES = ("equiaxed", "elongated")
DEFAULT_ELONGATION = 3.0

# A Matern-II hard core can pack at most ~1.27 grains per d^2; 0.45 d keeps the
# thinning able to reach the requested count while still avoiding sliver grains.
HARD_CORE_FRACTION = 0.45


@dataclass(frozen=True)
class TargetDomain:
    """Strength of the sim-to-real effects of the *target-domain* rendering.

    Parameters
    ----------
    scan_jitter_px : float
        Standard deviation (pixels) of the horizontal offset of each scan line,
        as from mains pick-up or stage vibration in an SEM.
    vignetting : float
        Fractional intensity loss in the corners relative to the brightest point.
    drift : float
        Peak fractional change of gain along the slow scan axis (beam current
        or detector drift during acquisition).
    """

    scan_jitter_px: float = 1.0
    vignetting: float = 0.35
    drift: float = 0.15

    def __post_init__(self) -> None:
        require(self.scan_jitter_px >= 0, "scan_jitter_px", self.scan_jitter_px, "must be >= 0")
        require(0 <= self.vignetting < 1, "vignetting", self.vignetting, "must be in [0, 1)")
        require(0 <= self.drift < 1, "drift", self.drift, "must be in [0, 1)")


@dataclass(frozen=True)
class GrainParameters:
    """All parameters of :func:`napari_finetune.voronoi_grains`, validated.

    See :func:`napari_finetune.voronoi_grains` for the meaning of each field.
    Exactly one of ``n_grains`` and ``mean_diameter`` is given; the other is
    derived so that both are always available after construction.
    """

    shape: tuple[int, int] = (512, 512)
    n_grains: int | None = None
    mean_diameter: float | None = None
    size_spread: float = 0.3
    boundary_width: int = 3
    morphology: str = "equiaxed"
    elongation: float | None = None
    direction: float = 90.0
    contrast: float = 0.4
    boundary_contrast: float = 0.35
    dose: float | None = 50.0
    blur: float = 1.0
    target_domain: TargetDomain | None = None
    seed: int = 0
    # Derived: the grain count actually generated (filled in __post_init__).
    grain_count: int = field(init=False)

    def __post_init__(self) -> None:
        shape = _check_shape(self.shape)
        object.__setattr__(self, "shape", shape)
        area = shape[0] * shape[1]

        if self.n_grains is not None and self.mean_diameter is not None:
            raise ValueError(
                "Give either n_grains or mean_diameter, not both "
                f"(got n_grains={self.n_grains}, mean_diameter={self.mean_diameter})."
            )
        if self.n_grains is None and self.mean_diameter is None:
            object.__setattr__(self, "n_grains", 60)
        if self.n_grains is not None:
            require(
                _is_int(self.n_grains) and self.n_grains >= 1,
                "n_grains",
                self.n_grains,
                "must be a whole number >= 1",
            )
            count = int(self.n_grains)
        else:
            require(
                _is_number(self.mean_diameter) and self.mean_diameter > 0,
                "mean_diameter",
                self.mean_diameter,
                "must be a positive number of pixels",
            )
            # Equivalent-circle diameter: each grain covers pi d^2 / 4 pixels.
            count = max(1, round(area / (math.pi * self.mean_diameter**2 / 4)))
        # Each grain needs room for its own seed pixel and a hard core around it.
        max_count = area // 16
        require(
            count <= max_count,
            "n_grains" if self.n_grains is not None else "mean_diameter",
            self.n_grains if self.n_grains is not None else self.mean_diameter,
            f"asks for {count} grains in {shape[0]}x{shape[1]} px; at most {max_count} "
            "fit (grains need at least 16 px each)",
        )
        object.__setattr__(self, "grain_count", count)
        if self.mean_diameter is None:
            object.__setattr__(self, "mean_diameter", math.sqrt(4 * area / (math.pi * count)))

        require(
            _is_number(self.size_spread) and 0 <= self.size_spread <= 1,
            "size_spread",
            self.size_spread,
            "must be between 0 (uniform grains) and 1 (local grain size varying by ~e)",
        )
        require(
            self.morphology in MORPHOLOGIES,
            "morphology",
            self.morphology,
            f"must be one of {', '.join(MORPHOLOGIES)}",
        )
        self._check_elongation()
        require(
            _is_number(self.direction) and math.isfinite(self.direction),
            "direction",
            self.direction,
            "must be an angle in degrees",
        )
        require(
            _is_int(self.boundary_width) and self.boundary_width >= 1,
            "boundary_width",
            self.boundary_width,
            "must be a whole number of pixels >= 1",
        )
        minor_diameter = self.mean_diameter / math.sqrt(self.elongation)
        require(
            self.boundary_width < minor_diameter / 2,
            "boundary_width",
            self.boundary_width,
            f"must be below half the mean grain width ({minor_diameter / 2:.1f} px); "
            "wider boundaries are larger than the grains",
        )
        check_rendering(
            self.dose,
            self.blur,
            self.seed,
            contrast=self.contrast,
            boundary_contrast=self.boundary_contrast,
        )
        require(
            self.target_domain is None or isinstance(self.target_domain, TargetDomain),
            "target_domain",
            self.target_domain,
            "must be a TargetDomain, True/False or None",
        )

    def _check_elongation(self) -> None:
        if self.elongation is None:
            default = DEFAULT_ELONGATION if self.morphology == "elongated" else 1.0
            object.__setattr__(self, "elongation", default)
            return
        require(
            _is_number(self.elongation) and 1 <= self.elongation <= 20,
            "elongation",
            self.elongation,
            "must be an aspect ratio between 1 and 20",
        )
        require(
            self.morphology == "elongated" or self.elongation == 1,
            "elongation",
            self.elongation,
            "needs morphology='elongated' (equiaxed grains have elongation 1)",
        )

    @property
    def hard_core_diameter(self) -> float:
        """Smallest seed spacing in the isotropic frame, in pixels."""
        return HARD_CORE_FRACTION * math.sqrt(
            self.shape[0] * self.shape[1] / (self.grain_count * self.elongation)
        )


def _check_shape(shape: object) -> tuple[int, int]:
    try:
        dims = tuple(shape)  # type: ignore[arg-type]
    except TypeError:
        dims = ()
    if len(dims) != 2 or not all(_is_int(d) for d in dims):
        raise ValueError(
            f"shape={shape!r} is invalid: it must be two whole numbers (rows, columns)."
        )
    if min(dims) < 16:
        raise ValueError(f"shape={shape!r} is invalid: each side must be at least 16 px.")
    if dims[0] * dims[1] > 16384**2:
        # The free memory is checked when a sample is generated (generation_cost).
        raise ValueError(f"shape={shape!r} is invalid: at most 16384 x 16384 px.")
    return int(dims[0]), int(dims[1])


def _is_number(value: object) -> bool:
    # numbers.Real admits numpy scalars from widgets and arrays; bool is excluded
    # because True == 1 would silently pass as a count.
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _is_int(value: object) -> bool:
    return _is_number(value) and float(value).is_integer()


def require(ok: bool, name: str, value: object, why: str) -> None:
    """Raise a ValueError naming the parameter, its value and why it is wrong."""
    if not ok:
        raise ValueError(f"{name}={value!r} is invalid: it {why}.")


# What a contrast out of range is told, by its lowest allowed value.
_CONTRAST_RANGES = {
    -1: "must be between -1 (bright edges) and 1 (dark grooves)",
    0: "must be between 0 and 1 (a spread of grey levels)",
}


def check_rendering(
    dose: float | None = None, blur: float = 0.0, seed: int = 0, **contrasts: float
) -> None:
    """Raise a ValueError naming the first rendering parameter out of range.

    The same rules as :func:`~napari_finetune.voronoi_grains` (``dose`` a positive
    number of electrons per pixel or None, ``blur`` a sigma of 0-20 px, ``seed``
    an integer >= 0); ``contrasts`` by name: ``boundary_contrast`` in [-1, 1],
    any other in [0, 1].
    """
    require(
        dose is None or (_is_number(dose) and dose > 0),
        "dose",
        dose,
        "must be a positive number of electrons per pixel, or None for no noise",
    )
    require(
        _is_number(blur) and 0 <= blur <= 20,
        "blur",
        blur,
        "must be a Gaussian sigma between 0 and 20 px",
    )
    require(_is_int(seed) and seed >= 0, "seed", seed, "must be an integer >= 0")
    for name, value in contrasts.items():
        low = -1 if name == "boundary_contrast" else 0
        require(_is_number(value) and low <= value <= 1, name, value, _CONTRAST_RANGES[low])
