"""Which model made a folder run's outputs: recorded in each prediction, checked on resume.

A folder run skips images whose outputs exist, so that a stopped run resumes.
That is right only when those outputs are what this run would write: after
*Fine-tune* trained a new model, applying it to the same folder must not keep
the old model's predictions and report them as done. So every
``<name>_prediction.tif`` records what made it (:class:`MadeBy`: the model's
name and a SHA-256 of its weights, whether the views were averaged, the pixel
size the grains were measured with) in its TIFF description, and a run that
would skip outputs made otherwise refuses (:class:`StaleOutputs`) and says how
they differ, before any image is read. Outputs that record nothing (written
before predictions were stamped, or by another program) are kept as before.

Standard library only, tifffile imported on first read: planning stays light.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from napari_finetune.class_roles import names_by_value

if TYPE_CHECKING:
    from napari_finetune.models.model import SegmentationModel

# The key of the record in the prediction TIFF's JSON description (tifffile's
# "shaped" metadata, which also holds the array's shape).
METADATA_KEY = "napari_finetune"
# Digits of the weights' SHA-256 shown in messages: enough to tell models apart.
SHOWN_DIGITS = 8


@dataclass(frozen=True)
class MadeBy:
    """What a folder run's outputs depend on, beside the image itself.

    Attributes
    ----------
    model : str
        The model's name (for messages; models are told apart by ``weights``).
    weights : str
        SHA-256 of the network's tensors
        (:func:`~napari_finetune.models.checkpoint_tensors.tensor_digest`) and
        of how it normalises images: what the predictions depend on.
    views : int
        How many views each prediction averaged (1: the image as it is; see
        :func:`~napari_finetune.inference.views.views_for`).
    measured : bool
        Whether the run measured the grains (wrote the grain CSVs) too.
    calibration : tuple of (float, str), optional
        The pixel size given for measuring grains; None when each image's
        instrument tags gave it, or when nothing was measured.
    """

    model: str
    weights: str
    views: int = 1
    measured: bool = False
    calibration: tuple[float, str] | None = None

    @classmethod
    def of(
        cls,
        model: SegmentationModel,
        average_views: bool = False,
        measured: bool = False,
        calibration: tuple[float, str] | None = None,
    ) -> MadeBy:
        """The record of a run of ``model`` with these options (hashes its weights, ~ms)."""
        from napari_finetune.inference.views import views_for
        from napari_finetune.models.checkpoint_tensors import tensor_digest

        digest = hashlib.sha256(tensor_digest(model.net.state_dict()).encode())
        digest.update(json.dumps(model.normalization.to_dict(), sort_keys=True).encode())
        views = len(views_for(model, average_views))
        given = calibration if measured else None
        return cls(model.name, digest.hexdigest(), views, measured, given)

    def metadata(self, classes: Mapping[int, str] | None = None) -> dict[str, dict[str, Any]]:
        """The record as TIFF metadata (``tifffile.imwrite(..., metadata=...)``).

        ``classes``: the model's class names, recorded beside (not compared):
        ``napari-finetune measure`` reads them (:func:`recorded_class_names`).
        """
        calibration = None if self.calibration is None else list(self.calibration)
        record = {
            "model": self.model,
            "weights_sha256": self.weights,
            "views": self.views,
            "measured": self.measured,
            "calibration": calibration,
        }
        if classes:
            record["classes"] = {str(k): v for k, v in classes.items()}
        return {METADATA_KEY: record}

    @classmethod
    def from_metadata(cls, metadata: object) -> MadeBy | None:
        """The record in a TIFF's shaped metadata; None if it holds none, or a damaged one."""
        found = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        if not isinstance(found, dict):
            return None
        model, weights = found.get("model"), found.get("weights_sha256")
        views, measured = found.get("views", 1), found.get("measured", False)
        calibration = found.get("calibration")
        if not (isinstance(model, str) and isinstance(weights, str)):
            return None
        if not (type(views) is int and views >= 1 and isinstance(measured, bool)):
            return None
        if calibration is not None:
            try:
                size, unit = calibration
                calibration = (float(size), str(unit))
            except (TypeError, ValueError):
                return None
        return cls(model, weights, views, measured, calibration)

    def differences(self, run: MadeBy) -> list[tuple[str, str]]:
        """How outputs made by ``self`` differ from what ``run`` would make; [] if alike.

        Each difference is ``(recorded, this run's)`` in words. Grains count only
        when ``run`` measures them: a run that does not measure keeps a
        prediction whatever grain CSVs were written with it.
        """
        said = []
        if self.weights != run.weights:
            said.append((f"model {self._model_words()}", f"model {run._model_words()}"))
        if self.views != run.views:
            said.append((_views_words(self.views), _views_words(run.views)))
        if run.measured and not self.measured:
            said.append(("no grains measured", "grains measured"))
        elif run.measured and self.calibration != run.calibration:
            said.append(
                (
                    f"grains measured with {_calibration_words(self.calibration)}",
                    f"grains measured with {_calibration_words(run.calibration)}",
                )
            )
        return said

    def _model_words(self) -> str:
        return f"'{self.model}' (weights {self.weights[:SHOWN_DIGITS]}…)"


