"""Malformed, foreign and damaged checkpoints: each is refused with one plain sentence.

The cases are those a new-user trial found (issue 18): wrong metadata types,
metadata that does not fit the tensors, damaged bytes, NaN weights, files of
other programs. A crafted file is written with a *correct* checksum, so the
flaw under test is the only one.
"""

import json
import resource

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from napari_finetune.models import CheckpointError, SegmentationModel, load_checkpoint, save_model
from napari_finetune.models.checkpoint import FORMAT
from napari_finetune.models.checkpoint_tensors import tensor_digest


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = SegmentationModel.create()
    model.history = [{"run": 1, "epoch": 1, "validation_score": 0.5}]
    return save_model(model, tmp_path / "good.ckpt")


def parts(path):
    with safe_open(str(path), framework="pt") as handle:
        header = handle.metadata()
        state = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    return json.loads(header["metadata"]), state, header


def craft(path, metadata, state, **header):
    # header: fields of the safetensors header to override (format, version, sha256, text)
    """A checkpoint with the given metadata and tensors and a matching checksum."""
    state = {k: v.contiguous() for k, v in state.items()}
    fields = {
        "format": FORMAT,
        "version": "2",
        "metadata": json.dumps(metadata),
        "sha256": tensor_digest(state),
    }
    if "text" in header:
        fields["metadata"] = header.pop("text")
    save_file(state, str(path), metadata={**fields, **header})
    return path


def refused(path, match):
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert "torch" not in message.lower()
    return message


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda m: m.update(classes=["grain", "boundary"]), "'classes' is wrong"),
        (lambda m: m.update(history=3), "'history' is wrong"),
        (lambda m: m.update(history="lots"), "'history' is wrong"),
        (lambda m: m.update(history=[1, 2]), "'history.0' is wrong"),
        (lambda m: m.update(history=[{"run": "x"}]), "run that is not a whole number"),
        (lambda m: m.update(classes={str(k): "c" for k in range(1, 6)}), "names 5 classes"),
        (lambda m: m.update(classes={"1": "a", "7": "b"}), "must be 1..2"),
        (lambda m: m["architecture"].update(in_channels="1"), "in_channels"),
        (lambda m: m["architecture"].update(widths=[8, 16, 32, 64, 6000]), "widths.4"),
        (lambda m: m["architecture"].update(name="resnet"), "architecture.name"),
        (lambda m: m.update(normalization={"low": 60, "high": 40}), "not ordered"),
        (lambda m: m.pop("architecture"), "'architecture' is wrong"),
    ],
)
def test_wrong_metadata_is_refused_before_building(saved, tmp_path, change, match):
    metadata, state, _ = parts(saved)
    change(metadata)
    refused(craft(tmp_path / "bad.ckpt", metadata, state), match)


def test_a_huge_claimed_width_costs_no_memory(saved, tmp_path):
    # A file claiming a 6000-wide bottleneck used to build a 1.6 GB network
    # before failing; now the claim is refused against the stored shapes.
    metadata, state, _ = parts(saved)
    metadata["architecture"]["widths"] = [8, 16, 32, 64, 1024]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused(craft(tmp_path / "wide.ckpt", metadata, state), "have shape")
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.clear(), "lacks the weights"),
        (lambda s: s.update({"extra.weight": torch.zeros(2)}), "stray weights extra.weight"),
        (
            lambda s: s.update({"encoder_stages.0.0.weight": torch.zeros(8, 2, 3, 3)}),
            "first layer expects 2 channels, but its metadata says 1",
        ),
        (lambda s: s.update({"head.weight": torch.zeros(5, 8, 1, 1)}), "head predicts 5 classes"),
        (lambda s: s.update({"head.bias": torch.zeros(0)}), "head.bias have shape"),
        (
            lambda s: s.update({k: v.double() for k, v in s.items() if v.is_floating_point()}),
            "float64 numbers, not float32",
        ),
        (
            lambda s: s["encoder_stages.0.0.weight"].view(-1).__setitem__(0, float("nan")),
            "NaN or infinite",
        ),
        (
            lambda s: s["encoder_stages.0.1.running_var"].__setitem__(0, -1.0),
            "negative variances",
        ),
    ],
)
def test_tensors_that_do_not_fit_are_refused(saved, tmp_path, change, match):
    metadata, state, _ = parts(saved)
    change(state)
    if not state:
        state = {"dummy": torch.zeros(1)}
    refused(craft(tmp_path / "bad.ckpt", metadata, state), match)


def test_zeroed_bytes_are_caught_by_the_checksum(saved):
    data = bytearray(saved.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    saved.write_bytes(bytes(data))
    refused(saved, "checksum")


def test_a_changed_checksum_or_version_is_refused(saved, tmp_path):
    metadata, state, _ = parts(saved)
    refused(craft(tmp_path / "a.ckpt", metadata, state, sha256="0" * 64), "checksum")
    refused(craft(tmp_path / "b.ckpt", metadata, state, version="7"), "newer napari-finetune")
    refused(craft(tmp_path / "c.ckpt", metadata, state, format="other"), "not a napari-finetune")
    refused(craft(tmp_path / "d.ckpt", metadata, state, text="{"), "not valid JSON")


def test_random_bytes_folders_and_foreign_safetensors(tmp_path):
    noise = tmp_path / "noise.ckpt"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    message = refused(noise, "not a napari-finetune model")
    assert "weights_only" not in message and "PyTorch 2.6" not in message
    folder = tmp_path / "models.ckpt"
    folder.mkdir()
    refused(folder, "is a folder")
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    refused(foreign, "not a napari-finetune model")
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    refused(empty, "not a napari-finetune model")


def test_version_1_checkpoints_still_load(saved, tmp_path):
    # The layout of the files napari-finetune 0.1 wrote (torch.save of a dict).
    metadata, state, _ = parts(saved)
    old = tmp_path / "old.ckpt"
    torch.save(
        {"format": FORMAT, "version": 1, "metadata": json.dumps(metadata), "state": state}, old
    )
    model = load_checkpoint(old)
    assert model.history == metadata["history"]
    assert tensor_digest(model.net.state_dict()) == tensor_digest(state)
    torch.save(
        {"format": FORMAT, "version": 1, "metadata": json.dumps(metadata), "state": [1, 2]}, old
    )
    refused(old, "named arrays")
    state["head.weight"] = state["head.weight"].double()
    torch.save(
        {"format": FORMAT, "version": 1, "metadata": json.dumps(metadata), "state": state}, old
    )
    refused(old, "float64")


def test_saving_is_atomic_and_checks_the_path_first(saved, tmp_path):
    model = load_checkpoint(saved)
    with pytest.raises(ValueError, match="is a folder"):
        save_model(model, tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        save_model(model, blocker / "m.ckpt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "good.ckpt"]


def test_an_interrupted_save_leaves_the_old_model(saved, monkeypatch):
    import napari_finetune.models.checkpoint as checkpoint

    before = saved.read_bytes()

    def half_written(state, name, metadata):
        with open(name, "wb") as handle:
            handle.write(b"half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "save_file", half_written)
    with pytest.raises(OSError, match="No space"):
        save_model(load_checkpoint(saved), saved)
    assert saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == ["good.ckpt"]
