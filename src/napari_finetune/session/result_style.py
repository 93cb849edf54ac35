"""How result layers look: class colours of a prediction, the uncertainty overlay.

Decisions only (no Qt, no napari): the Fine-tune dock applies them to its
layers, and a script or a report can use the same colours. A prediction
gets colours of its own, chosen away from the colours the user paints with
so that predicted and painted pixels are never confused; the uncertainty
map is styled by how bright the image under it is displayed, since an
additive overlay vanishes on a white micrograph.
"""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Okabe & Ito's colour-blind-safe palette (without black), in order of preference.
PREDICTION_PALETTE: tuple[tuple[str, str], ...] = (
    ("blue", "#0072b2"),
    ("vermilion", "#d55e00"),
    ("bluish green", "#009e73"),
    ("reddish purple", "#cc79a7"),
    ("orange", "#e69f00"),
    ("sky blue", "#56b4e9"),
    ("yellow", "#f0e442"),
)
# CIE76 colour difference below which two colours read as "the same" at a glance.
MIN_COLOUR_DIFFERENCE = 30.0
# Mean displayed intensity (0 black .. 1 white) from which an image counts as bright.
BRIGHT_IMAGE = 0.5
# Pixels looked at to judge brightness: a strided sample is as good as all of them.
BRIGHTNESS_SAMPLES = 65_536
# What hovering shows over pixels no prediction covers yet (planes not previewed,
# rows a stopped band-by-band run did not reach).
UNPREDICTED = "not predicted yet"


@dataclass(frozen=True)
class ClassColour:
    """The colour of one predicted class.

    Attributes
    ----------
    name : str
        The class' name (e.g. ``'boundary'``).
    colour : str
        ``'#rrggbb'``.
    colour_name : str
        The colour in words (e.g. ``'vermilion'``), for legends and status lines.
    """

    name: str
    colour: str
    colour_name: str


@dataclass(frozen=True)
class OverlayStyle:
    """How to draw a scalar map over an image.

    Attributes
    ----------
    colormap : str
        A colormap name: napari's own when ``colours`` is None.
    colours : tuple or None
        RGBA stops (0..1, evenly spaced from low to high) of a colormap of
        our own called ``colormap``; alpha rises with the value, so low values
        leave the image visible.
    blending : str
        ``'additive'`` or ``'translucent'``.
    opacity : float
        Layer opacity.
    """

    colormap: str
    colours: tuple[tuple[float, float, float, float], ...] | None
    blending: str
    opacity: float


# Dark image: glowing inferno added to it (black = sure adds nothing).
DARK_IMAGE_UNCERTAINTY = OverlayStyle("inferno", None, "additive", 0.55)
# Bright image: adding light to white shows nothing; a dark violet-to-crimson
# ramp whose alpha grows with the uncertainty is drawn over it instead.
BRIGHT_IMAGE_UNCERTAINTY = OverlayStyle(
    "unsure (on bright images)",
    (
        (0.20, 0.00, 0.45, 0.00),
        (0.30, 0.00, 0.60, 0.45),
        (0.55, 0.00, 0.55, 0.80),
        (0.70, 0.00, 0.20, 0.95),
    ),
    "translucent",
    0.85,
)


def _rgb(colour: str | Sequence[float]) -> tuple[np.ndarray, float]:
    """RGB in 0..1 and alpha of ``'#rrggbb'``, ``'#rrggbbaa'`` or an RGB(A) sequence."""
    if isinstance(colour, str):
        digits = colour.lstrip("#")
        values = [int(digits[i : i + 2], 16) / 255 for i in range(0, len(digits), 2)]
    else:
        values = [float(v) for v in colour]
    alpha = values[3] if len(values) > 3 else 1.0
    return np.asarray(values[:3], float), alpha


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour in 0..1."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        np.array(
            [
                [0.4124, 0.3576, 0.1805],
                [0.2126, 0.7152, 0.0722],
                [0.0193, 0.1192, 0.9505],
            ]
        )
        @ linear
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def colour_difference(a: str | Sequence[float], b: str | Sequence[float]) -> float:
    """CIE76 difference of two colours (about 2.3: just noticeable; 30: clearly different)."""
    return float(np.linalg.norm(_lab(_rgb(a)[0]) - _lab(_rgb(b)[0])))


def _extra_colour(index: int) -> tuple[str, str]:
    """Colours past the palette: hues a golden angle apart, saturated, light or dark."""
    hue = (0.11 + index * 0.381966) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95 if index % 2 else 0.6)
    hex_colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
    return f"hue {round(hue * 360)}°", hex_colour


