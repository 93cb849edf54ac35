"""The transforms we offer, each with the symmetry it claims about the data.

albumentations 2.0.8 is the last MIT release and is unmaintained, so it is used
only here and in :mod:`napari_finetune.augment.compiled` (which composes, seeds and
describes what these factories build): swapping it means rewriting these factories
and that module, nothing else.

Geometric transforms are built label-safe: masks use nearest-neighbour
interpolation and areas that rotation or warping brings in are filled with 0,
which for painted labels means *unpainted* (ignored by the loss).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

# Keep albumentations from asking the network for a newer version at import.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
import albumentations as A

GEOMETRIC, INTENSITY, NOISE, BLUR = "geometric", "intensity", "noise", "blur"

# The transforms that resample the image (and so interpolate between pixels).
RESAMPLING = ("Rotate", "Affine", "ElasticTransform")
_LABEL_SAFE = {
    "mask_interpolation": cv2.INTER_NEAREST,
    "border_mode": cv2.BORDER_CONSTANT,
    "fill": 0,
    "fill_mask": 0,
}


@dataclass(frozen=True)
class TransformInfo:
    """One transform: how to build it, what it claims and how to describe a sample.

    Attributes
    ----------
    name : str
        The albumentations class name, also the key in pipelines and YAML.
    label : str
        Short name for captions under a preview tile.
    kind : str
        ``'geometric'``, ``'intensity'``, ``'noise'`` or ``'blur'``.
    symmetry : str
        The invariance the transform asserts about the data, shown to the user.
    default_p : float
        Probability of applying it in a fresh pipeline.
    default_params : Mapping
        Keyword arguments (ranges) for the albumentations constructor.
    title : str
        What a checkbox shows when the class name alone would mislead
        (``Affine`` here only zooms); empty: the name.
    tunable : tuple of str, optional
        The parameters a pipeline under a checked preset may set: the ranges
        offered, never those that would rotate, shear, reflect or recolour
        behind the preset's back (``Affine``: ``scale`` only). None: the keys
        of ``default_params``.
    """

    name: str
    label: str
    kind: str
    symmetry: str
    default_p: float
    default_params: Mapping[str, Any] = field(default_factory=dict)
    _describe: Callable[[Mapping[str, Any]], str] = field(default=lambda p: "", repr=False)
    title: str = ""
    tunable: tuple[str, ...] | None = None

    @property
    def settable(self) -> tuple[str, ...]:
        """The parameters a checked preset lets a pipeline set (see ``tunable``)."""
        return tuple(self.default_params) if self.tunable is None else self.tunable

    @property
    def shown_as(self) -> str:
        """The name shown beside its checkbox."""
        return self.title or self.name

    @property
    def geometric(self) -> bool:
        """Whether the transform moves pixels (and so must move the mask too)."""
        return self.kind == GEOMETRIC

    def build(
        self, p: float, params: Mapping[str, Any], nearest: bool = False
    ) -> A.BasicTransform:
        """The albumentations transform, label-safe when geometric.

        ``nearest``: resample the image by nearest neighbour too, so that every
        output value is one of the input's (an EBSD map's colours are
        orientations: interpolating between two grains makes one that exists
        nowhere).
        """
        kwargs = {**self.default_params, **params, "p": p}
        if self.name in RESAMPLING:
            kwargs = {**_LABEL_SAFE, **kwargs}
            if nearest:
                kwargs["interpolation"] = cv2.INTER_NEAREST
        return getattr(A, self.name)(**kwargs)

    def describe(self, sampled: Mapping[str, Any]) -> str:
        """Short text of the parameters one application sampled (from a replay)."""
        return f"{self.label} {self._describe(sampled)}".strip()


def _rotation_angle(sampled: Mapping[str, Any]) -> str:
    matrix = np.asarray(sampled["matrix"])
    return f"{math.degrees(math.atan2(matrix[1, 0], matrix[0, 0])):+.0f}°"


def _zoom_factor(sampled: Mapping[str, Any]) -> str:
    matrix = np.asarray(sampled["matrix"])
    return f"×{math.sqrt(abs(float(np.linalg.det(matrix[:2, :2])))):.2f}"


def _elastic(sampled: Mapping[str, Any]) -> str:
    rows, cols = np.asarray(sampled["map_x"]).shape
    dx = np.asarray(sampled["map_x"]) - np.arange(cols)[None, :]
    dy = np.asarray(sampled["map_y"]) - np.arange(rows)[:, None]
    return f"≤{float(np.hypot(dx, dy).max()):.1f} px"


def _blur_sigma(sampled: Mapping[str, Any]) -> str:
    kernel = np.asarray(sampled["kernel"], dtype=float).ravel()
    offsets = np.arange(kernel.size) - (kernel.size - 1) / 2
    return f"σ {math.sqrt(float((kernel * offsets**2).sum() / kernel.sum())):.1f} px"


CATALOG: dict[str, TransformInfo] = {
    info.name: info
    for info in (
        TransformInfo(
            "HorizontalFlip",
            "h-flip",
            GEOMETRIC,
            "mirror symmetry: left and right are equivalent in the sample",
            0.5,
        ),
        TransformInfo(
            "VerticalFlip",
            "v-flip",
            GEOMETRIC,
            "mirror symmetry: up and down are equivalent in the sample",
            0.5,
        ),
        TransformInfo(
            "RandomRotate90",
            "rot90",
            GEOMETRIC,
            "4-fold rotational symmetry: no preferred direction in the sample plane",
            0.5,
            {},
            lambda s: f"{90 * int(s.get('factor', 0))}°",
        ),
        TransformInfo(
            "Rotate",
            "rot",
            GEOMETRIC,
            "continuous rotational symmetry: the microstructure is isotropic",
            0.5,
            {"limit": (-180, 180)},
            _rotation_angle,
        ),
        TransformInfo(
            "Affine",
            "zoom",
            GEOMETRIC,
            # No range here: a pipeline may set its own; each view's caption says its factor.
            "magnification: what a pixel is does not depend on the scale it was imaged at",
            0.5,
            # Zooming in and out equally often; one factor for both axes.
            {"scale": (0.67, 1.5), "keep_ratio": True, "balanced_scale": True},
            _zoom_factor,
            "Affine (zoom)",
            # Its other parameters rotate, shear and translate: never through a preset.
            ("scale",),
        ),
        TransformInfo(
            "ElasticTransform",
            "elastic",
            GEOMETRIC,
            "robustness to drift: small smooth distortions of the scan do not change "
            "what a pixel is",
            0.3,
            {"alpha": 60.0, "sigma": 12.0},
            _elastic,
        ),
        TransformInfo(
            "RandomBrightnessContrast",
            "b/c",
            INTENSITY,
            "the label is structural, not intensity-calibrated",
            0.5,
            {"brightness_limit": (-0.2, 0.2), "contrast_limit": (-0.2, 0.2)},
            lambda s: f"×{s['alpha']:.2f} {s['beta']:+.2f}",
        ),
        TransformInfo(
            "RandomGamma",
            "gamma",
            INTENSITY,
            "detector response (gamma) varies between sessions; the structure does not",
            0.3,
            {"gamma_limit": (80, 120)},
            lambda s: f"{s['gamma']:.2f}",
        ),
        TransformInfo(
            "ShotNoise",
            "shot",
            NOISE,
            "robustness to Poisson shot noise: the same structure imaged at lower dose",
            0.3,
            {"scale_range": (0.02, 0.1)},
            lambda s: f"{s['scale']:.3f}",
        ),
        TransformInfo(
            "GaussNoise",
            "noise",
            NOISE,
            "robustness to detector read noise",
            0.3,
            {"std_range": (0.02, 0.08)},
            lambda s: f"σ {float(np.asarray(s['noise_map']).std()):.3f}",
        ),
        TransformInfo(
            "GaussianBlur",
            "blur",
            BLUR,
            "robustness to focus and probe size",
            0.3,
            {"sigma_limit": (0.5, 1.5)},
            _blur_sigma,
        ),
    )
}
