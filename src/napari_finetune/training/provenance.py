"""Where a model came from: one record per training run, saved inside the model.

A record names the start model (by its weights' hash), hashes every training
image and painting, counts the painted pixels per class, and keeps every
option, the seed, the library versions and the result's own hash. With it a
run can be repeated and checked (:mod:`~napari_finetune.training.reproduce`),
and a model found on a shared drive months later still says what it learned
from.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from napari_finetune._version import __version__
from napari_finetune.data.class_counts import painted_counts
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, load_model

# Libraries whose versions can change a run's numbers.
LIBRARIES = ("torch", "numpy", "albumentations", "opencv-python-headless", "scikit-image")


def array_digest(array: np.ndarray) -> str:
    """SHA-256 over an array's shape, dtype and values (C order)."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.shape}|{array.dtype.str}|".encode())
    digest.update(array.data)
    return digest.hexdigest()


def painted_planes_digest(image: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 over a stack's shape, dtype, painted plane indices and those planes' values.

    Training reads only the painted planes of a stack (unpainted ones add
    nothing), and a deep stack in the viewer is only read there
    (:mod:`~napari_finetune.session.deep_stacks`): hashing the planes used
    costs a few planes, not the stack, and matches the file the stack came from.
    """
    flat = np.asarray(labels).reshape(len(labels), -1)
    planes = [int(z) for z in np.flatnonzero(flat.any(axis=1))]
    digest = hashlib.sha256(f"{tuple(np.shape(image))}|{image.dtype.str}|{planes}|".encode())
    for z in planes:
        digest.update(np.ascontiguousarray(image[z]).data)
    return digest.hexdigest()


def image_entry(image: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """An image's provenance entry: shape, dtype and hash (of a stack: its painted planes)."""
    entry: dict[str, Any] = {"shape": list(np.shape(image)), "dtype": str(image.dtype)}
    if np.ndim(labels) == 3:
        entry["painted_planes_sha256"] = painted_planes_digest(image, labels)
    else:
        entry["sha256"] = array_digest(image)
    return entry


def image_matches(image: np.ndarray, labels: np.ndarray, entry: dict[str, Any]) -> bool:
    """Whether ``image`` (painted with ``labels``) is the one ``entry`` recorded.

    Records made before stacks were hashed by their painted planes hold the
    whole stack's ``sha256``; either form is checked as it was written.
    """
    if "painted_planes_sha256" in entry:
        return painted_planes_digest(image, labels) == entry["painted_planes_sha256"]
    return array_digest(image) == entry.get("sha256")


def library_versions() -> dict[str, str]:
    """Versions of Python, napari-finetune and the libraries that shape training."""
    versions = {"python": platform.python_version(), "napari-finetune": __version__}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def describe_start(model: SegmentationModel | str | Path | None, strategy: str) -> dict[str, Any]:
    """The start of a run: ``kind`` (shipped, scratch or model), its name and weights' hash.

    Parameters
    ----------
    model : SegmentationModel, str, Path or None
        What the run was given to start from: a model, a shipped name or a
        checkpoint path (None: the default shipped model).
    strategy : str
        The run's strategy (``'scratch'`` ignores the start weights).
    """
    if strategy == "scratch":
        return {"kind": "scratch", "name": "scratch"}
    # Only a name is "shipped": a fine-tuned model keeps its start's name.
    kind = "shipped" if isinstance(model, str) and model in REGISTRY else "model"
    if not isinstance(model, SegmentationModel):
        model = load_model(DEFAULT_MODEL if model is None else model)
    return {"kind": kind, "name": model.name, "sha256": tensor_digest(model.net.state_dict())}


def class_counts(labels: np.ndarray) -> dict[str, int]:
    """Painted pixels per class value, as ``{"1": n1, "2": n2, ...}`` in value order."""
    return {str(k): n for k, n in sorted(painted_counts(labels).items())}


def run_record(
    run: int,
    images: list[np.ndarray],
    labels: list[np.ndarray],
    start: dict[str, Any],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The provenance record of a run about to start (see the module description).

    Parameters
    ----------
    run : int
        Number of the run in the model's history.
    images, labels : list of numpy.ndarray
        The images and paintings exactly as given to training, in order.
    start : dict
        :func:`describe_start` of the start model.
    options : dict
        Every argument that shapes the run (strategy, budget, seed, ...).
    """
    per_image = [class_counts(lab) for lab in labels]
    total: dict[str, int] = {}
    for counts in per_image:
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
    return {
        "run": run,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "start": start,
        "images": [image_entry(np.asarray(i), lab) for i, lab in zip(images, labels, strict=True)],
        "labels": [
            {
                "shape": list(np.shape(lab)),
                "dtype": str(np.asarray(lab).dtype),
                "sha256": array_digest(lab),
                "painted": counts,
            }
            for lab, counts in zip(labels, per_image, strict=True)
        ],
        "painted_pixels": dict(sorted(total.items(), key=lambda kv: int(kv[0]))),
        "options": options,
        "versions": library_versions(),
    }


def finish_record(
    record: dict[str, Any],
    model: SegmentationModel,
    steps: int,
    reason: str,
    validation_score: float | None = None,
    scored_epoch: int | None = None,
) -> None:
    """Add the outcome to ``record``: steps run, why it ended, the kept weights' hash.

    ``validation_score`` is the score the run reports for the weights it hands
    back (:attr:`Finished.best_score`; None when nothing was held out), and
    ``scored_epoch`` the epoch it was measured at (the kept epoch, or after a
    fold-in the last validated one).
    """
    record["result"] = {
        "steps": steps,
        "reason": reason,
        "sha256": tensor_digest(model.net.state_dict()),
        "validation_score": validation_score,
        "scored_epoch": scored_epoch,
    }
