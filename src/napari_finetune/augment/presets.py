"""Modality presets: which transforms the physics of an image allows, and why not.

A preset lists, for every transform it forbids, the physical reason shown to the
user. Everything else in the catalogue is legal and claims its symmetry
(:attr:`TransformInfo.symmetry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from napari_finetune.augment.catalog import CATALOG

_ROTATES_GRADIENT = (
    "the thermal gradient is physically real and points along the image's vertical "
    "axis; rotating turns it, giving columns that grow across the heat flow"
)
_ORIENTATION_FRAME = (
    "the IPF colour encodes crystal orientation in the sample frame; {what} moves the "
    "pixels without recolouring them, so every orientation becomes wrong"
)
_COLOUR_IS_ORIENTATION = "the colour is the measured orientation; {what} changes it"
# Measured: synthetic grains elongated at 30° (task B) fine-tuned without the
# mirrors and turns scored 0.878 / 0.904 / 0.885 (3 seeds) against 0.867 / 0.885 /
# 0.878 with them (README, *Augmentation preview*).
_TURNS_THE_DIRECTION = (
    "the features lie along one direction of the image (rolled, extruded or elongated "
    "grains, columns at an angle); {what} shows them along directions the sample never has"
)
_MIXES_ORIENTATIONS = (
    "{what} mixes the colours of neighbouring grains into orientations that exist "
    "nowhere in the sample"
)
_CALIBRATED = (
    "intensity is calibrated and encodes composition; {what} changes the measured "
    "concentration, not just the look"
)


@dataclass(frozen=True)
class Preset:
    """A modality: what it is, and the transforms it forbids with their reasons.

    Attributes
    ----------
    key : str
        Identifier used in pipelines and YAML.
    title : str
        Name shown to the user.
    description : str
        What data the preset is for.
    forbidden : Mapping[str, str]
        Transform name -> physical reason it is illegal for this data.
    default_on : tuple of str
        Legal transforms switched on in a fresh pipeline.
    checked : bool
        False for *custom*: nothing is refused.
    keeps_values : bool
        Every output value must be one of the input's (resampling by nearest
        neighbour): for maps whose values are categories, such as orientations.
    """

    key: str
    title: str
    description: str
    forbidden: Mapping[str, str] = field(default_factory=dict)
    default_on: tuple[str, ...] = ()
    checked: bool = True
    keeps_values: bool = False

    def allows(self, name: str) -> bool:
        """Whether the transform ``name`` is legal for this modality."""
        return not self.checked or name not in self.forbidden

    def reason(self, name: str) -> str | None:
        """The physical reason ``name`` is forbidden, or None if it is legal."""
        return None if self.allows(name) else self.forbidden[name]

    @property
    def allowed(self) -> tuple[str, ...]:
        """Names of the legal transforms, in catalogue order."""
        return tuple(name for name in CATALOG if self.allows(name))


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        Preset(
            "equiaxed",
            "Equiaxed polycrystal",
            "Recrystallised or annealed grains with no preferred direction "
            "(SEM/optical micrographs, EM membranes).",
            {},
            (
                "HorizontalFlip",
                "VerticalFlip",
                "RandomRotate90",
                "Rotate",
                "RandomBrightnessContrast",
                "ShotNoise",
                "GaussianBlur",
            ),
        ),
        Preset(
            "directional",
            "Directional solidification / surface gradient",
            "Columnar grains or a gradient along the image's vertical axis.",
            {
                "VerticalFlip": "the thermal gradient is physically real: a vertical "
                "flip reverses the growth direction, a microstructure that cannot form",
                "RandomRotate90": _ROTATES_GRADIENT,
                "Rotate": _ROTATES_GRADIENT,
            },
            ("HorizontalFlip", "RandomBrightnessContrast", "ShotNoise", "GaussianBlur"),
        ),
        Preset(
            "oriented",
            "Oriented (one preferred direction)",
            "Grains or features elongated along one direction, at any angle: rolled or "
            "extruded metals, columnar grains at an angle, aligned fibres.",
            {
                "HorizontalFlip": _TURNS_THE_DIRECTION.format(what="a mirror"),
                "VerticalFlip": _TURNS_THE_DIRECTION.format(what="a mirror"),
                "RandomRotate90": _TURNS_THE_DIRECTION.format(what="a quarter turn"),
                "Rotate": _TURNS_THE_DIRECTION.format(what="a rotation"),
            },
            ("RandomBrightnessContrast", "ShotNoise", "GaussianBlur"),
        ),
        Preset(
            "ebsd",
            "EBSD orientation map (IPF colour)",
            "Inverse-pole-figure colour maps: each colour is a crystal orientation.",
            {
                "HorizontalFlip": _ORIENTATION_FRAME.format(what="a mirror"),
                "VerticalFlip": _ORIENTATION_FRAME.format(what="a mirror"),
                "RandomRotate90": _ORIENTATION_FRAME.format(what="a rotation"),
                "Rotate": _ORIENTATION_FRAME.format(what="a rotation"),
                "RandomBrightnessContrast": _COLOUR_IS_ORIENTATION.format(
                    what="brightness/contrast jitter"
                ),
                "RandomGamma": _COLOUR_IS_ORIENTATION.format(what="gamma"),
                "ShotNoise": _COLOUR_IS_ORIENTATION.format(what="colour noise"),
                "GaussNoise": _COLOUR_IS_ORIENTATION.format(what="colour noise"),
                "GaussianBlur": _MIXES_ORIENTATIONS.format(what="blurring"),
            },
            ("ElasticTransform",),
            # Warping and zooming resample by nearest neighbour: no mixed colours.
            keeps_values=True,
        ),
        Preset(
            "eels",
            "EELS / calibrated intensity map",
            "Quantitative maps where intensity encodes composition or thickness.",
            {
                "RandomBrightnessContrast": _CALIBRATED.format(what="brightness/contrast"),
                "RandomGamma": _CALIBRATED.format(what="gamma"),
                "GaussNoise": _CALIBRATED.format(what="additive intensity jitter"),
                # albumentations' ShotNoise raises the image to the power 2.2 (an
                # sRGB assumption), draws Poisson counts there and clips at 1:
                # measured, it darkens a pixel of 0.1 by 52-79 % on average.
                "ShotNoise": _CALIBRATED.format(
                    what="this shot noise (drawn on a gamma-2.2 image, then clipped)"
                )
                + ": it lowers the mean of pixels near 0.1 of the range by half or more",
            },
            ("HorizontalFlip", "VerticalFlip", "RandomRotate90", "Rotate"),
        ),
        Preset(
            "custom",
            "Custom (nothing checked)",
            "Every transform allowed; you take responsibility for the physics.",
            {},
            ("HorizontalFlip", "VerticalFlip", "RandomRotate90"),
            checked=False,
        ),
    )
}


def get_preset(key: str) -> Preset:
    """The preset called ``key``; ValueError listing the known ones otherwise."""
    try:
        return PRESETS[key]
    except KeyError:
        known = ", ".join(PRESETS)
        raise ValueError(f"preset={key!r} is unknown: choose one of {known}.") from None