class StaleOutputs(ValueError):
    """Outputs a run would skip were made by another model or with other options.

    Attributes
    ----------
    found : str
        What was found, in one clause without the remedy (for a question the
        dock asks: replace them?).
    paths : tuple of Path
        The ``<name>_prediction.tif`` of each image whose outputs were made otherwise.
    """

    def __init__(self, found: str, paths: Sequence[Path]) -> None:
        super().__init__(
            f"{found}, so this run cannot take them as done: predict every image again "
            "with overwrite (--overwrite), or choose another output folder."
        )
        self.found, self.paths = found, tuple(paths)

    def __reduce__(self) -> tuple[type, tuple[str, tuple[Path, ...]]]:
        return type(self), (self.found, self.paths)


def _shaped(output: str | Path) -> dict | None:
    """A TIFF's first shaped-metadata dict (where the record is); None if none or unreadable."""
    import tifffile

    try:
        with tifffile.TiffFile(output) as tif:
            shaped = tif.shaped_metadata or ()
    except Exception:  # unreadable or not a TIFF: the run's own checks and reading say so
        return None
    return shaped[0] if shaped and isinstance(shaped[0], dict) else None


def read_made_by(output: str | Path) -> MadeBy | None:
    """The record in a prediction or probabilities TIFF; None if it has none or is unreadable."""
    return MadeBy.from_metadata(_shaped(output))


def recorded_class_names(prediction: str | Path) -> dict[int, str] | None:
    """The class names a folder run's prediction TIFF records (``classes``); None if none.

    With them, ``napari-finetune measure`` knows the file is a class map and
    which classes are phases.
    """
    ours = (_shaped(prediction) or {}).get(METADATA_KEY)
    return names_by_value(ours.get("classes")) if isinstance(ours, dict) else None


def check_made_alike(outputs: Sequence[Sequence[Path]], made_by: MadeBy, output_dir: Path) -> None:
    """Refuse to skip outputs made by another model or with other options.

    Parameters
    ----------
    outputs : sequence of sequences of Path
        For each image a run would skip, its TIFF outputs that record what made
        them: ``<name>_prediction.tif`` first, then ``<name>_probabilities.tif``
        when the run writes probabilities. (Its grain CSVs are written before
        its prediction, so the prediction's record stands for them.)
    made_by : MadeBy
        What this run would make.
    output_dir : Path
        Their folder, for the message.

    Raises
    ------
    StaleOutputs
        In one sentence: how many images' outputs were made otherwise, how
        (the first such file's record against this run's), and what to do.
    """
    stale: list[Path] = []
    first: tuple[Path, list[tuple[str, str]]] | None = None
    for paths in outputs:
        for path in paths:
            recorded = read_made_by(path)
            if recorded is not None and (said := recorded.differences(made_by)):
                stale.append(paths[0])
                first = first or (path, said)
                break
    if first is None:
        return
    recorded, this_run = (" and ".join(words) for words in zip(*first[1], strict=True))
    raise StaleOutputs(
        f"the outputs of {_counted(len(stale), len(outputs))} in {output_dir} were made "
        f"otherwise ({first[0].name}: {recorded}; this run: {this_run})",
        stale,
    )


def _counted(stale: int, skipped: int) -> str:
    if stale < skipped:
        return f"{stale} of the {skipped} images"
    return "the image" if stale == 1 else f"all {stale} images"


def _views_words(views: int) -> str:
    return "one view" if views == 1 else f"{views} views averaged"


def _calibration_words(calibration: tuple[float, str] | None) -> str:
    if calibration is None:
        return "pixel sizes from the images' tags"
    size, unit = calibration
    return f"pixel size {size:g} {unit}"
