"""An augmentation pipeline: named transforms with probabilities, checked by a preset.

The same object drives the preview widget and, later, fine-tuning; it saves to
YAML and loads back to the same output for the same seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from napari_finetune.augment.catalog import CATALOG
from napari_finetune.augment.compiled import AugmentedSample, CompiledPipeline
from napari_finetune.augment.presets import get_preset

FORMAT = "napari-finetune augmentation pipeline"
VERSION = 1


class ForbiddenTransformError(ValueError):
    """A transform the modality preset forbids, with the physical reason."""

    def __init__(self, transform: str, preset: str, reason: str) -> None:
        self.transform, self.preset, self.reason = transform, preset, reason
        title = get_preset(preset).title
        super().__init__(f"{transform} is not allowed for '{title}': {reason}.")


@dataclass(frozen=True)
class TransformSetting:
    """One transform of a pipeline: on or off, its probability and ranges."""

    name: str
    enabled: bool = False
    p: float = 0.5
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in CATALOG:
            known = ", ".join(CATALOG)
            raise ValueError(f"transform {self.name!r} is unknown: choose from {known}.")
        if not 0 <= self.p <= 1:
            raise ValueError(f"{self.name}: probability p={self.p} must be in [0, 1].")
        object.__setattr__(self, "params", _as_tuples(dict(self.params)))


@dataclass(frozen=True)
class AugmentationPipeline:
    """Transforms in catalogue order, each on or off, checked by ``preset``.

    Build one with :meth:`from_preset`; change it with :meth:`with_enabled` and
    :meth:`with_probability`, which return new pipelines.
    """

    preset: str = "equiaxed"
    transforms: tuple[TransformSetting, ...] = ()

    def __post_init__(self) -> None:
        get_preset(self.preset)
        given = {t.name: t for t in self.transforms}
        if len(given) != len(self.transforms):
            raise ValueError("a transform is listed twice in the pipeline.")
        # Every catalogue transform is present (off unless given), in catalogue order.
        full = tuple(
            given.get(name, TransformSetting(name, False, info.default_p))
            for name, info in CATALOG.items()
        )
        object.__setattr__(self, "transforms", full)
        for setting in full:
            if setting.enabled:
                self._check_allowed(setting.name)
            self._check_settable(setting)

    @classmethod
    def from_preset(cls, preset: str = "equiaxed") -> AugmentationPipeline:
        """A pipeline with the preset's default transforms switched on."""
        on = set(get_preset(preset).default_on)
        return cls(
            preset,
            tuple(
                TransformSetting(name, name in on, info.default_p)
                for name, info in CATALOG.items()
            ),
        )

    def _check_allowed(self, name: str) -> None:
        reason = get_preset(self.preset).reason(name)
        if reason is not None:
            raise ForbiddenTransformError(name, self.preset, reason)

    def _check_settable(self, setting: TransformSetting) -> None:
        preset = get_preset(self.preset)
        settable = CATALOG[setting.name].settable
        unknown = _refused_params(self.preset, setting)
        if unknown:
            raise ValueError(
                f"{setting.name}: {', '.join(unknown)} cannot be set under '{preset.title}' "
                f"(only {', '.join(settable) or 'nothing'}): it could rotate, shear, reflect or "
                "recolour the image behind the preset's back. Choose the 'custom' preset to "
                "set it and take responsibility for the physics."
            )

    def setting(self, name: str) -> TransformSetting:
        """The setting of transform ``name``."""
        for setting in self.transforms:
            if setting.name == name:
                return setting
        raise ValueError(f"transform {name!r} is unknown.")

    def with_enabled(self, name: str, enabled: bool = True) -> AugmentationPipeline:
        """A copy with ``name`` switched on or off.

        Raises
        ------
        ForbiddenTransformError
            When switching on a transform the preset forbids; the message gives
            the physical reason.
        """
        if enabled:
            self._check_allowed(name)
        return self._with(name, enabled=enabled)

    def with_probability(self, name: str, p: float) -> AugmentationPipeline:
        """A copy with the probability of ``name`` set to ``p``."""
        return self._with(name, p=p)

    def with_preset(self, preset: str) -> AugmentationPipeline:
        """The new preset's defaults, keeping probabilities and the ranges it lets be set.

        Parameters only *Custom* lets a pipeline set (``Affine``'s ``rotate``)
        are dropped under a checked preset: they could break its physics.
        """
        fresh = AugmentationPipeline.from_preset(preset)

        def kept(setting: TransformSetting) -> dict:
            refused = _refused_params(preset, setting)
            return {k: v for k, v in setting.params.items() if k not in refused}

        return replace(
            fresh,
            transforms=tuple(
                replace(mine, enabled=new.enabled, params=kept(mine))
                for mine, new in zip(self.transforms, fresh.transforms, strict=True)
            ),
        )

    def _with(self, name: str, **changes: Any) -> AugmentationPipeline:
        self.setting(name)  # raises for an unknown name
        updated = tuple(replace(t, **changes) if t.name == name else t for t in self.transforms)
        return replace(self, transforms=updated)

    @property
    def active(self) -> tuple[TransformSetting, ...]:
        """The transforms switched on."""
        return tuple(t for t in self.transforms if t.enabled)

    def compile(self) -> CompiledPipeline:
        """The transforms built once, for many draws (a training run's sampler).

        ``compile().apply(image, mask, seed)`` equals ``apply(image, mask, seed)``;
        not thread-safe, so each sampler compiles its own.
        """
        return CompiledPipeline(self.active, get_preset(self.preset).keeps_values)

    def apply(
        self, image: np.ndarray, mask: np.ndarray | None = None, seed: int = 0
    ) -> AugmentedSample:
        """Transform ``image`` and ``mask`` together with one sampled configuration.

        Parameters
        ----------
        image : numpy.ndarray
            2D grey or (rows, cols, 3) RGB; uint8, uint16, any int or float.
        mask : numpy.ndarray, optional
            Integer labels of the image's shape (uint32 included); 0 = unpainted.
        seed : int
            Seed of this configuration.

        Returns
        -------
        AugmentedSample
            Image and mask in their original dtypes, with the sampled parameters.
        """
        return self.compile().apply(image, mask, seed)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML: format tag, version, preset and every transform."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "preset": self.preset,
            "transforms": [
                {"name": t.name, "enabled": t.enabled, "p": t.p, "params": _as_lists(t.params)}
                for t in self.transforms
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AugmentationPipeline:
        """Inverse of :meth:`to_dict`; refuses foreign data and forbidden transforms."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError("this is not a napari-finetune augmentation pipeline.")
        if data.get("version") != VERSION:
            raise ValueError(f"pipeline version {data.get('version')} is not supported.")
        transforms = tuple(
            TransformSetting(
                str(t["name"]),
                bool(t.get("enabled")),
                float(t.get("p", 0.5)),
                t.get("params") or {},
            )
            for t in data.get("transforms", [])
        )
        return cls(str(data.get("preset", "equiaxed")), transforms)

    def to_yaml(self) -> str:
        """The pipeline as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> AugmentationPipeline:
        """Parse YAML written by :meth:`to_yaml`."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ValueError(f"the pipeline file is not valid YAML: {err}") from None
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        """Write the pipeline to a YAML file, whole or not at all (a temporary file renamed)."""
        from napari_finetune.data.safe_write import atomic_write

        with atomic_write(path) as temporary:
            Path(temporary).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> AugmentationPipeline:
        """Read a pipeline from a YAML file."""
        return cls.from_yaml(Path(path).read_text(encoding="utf-8"))


def _refused_params(preset: str, setting: TransformSetting) -> list[str]:
    """The parameters ``setting`` sets that ``preset`` does not let a pipeline set."""
    if not get_preset(preset).checked:
        return []
    settable = CATALOG[setting.name].settable
    return [key for key in setting.params if key not in settable]


def _as_tuples(value: Any) -> Any:
    """Lists (from YAML) to tuples, so pipelines compare equal after a round trip."""
    if isinstance(value, Mapping):
        return {k: _as_tuples(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return tuple(_as_tuples(v) for v in value)
    return value


def _as_lists(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_lists(v) for v in value]
    return value
