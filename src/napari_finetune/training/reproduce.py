"""Repeat a model's last training run from its provenance, and say if it came out the same.

Runs with a step count are bitwise reproducible on the same machine and
library versions, so the retrained weights' hash is compared with the one
recorded. Time-budget runs stop after however many steps the machine managed:
they are repeated with the same options, and the result is only expected to be
close.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.models.device import resolve_device
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import load_model
from napari_finetune.training.engine import fit
from napari_finetune.training.provenance import array_digest, image_matches, library_versions

# Options a record must hold to repeat the run; they are passed to ``fit`` as they are.
REPEATED = (
    "strategy",
    "bn_mode",
    "max_seconds",
    "steps",
    "batch_size",
    "patch_size",
    "validation_fraction",
    "patience",
    "schedule",
    "seed",
)
LEVERS = ("adaptation", "semi_supervised")
# How a pseudo-label run's mean teacher taught before its provenance said.
# A record that says its teacher but not its weight or crops taught with these too.
OLD_TEACHER = {"decay": 0.95, "class_weights": False, "weight": 0.5, "crops_per_patch": 0.5}


def teacher_words(teacher: dict) -> str:
    """How a recorded teacher taught, in words.

    E.g. ``'a mean teacher decaying 0.995 a step, painted classes weighed to
    the images, pseudo-labels weighing 2.0 on 0.25 crops per painted patch'``.
    """
    weighed = "weighed to the images" if teacher.get("class_weights") else "unweighted"
    told = with_old_defaults(teacher)
    return (
        f"a mean teacher decaying {teacher.get('decay')} a step, painted classes {weighed}, "
        f"pseudo-labels weighing {told['weight']} on {told['crops_per_patch']} crops per "
        "painted patch"
    )


def with_old_defaults(teacher: dict) -> dict:
    """A recorded teacher with the weight and crops it taught with where it does not say them."""
    return {k: OLD_TEACHER[k] for k in ("weight", "crops_per_patch")} | dict(teacher)


@dataclass(frozen=True)
class Reproduction:
    """The result of :func:`reproduce`.

    Attributes
    ----------
    model : SegmentationModel
        The retrained model.
    identical : bool
        Whether its weights are bit for bit those recorded.
    expected_identical : bool
        Whether they should be: the run had a step count, and the library
        versions are those recorded.
    notes : list of str
        What differs from the recorded run (library versions, steps run).
    """

    model: SegmentationModel
    identical: bool
    expected_identical: bool
    notes: list[str]


def last_run(model: SegmentationModel) -> dict[str, Any]:
    """The provenance record of ``model``'s last training run; ValueError if it has none."""
    if not model.provenance:
        raise ValueError(
            f"model '{model.name}' has no training provenance (it was pretrained, or "
            "saved by a napari-finetune before 0.2): there is no run to repeat."
        )
    record = model.provenance[-1]
    kinds = {"start": dict, "images": list, "labels": list, "options": dict, "result": dict}
    if not all(isinstance(record.get(key), kind) for key, kind in kinds.items()) or not all(
        isinstance(entry, dict) for entry in (*record["images"], *record["labels"])
    ):
        raise ValueError(f"the provenance of model '{model.name}' is incomplete.")
    options = record["options"]
    missing = [key for key in REPEATED if key not in options]
    if missing:
        raise ValueError(f"the provenance of model '{model.name}' lacks the option {missing[0]}.")
    return record


def check_inputs(
    record: dict[str, Any], images: list[np.ndarray], labels: list[np.ndarray]
) -> None:
    """ValueError naming the first image or painting that is not the one trained on."""
    if len(images) != len(record["images"]) or len(labels) != len(record["labels"]):
        raise ValueError(
            f"the run trained on {len(record['images'])} images and paintings; "
            f"got {len(images)} images and {len(labels)} paintings."
        )
    # Paintings first: a stack's image is hashed by its painted planes.
    for kind, given, recorded in (
        ("painting", labels, record["labels"]),
        ("image", images, record["images"]),
    ):
        for index, (array, entry) in enumerate(zip(given, recorded, strict=True), start=1):
            if kind == "image":
                same = image_matches(np.asarray(array), labels[index - 1], entry)
            else:
                same = array_digest(array) == entry.get("sha256")
            if not same:
                raise ValueError(
                    f"{kind} {index} (shape {tuple(np.shape(array))}, {np.asarray(array).dtype}) "
                    f"is not the one the run trained on (shape {tuple(entry.get('shape', ()))}, "
                    f"{entry.get('dtype')}): give the files in the order they were trained on."
                )


def _start_model(
    start: dict[str, Any], given: SegmentationModel | str | Path | None
) -> SegmentationModel | str | None:
    if start.get("kind") == "scratch":
        return None
    if given is None:
        if start.get("kind") != "shipped":
            raise ValueError(
                f"the run started from model '{start.get('name')}' (not a shipped one): "
                "give that model as the start."
            )
        given = start["name"]
    model = given if isinstance(given, SegmentationModel) else load_model(given)
    if tensor_digest(model.net.state_dict()) != start.get("sha256"):
        raise ValueError(
            f"the start model '{model.name}' is not the one the run started from "
            f"('{start.get('name')}', sha256 {str(start.get('sha256'))[:12]}…)."
        )
    # A shipped start goes by its name, so the new record says "shipped" too.
    return given if isinstance(given, str) and start.get("kind") == "shipped" else model


