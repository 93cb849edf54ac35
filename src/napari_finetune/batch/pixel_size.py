"""A pixel size given by hand (``--pixel-size``, a folder run's calibration), checked.

Standard library only: the command line checks it before importing torch.
"""

from __future__ import annotations

import math
import numbers

# Units a pixel size may be given in (what the grain report turns into mm for G).
LENGTH_UNITS = {"um": "µm", "µm": "µm", "nm": "nm", "mm": "mm"}


def checked_pixel_size(size: object, unit: object) -> tuple[float, str]:
    """``(pixel size, unit symbol)`` of a pixel size given by hand, checked.

    Raises
    ------
    ValueError
        A unit that is not one of :data:`LENGTH_UNITS`, or a size that is not
        a positive, finite number.
    """
    if not isinstance(unit, str) or unit not in LENGTH_UNITS:
        raise ValueError(f"unit {unit!r} is not a length unit: use um, nm or mm.")
    # A number, not a text or a flag ('0.5' > 0 would raise TypeError); NaN and inf refused.
    number = isinstance(size, numbers.Real) and not isinstance(size, bool)
    if not (number and math.isfinite(size) and size > 0):
        raise ValueError(f"the pixel size must be a positive length (a number), not {size!r}.")
    return float(size), LENGTH_UNITS[unit]
