"""The metadata a checkpoint carries, as a typed schema checked before anything is built.

A checkpoint's JSON metadata may come from anywhere (a colleague, a forum, a
damaged disk). Every field is validated with strict types and sane bounds
here, so no code downstream meets a list where it expects a dict, and a file
that claims a 20000-channel bottleneck is refused before any memory is taken.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

# Beyond these a file is not a model this plugin made (the shipped U-Net is
# 8..128 wide, 5 stages deep); the bounds keep a crafted file from costing memory.
MAX_WIDTH = 1024
MAX_STAGES = 8
MAX_CLASSES = 64
MAX_HISTORY = 100_000

Scalar = int | float | str | bool | None
# History fields the plugin counts with (rounds curve, run numbers).
COUNTERS = ("run", "epoch", "step", "train_pixels", "validation_pixels")


class _Strict(BaseModel):
    # strict: no silent "3" -> 3; extra keys are ignored so newer files still load.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Architecture(_Strict):
    """Architecture parameters of the U-Net (see :class:`~napari_finetune.models.UNetConfig`)."""

    name: Literal["unet"]
    in_channels: Literal[1, 3]
    n_classes: Annotated[int, Field(ge=1, le=MAX_CLASSES)]
    widths: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_WIDTH)]],
        Field(min_length=2, max_length=MAX_STAGES),
    ]
    dropout: Annotated[float, Field(ge=0.0, lt=1.0, strict=False)]


class NormalizationSpec(_Strict):
    """Percentile normalisation (see :class:`~napari_finetune.data.normalize.Normalization`)."""

    method: Literal["percentile"] = "percentile"
    low: Annotated[float, Field(ge=0.0, le=100.0, strict=False)]
    high: Annotated[float, Field(ge=0.0, le=100.0, strict=False)]


class CheckpointMetadata(_Strict):
    """Everything a checkpoint says about its model besides the tensors."""

    architecture: Architecture
    classes: dict[str, str]
    normalization: NormalizationSpec
    history: Annotated[list[dict[str, Scalar]], Field(max_length=MAX_HISTORY)] = []
    augmentation: str | None = None
    name: str = ""
    saved: str = ""
    napari_finetune_version: str = ""
    provenance: list[dict[str, Any]] = []

    @field_validator("history")
    @classmethod
    def _history_counters_are_whole_numbers(
        cls, history: list[dict[str, Scalar]]
    ) -> list[dict[str, Scalar]]:
        # The rounds curve and the next run's number are read from these.
        for index, record in enumerate(history):
            for key in COUNTERS:
                if key in record and (
                    isinstance(record[key], bool) or not isinstance(record[key], int)
                ):
                    raise ValueError(f"record {index} has a {key} that is not a whole number")
        return history

    @field_validator("classes")
    @classmethod
    def _classes_are_one_to_k(cls, classes: dict[str, str]) -> dict[str, str]:
        expected = [str(k) for k in range(1, len(classes) + 1)]
        if sorted(classes, key=lambda k: (len(k), k)) != expected:
            raise ValueError(f"class values must be 1..{len(classes)}, got {sorted(classes)}")
        return classes

    @model_validator(mode="after")
    def _consistent(self) -> CheckpointMetadata:
        """Cross-field rules: the classes fill the head, the percentiles are ordered."""
        if len(self.classes) != self.architecture.n_classes:
            raise ValueError(
                f"it names {len(self.classes)} classes but its head predicts "
                f"{self.architecture.n_classes}"
            )
        if not self.normalization.low < self.normalization.high:
            raise ValueError("its normalisation percentiles are not ordered (low >= high)")
        return self


def parse_metadata(data: object) -> CheckpointMetadata:
    """Validate decoded JSON metadata; ValueError with one plain sentence otherwise.

    Parameters
    ----------
    data : object
        The decoded JSON (should be a dict).

    Returns
    -------
    CheckpointMetadata
        The validated metadata.
    """
    if not isinstance(data, dict):
        raise ValueError(f"its metadata is a {type(data).__name__}, not a record")
    try:
        return CheckpointMetadata.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if not where:  # a cross-field rule: its message is already a sentence
            raise ValueError(message) from None
        raise ValueError(f"its metadata field '{where}' is wrong: {message}") from None
