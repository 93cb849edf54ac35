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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
        (:func:`~napari_finetune.models.checkpoint_tensors.tensor_digest`).
    average_views : bool
        Whether predictions averaged the flipped and rotated views.
    measured : bool
        Whether the run measured the grains (wrote the grain CSVs) too.
    calibration : tuple of (float, str), optional
        The pixel size given for measuring grains; None when each image's
        instrument tags gave it, or when nothing was measured.
    """

    model: str
    weights: str
    average_views: bool = False
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
        from napari_finetune.models.checkpoint_tensors import tensor_digest

        weights = tensor_digest(model.net.state_dict())
        return cls(model.name, weights, average_views, measured, calibration if measured else None)

    def metadata(self) -> dict[str, dict[str, Any]]:
        """The record as TIFF metadata (``tifffile.imwrite(..., metadata=...)``)."""
        calibration = None if self.calibration is None else list(self.calibration)
        return {
            METADATA_KEY: {
                "model": self.model,
                "weights_sha256": self.weights,
                "average_views": self.average_views,
                "measured": self.measured,
                "calibration": calibration,
            }
        }

    @classmethod
    def from_metadata(cls, metadata: object) -> MadeBy | None:
        """The record in a TIFF's shaped metadata; None if it holds none, or a damaged one."""
        found = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        if not isinstance(found, dict):
            return None
        model, weights = found.get("model"), found.get("weights_sha256")
        calibration = found.get("calibration")
        if not (isinstance(model, str) and isinstance(weights, str)):
            return None
        if calibration is not None:
            if not (isinstance(calibration, list) and len(calibration) == 2):
                return None
            calibration = (float(calibration[0]), str(calibration[1]))
        views, measured = bool(found.get("average_views")), bool(found.get("measured"))
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
        if self.average_views != run.average_views:
            said.append((_views_words(self.average_views), _views_words(run.average_views)))
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
        The predictions made otherwise.
    """

    def __init__(self, found: str, paths: Sequence[Path]) -> None:
        super().__init__(
            f"{found}, so this run cannot take {'it' if len(paths) == 1 else 'them'} as done: "
            "predict again with overwrite (--overwrite), or choose another output folder."
        )
        self.found, self.paths = found, tuple(paths)


def read_made_by(prediction: str | Path) -> MadeBy | None:
    """The record in a ``<name>_prediction.tif``; None if it has none or cannot be read."""
    import tifffile

    try:
        with tifffile.TiffFile(prediction) as tif:
            shaped = tif.shaped_metadata or ()
    except Exception:  # unreadable: the run's own checks and reading report it
        return None
    return MadeBy.from_metadata(shaped[0]) if shaped else None


def check_made_alike(predictions: Sequence[Path], made_by: MadeBy, output_dir: Path) -> None:
    """Refuse to skip predictions made by another model or with other options.

    Parameters
    ----------
    predictions : sequence of Path
        The ``<name>_prediction.tif`` of the images a run would skip.
    made_by : MadeBy
        What this run would make.
    output_dir : Path
        Their folder, for the message.

    Raises
    ------
    StaleOutputs
        In one sentence: how many were made otherwise, how (the first such
        file's record against this run's), and what to do.
    """
    stale: list[tuple[Path, list[tuple[str, str]]]] = []
    for path in predictions:
        recorded = read_made_by(path)
        if recorded is not None and (said := recorded.differences(made_by)):
            stale.append((path, said))
    if not stale:
        return
    first, said = stale[0]
    recorded, this_run = (" and ".join(words) for words in zip(*said, strict=True))
    raise StaleOutputs(
        f"{_counted(len(stale), len(predictions))} in {output_dir} "
        f"{'was' if len(stale) == 1 else 'were'} made otherwise "
        f"({first.name}: {recorded}; this run: {this_run})",
        [path for path, _ in stale],
    )


def _counted(stale: int, skipped: int) -> str:
    if stale < skipped:
        return f"{stale} of the {skipped} predictions"
    return "the prediction" if stale == 1 else f"all {stale} predictions"


def _views_words(average: bool) -> str:
    return "views averaged" if average else "one view"


def _calibration_words(calibration: tuple[float, str] | None) -> str:
    if calibration is None:
        return "pixel sizes from the images' tags"
    size, unit = calibration
    return f"pixel size {size:g} {unit}"
