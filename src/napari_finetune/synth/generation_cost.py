"""What generating a synthetic grain sample costs, estimated before it starts.

A GUI keeps short generations on its own thread (no worker start-up, the layers
appear at once) and must move long ones off it; any caller must refuse a size
whose arrays would not fit in memory, before the operating system kills the
process (and napari with it) half-way through.
"""

from __future__ import annotations

import psutil

from napari_finetune.synth.parameters import GrainParameters

# Peak bytes per pixel of a sample with a target domain and painted strokes:
# float intermediates, int32 grain ids, boundaries, strokes (57 B/px measured
# at 2048², rounded up).
BYTES_PER_PIXEL = 64
# Seconds per pixel of tessellation and rendering (0.8 s at 2048², 60 grains).
SECONDS_PER_PIXEL = 2e-7
# Seconds per grain of site placement at size_spread 0; a strong spread makes
# candidates rarer and the hard core retry (~130 us per grain at spread 1).
SECONDS_PER_GRAIN = 2e-5
SPREAD_SLOWDOWN = 6.0


def estimated_seconds(params: GrainParameters) -> float:
    """Rough single-core time to generate the sample of ``params``, in seconds.

    Parameters
    ----------
    params : GrainParameters
        Validated parameters of the sample.

    Returns
    -------
    float
        An estimate erring on the slow side (measured 2048² x 30,000 grains at
        spread 1: 4.8 s, estimated 5 s).
    """
    pixels = params.shape[0] * params.shape[1]
    per_grain = SECONDS_PER_GRAIN * (1 + SPREAD_SLOWDOWN * params.size_spread**2)
    return SECONDS_PER_PIXEL * pixels + per_grain * params.grain_count


def estimated_bytes(params: GrainParameters) -> int:
    """Peak memory, in bytes, of generating the sample of ``params``.

    Parameters
    ----------
    params : GrainParameters
        Validated parameters of the sample.

    Returns
    -------
    int
        :data:`BYTES_PER_PIXEL` times the pixels of ``params.shape``.
    """
    return BYTES_PER_PIXEL * params.shape[0] * params.shape[1]


def check_fits_in_memory(params: GrainParameters, available: int | None = None) -> None:
    """Raise a ValueError when the sample would need more memory than is free.

    Parameters
    ----------
    params : GrainParameters
        Validated parameters of the sample.
    available : int, optional
        Free bytes; by default what the operating system reports as available now.

    Raises
    ------
    ValueError
        Naming the shape, the memory it needs and what is available.
    """
    needed = estimated_bytes(params)
    if available is None:
        available = psutil.virtual_memory().available
    if needed > available:
        rows, cols = params.shape
        raise ValueError(
            f"shape=({rows}, {cols}) is invalid: generating it needs about "
            f"{needed / 2**30:.1f} GiB of memory and only {available / 2**30:.1f} GiB "
            "is available; choose a smaller image."
        )