def reproduce(
    model: SegmentationModel,
    images: list[np.ndarray],
    labels: list[np.ndarray],
    start: SegmentationModel | str | Path | None = None,
) -> Reproduction:
    """Repeat ``model``'s last run on the same images and paintings.

    Parameters
    ----------
    model : SegmentationModel
        A model trained by this plugin (its provenance names the run).
    images, labels : list of numpy.ndarray
        The images and paintings, in the order trained on; their hashes must
        match the record.
    start : SegmentationModel, str or Path, optional
        The start model, needed when the run did not start from a shipped
        model or from scratch.

    Returns
    -------
    Reproduction
        The retrained model and whether it equals the recorded one bit for bit.

    Raises
    ------
    ValueError
        No or incomplete provenance, other images, or a missing or different
        start model.
    """
    record = last_run(model)
    check_inputs(record, images, labels)
    options = {key: record["options"][key] for key in REPEATED}
    # Levers recorded since issue 20; older records trained without them (not 'auto').
    options |= {"adaptation": "none", "semi_supervised": False}
    options |= {key: record["options"][key] for key in LEVERS if key in record["options"]}
    # Runs recorded before the fold-in existed trained without it.
    options["fold_in"] = bool(record["options"].get("fold_in", False))
    # Names decide which classes validate as thin; runs recorded before kept the start's.
    named = record["options"].get("class_names") or {}
    try:
        options["class_names"] = {int(k): name for k, name in dict(named).items()} or None
    except (TypeError, ValueError):
        raise ValueError(f"the record's class names {named!r} cannot be read.") from None
    cell = model.net.min_size  # the pooling cell of the network the run trained
    if isinstance(options["patch_size"], int) and options["patch_size"] % cell:
        raise ValueError(
            f"the run trained on patches of {options['patch_size']} px, a side this version "
            f"refuses (not a multiple of {cell}: the network learned misplaced boundaries); "
            "it cannot be repeated."
        )
    yaml = record["options"].get("augmentation")
    pipeline = AugmentationPipeline.from_yaml(yaml) if yaml else None
    begin = _start_model(record["start"], start)
    # On the device it was trained on where this machine has it: a GPU run
    # repeated on the CPU (or the reverse) cannot give the same bits. (Nor,
    # always, a CUDA run on CUDA: cuDNN and upsampling backward are not
    # deterministic by default; the comparison then says "not identical".)
    device_then = record.get("device", "cpu")
    try:
        device = resolve_device(device_then)
    except ValueError:
        device = resolve_device("cpu")
    retrained, _ = fit(images, labels, begin, augmentation=pipeline, device=device, **options)
    notes = [
        f"{name} {record.get('versions', {}).get(name)} then, {version} now"
        for name, version in library_versions().items()
        if record.get("versions", {}).get(name) not in (None, version)
    ]
    threads_now = retrained.provenance[-1].get("threads")
    if record.get("threads") not in (None, threads_now):
        notes.append(f"{record.get('threads')} CPU threads then, {threads_now} now")
    if record["options"].get("unlabelled_planes"):
        notes.append(
            f"learned from {record['options']['unlabelled_planes']} unlabelled planes then, "
            "from none now"
        )
    if record["options"].get("validation") == "given":
        notes.append("validated on pixels its caller chose then, on a split of the painted now")
    # mmd / dann's synthetic source follows the start model (recorded as
    # domain_source); before that, every run aligned with Voronoi grains.
    source_now = retrained.provenance[-1]["options"].get("domain_source")
    source_then = record["options"].get("domain_source", "Voronoi grains")
    if source_now is not None and source_then != source_now:
        notes.append(f"aligned with synthetic {source_then} then, with {source_now} now")
    # Pseudo-label runs record their teacher since it slowed and weighs the
    # painting (and its pseudo-labels' weight and crops per painted patch since
    # those changed for strokes); before that, every teacher followed within ~20
    # steps, unweighted, at weight 0.5 on 0.5 crops per painted patch.
    teacher_now = retrained.provenance[-1]["options"].get("teacher")
    teacher_then = record["options"].get("teacher", OLD_TEACHER)
    if not isinstance(teacher_then, dict):  # a hand-edited record: read as the old teacher
        teacher_then = OLD_TEACHER
    # Recorded since they vary: a record without them taught with the old ones.
    teacher_then = with_old_defaults(teacher_then)
    if teacher_now is not None and teacher_then != teacher_now:
        notes.append(f"{teacher_words(teacher_then)} then, {teacher_words(teacher_now)} now")
    device_now = retrained.provenance[-1].get("device")
    if device_then != device_now:
        notes.append(f"trained on {device_then} then, on {device_now} now")
    steps_now = retrained.provenance[-1]["result"]["steps"]
    if steps_now != record["result"].get("steps"):
        notes.append(f"{record['result'].get('steps')} steps then, {steps_now} now")
    identical = retrained.provenance[-1]["result"]["sha256"] == record["result"].get("sha256")
    expected = options["steps"] is not None and not notes
    return Reproduction(retrained, identical, expected, notes)