def prediction_colours(
    classes: Mapping[int, str],
    avoid: Sequence[str | Sequence[float]] = (),
) -> dict[int, ClassColour]:
    """A distinct colour for each predicted class, unlike the colours to ``avoid``.

    Classes take colours from :data:`PREDICTION_PALETTE` in order, skipping
    any within :data:`MIN_COLOUR_DIFFERENCE` of a colour to avoid (the painted
    layer's classes) or of one already given; when none is left that far, the
    colour farthest from them is used.

    Parameters
    ----------
    classes : mapping
        Class value (1..K) -> name.
    avoid : sequence
        Colours already in use: ``'#rrggbb'`` or RGB(A) in 0..1. Fully
        transparent ones (alpha 0) are ignored.

    Returns
    -------
    dict
        Class value -> :class:`ClassColour`, in the order of the values.
    """
    taken = [_lab(rgb) for rgb, alpha in map(_rgb, avoid) if alpha > 0]
    candidates = list(PREDICTION_PALETTE)
    # Spare candidates past the palette, so that the farthest ones can be picked.
    candidates += [_extra_colour(i) for i in range(3 * max(0, len(classes) - len(candidates)))]
    chosen: dict[int, ClassColour] = {}
    for value in sorted(classes):

        def distance(candidate: tuple[str, str]) -> float:
            lab = _lab(_rgb(candidate[1])[0])
            return min((float(np.linalg.norm(lab - t)) for t in taken), default=np.inf)

        pick = next((c for c in candidates if distance(c) >= MIN_COLOUR_DIFFERENCE), None)
        pick = pick or max(candidates, key=distance)
        candidates.remove(pick)
        taken.append(_lab(_rgb(pick[1])[0]))
        chosen[value] = ClassColour(classes[value], pick[1], pick[0])
    return chosen


AVOID_KEY = "avoid_colours"  # in a store's layer record: the painted layer's colours
# How many painted classes' colours a store records: the worker may load the
# model after the store is planned, so its class count is not known yet; a
# prediction of more classes reopens unlike only these.
AVOID_RECORDED = 16


def avoided(colours: Sequence[Sequence[float]]) -> dict:
    """A store's layer record of the colours its prediction was chosen unlike (JSON-able).

    Empty when there are none, so that a store predicted without a painted
    layer records nothing.
    """
    kept = [[float(v) for v in colour] for colour in colours]
    return {AVOID_KEY: kept} if kept else {}


def avoided_colours(record: object) -> list[list[float]]:
    """The colours a store's layer ``record`` says to avoid; none when it holds no usable ones.

    A record edited or damaged by hand loses only its unusable colours (not
    three or four numbers in 0..1): a reopened prediction then still opens.
    """
    colours = record.get(AVOID_KEY) if isinstance(record, dict) else None
    usable = []
    for colour in colours if isinstance(colours, list) else []:
        try:
            values = [float(v) for v in colour]
        except (TypeError, ValueError):
            continue
        if len(values) in (3, 4) and all(0.0 <= v <= 1.0 for v in values):
            usable.append(values)
    return usable


def displayed_brightness(
    image: np.ndarray,
    contrast_limits: tuple[float, float] | None = None,
    rgb: bool | None = None,
) -> float:
    """Mean intensity of ``image`` as displayed, 0 (black) .. 1 (white).

    Looks at a strided sample of about :data:`BRIGHTNESS_SAMPLES` pixels,
    taken before anything is read, so that a lazy (Dask, Zarr) image loads
    only those.

    Parameters
    ----------
    image : array-like
        A plane or a stack, grey or RGB(A) (channels last; alpha is ignored).
    contrast_limits : tuple, optional
        The display's ``(low, high)``; by default the data's range
        (0..255 for 8-bit images).
    rgb : bool, optional
        Whether the last axis holds colour channels; guessed from its length
        (3 or 4) when not given.
    """
    shape = tuple(np.shape(image))
    if rgb is None:
        rgb = len(shape) >= 3 and shape[-1] in (3, 4)
    spatial = shape[:-1] if rgb else shape
    if not spatial or 0 in spatial:
        return 0.0
    step = max(1, int(np.ceil((np.prod(spatial) / BRIGHTNESS_SAMPLES) ** (1 / len(spatial)))))
    index = tuple(slice(None, None, step) for _ in spatial) + ((slice(0, 3),) if rgb else ())
    sample = np.asarray(image[index], dtype=np.float64)
    if contrast_limits is None:
        uint8 = np.dtype(getattr(image, "dtype", sample.dtype)) == np.uint8
        low, high = (0.0, 255.0) if uint8 else (float(sample.min()), float(sample.max()))
    else:
        low, high = map(float, contrast_limits)
    if high <= low:
        return float(sample.mean() > low)
    return float(np.clip((sample - low) / (high - low), 0.0, 1.0).mean())


def uncertainty_style(brightness: float) -> OverlayStyle:
    """How to draw the uncertainty map over an image of this displayed brightness.

    Parameters
    ----------
    brightness : float
        :func:`displayed_brightness` of the image under the map.

    Returns
    -------
    OverlayStyle
        :data:`DARK_IMAGE_UNCERTAINTY` (inferno, additive) below
        :data:`BRIGHT_IMAGE`, else :data:`BRIGHT_IMAGE_UNCERTAINTY`
        (a dark ramp, translucent, low values see-through).
    """
    return BRIGHT_IMAGE_UNCERTAINTY if brightness >= BRIGHT_IMAGE else DARK_IMAGE_UNCERTAINTY


def class_styling(colours: dict[int, ClassColour]) -> dict:
    """Labels-layer keywords for napari: each class' own colour, its name on hover (features)."""
    return {
        "colormap": {0: "transparent", None: "transparent"}
        | {value: c.colour for value, c in colours.items()},
        "features": {
            "index": [0, *colours],
            "class": [UNPREDICTED, *(c.name for c in colours.values())],
            "colour": ["none", *(c.colour_name for c in colours.values())],
        },
    }
