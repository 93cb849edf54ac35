"""Fuzz checkpoint loading with random mutations of the shipped model's file.

What is mutated, and how, is in fuzz_checkpoint_files.py. Tensor and byte
mutations are written both with a recomputed, correct checksum (so the
schema, layout and value checks are what must catch them) and with the
original one. The only outcomes allowed: a model (one that predicts finite
probabilities, when only its metadata was changed), or a
:class:`~napari_finetune.models.CheckpointError` whose message is one line,
in plain words. Loading never changes the file.

The default profile runs about three hundred examples in a few seconds; the
large one is ``HYPOTHESIS_PROFILE=slow python -m pytest tests/fuzz`` (see
fuzz_profiles.py).
"""

import io
import json
import tempfile
from pathlib import Path

import pytest
import torch
from fuzz_checkpoint_files import (
    Tensors,
    field_values,
    legacy_payloads,
    load_and_judge,
    mutated_bytes,
    mutated_metadata,
    mutated_state,
    nested_text,
    shipped,
    with_recomputed_checksum,
    write,
)
from fuzz_profiles import share
from hypothesis import event, given
from hypothesis import strategies as st

import napari_finetune as nf
from napari_finetune.models import CheckpointError, load_checkpoint
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.models.registry import DEFAULT_MODEL


@pytest.fixture(scope="module")
def target() -> Path:
    """Where each example writes its file (module scope: hypothesis reruns the test body)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "mutated.ckpt"


@share(0.6)
@given(
    data=st.data(),
    depth=st.one_of(st.none(), st.integers(1, 3000), st.sampled_from([999, 1000, 100_000])),
    loader=st.sampled_from(["load_checkpoint", "load_model", "load_model(str)"]),
)
def test_mutated_metadata_loads_or_is_refused(target, data, depth, loader):
    _, header, _, state = shipped()
    changed = data.draw(mutated_metadata(), label="metadata")
    text = json.dumps(changed)
    if depth is not None and text.startswith("{") and text != "{}":
        text = nested_text(text, depth)  # thousands deep: json.dumps itself would recurse
    load_and_judge(write(target, state, {**header, "metadata": text}), loader)


HEADER_FIELDS = ["format", "version", "metadata", "sha256"]


@share(0.3)
@given(fields=st.dictionaries(st.sampled_from(HEADER_FIELDS), field_values, min_size=1))
def test_mutated_header_fields_load_or_are_refused(target, fields):
    """A field drawn as None is left out of the header."""
    _, header, _, state = shipped()
    changed = {**header, **fields}
    changed = {k: v for k, v in changed.items() if v is not None}
    load_and_judge(write(target, state, changed))


@share(0.5)
@given(data=st.data(), checksum=st.sampled_from(["recomputed", "original"]))
def test_mutated_tensors_load_or_are_refused(target, data, checksum):
    header = shipped()[1]
    changed = data.draw(mutated_state(), label="tensors")
    if not changed:
        changed = {"dummy": torch.zeros(1)}  # safetensors writes no empty files
    sha = header["sha256"]
    if checksum == "recomputed":
        try:
            sha = tensor_digest(changed)
        except TypeError:  # NumPy has no bfloat16 or float8: the layout check refuses those
            event("checksum left")
    load_and_judge(write(target, changed, {**header, "sha256": sha}), usable=False)


@share(0.5)
@given(data=st.data(), checksum=st.sampled_from(["recomputed", "original"]))
def test_mutated_bytes_load_or_are_refused(target, data, checksum):
    target.write_bytes(data.draw(mutated_bytes(), label="bytes"))
    if checksum == "recomputed":
        with_recomputed_checksum(target)
    load_and_judge(target, usable=False)


@share(0.4)
@given(payload=legacy_payloads(), zipped=st.sampled_from([True, True, False]))
def test_version_1_files_load_or_are_refused(target, payload, zipped):
    if isinstance(payload, dict) and isinstance(payload.get("state"), Tensors):
        payload = {**payload, "state": dict(payload["state"])}  # a class torch would refuse
    buffer = io.BytesIO()
    torch.save(payload, buffer, _use_new_zipfile_serialization=zipped)
    target.write_bytes(buffer.getvalue())
    load_and_judge(target)


def test_a_saved_network_module_is_refused(target):
    """Not drawn by the fuzzing: a pickled network (code on load) is refused unread."""
    torch.save(nf.load_model(DEFAULT_MODEL).net, target)
    load_and_judge(target)


@share(0.2)
@given(name=st.text(max_size=300) | st.sampled_from(["a" * 5000, "x/" * 3000, "\0", "."]))
def test_load_checkpoint_with_any_path_loads_or_is_refused(name):
    try:
        load_checkpoint(name)
    except CheckpointError as error:
        assert str(error).strip() and "\n" not in str(error)


def test_load_model_with_an_overlong_name():
    """Found by fuzzing: ``load_model('a' * 5000)`` raised OSError (file name too long)."""
    with pytest.raises(CheckpointError):
        nf.load_model("a" * 5000)
