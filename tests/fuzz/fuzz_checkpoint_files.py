"""Mutated checkpoint files for the fuzz tests, and the verdict on loading one.

Mutations start from the shipped model's file: its metadata JSON (values
swapped for other types, numbers pushed to their limits, keys deleted at any
depth, strings emptied or lengthened), its header fields, its tensors (missing,
extra, renamed, other dtypes and shapes, NaN, infinities, negative variances),
its raw bytes (flipped, zeroed, truncated, inserted, another length prefix),
and version-1 payloads (``torch.save`` of a dict) with foreign values and
tensors (parameters that require grad, sparse, on the meta device).
"""

import copy
import functools
import json
import struct
from pathlib import Path

import numpy as np
import torch
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from safetensors import safe_open
from safetensors.torch import save_file

import napari_finetune as nf
from napari_finetune.models import CheckpointError, load_checkpoint
from napari_finetune.models.checkpoint import FORMAT
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, weights_dir

FILE_DTYPES = [torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32]
FILE_DTYPES += [torch.uint8, torch.bool, torch.float8_e4m3fn]


# Words of the libraries underneath; a user's message has no use for them.
LIBRARY_WORDS = ["traceback", "torch", "safetensor", "pydantic", "sys.", "int()", "numpy"]


@functools.cache
def shipped() -> tuple[bytes, dict, dict, dict]:
    """The shipped checkpoint: raw bytes, header fields, decoded metadata, tensors."""
    path = weights_dir() / REGISTRY[DEFAULT_MODEL][0]
    with safe_open(str(path), framework="pt") as handle:
        header = dict(handle.metadata())
        state = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    return path.read_bytes(), header, json.loads(header["metadata"]), state


def write(path: Path, state: dict, header: dict) -> Path:
    save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata=header)
    return path


def note(text: str) -> None:
    """A hypothesis event, when there is a hypothesis test to record it."""
    if currently_in_test_context():
        event(text)


def load_and_judge(path: Path, loader: str = "load_checkpoint", usable: bool = True) -> None:
    """Load ``path``: a working model or a one-line CheckpointError; the file is unchanged.

    ``usable``: a model that loads must also predict finite probabilities (not
    asked of tensor mutations: a finite weight of 1e38 is a legal, useless model).
    """
    before = path.read_bytes()
    load = {
        "load_checkpoint": load_checkpoint,
        "load_model": nf.load_model,
        "load_model(str)": lambda p: nf.load_model(str(p)),
    }[loader]
    try:
        model = load(path)
    except CheckpointError as error:
        note("refused")
        message = str(error)
        assert message.strip(), "a CheckpointError without a message"
        assert "\n" not in message, f"a message of several lines: {message!r}"
        library = [w for w in LIBRARY_WORDS if w in message.lower()]
        assert not library, f"a message in the words of a library ({library}): {message!r}"
    else:
        note("loaded")
        assert model.n_classes == len(model.classes)
        assert not model.net.training
        if usable:
            image = np.random.default_rng(0).random((32, 32, model.in_channels)).squeeze()
            probabilities = nf.predict(model, image, tile=32, overlap=0)
            assert np.isfinite(probabilities).all(), "a loaded model predicts NaN"
    assert path.read_bytes() == before, "loading changed the file"


# ---------------------------------------------------------------- metadata

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=10),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)


def _children(node: object) -> list:
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


@st.composite
def locations(draw, tree: object) -> tuple:
    """A path into ``tree``: from the root, descending into a random child at each step."""
    path, node = (), tree
    while _children(node) and (not path or draw(st.integers(0, 2))):
        key = draw(st.sampled_from(_children(node)))
        path, node = (*path, key), node[key]
    return path


def tweaked(draw, value: object) -> object:
    """A value of the same kind pushed somewhere odd."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return draw(st.sampled_from([0, -1, value + 1, -value, 2**63, 10**30, float(value)]))
    if isinstance(value, float):
        odd = [float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 0.5, 100.0001]
        return draw(st.sampled_from([*odd, int(value)]))
    if isinstance(value, str):
        return draw(st.sampled_from(["", value * 100, value.upper(), "1", "é\u0000"]))
    return draw(json_values)


@st.composite
def mutated_metadata(draw) -> dict:
    """The shipped metadata with one to three changes anywhere in it."""
    data = copy.deepcopy(shipped()[2])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(locations(data))
        op = draw(st.sampled_from(["replace", "delete", "tweak", "wrap", "insert"]))
        if not path:
            if op in ("replace", "wrap"):  # the whole record is something else
                data = draw(json_values) if op == "replace" else [data]
                break
            continue
        parent = functools.reduce(lambda node, key: node[key], path[:-1], data)
        key = path[-1]
        if op == "replace":
            parent[key] = draw(json_values)
        elif op == "delete":
            del parent[key]
        elif op == "tweak":
            parent[key] = tweaked(draw, parent[key])
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"value": parent[key]}]))
        elif isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=6))] = draw(json_values)
        elif isinstance(parent[key], list):
            parent[key].insert(draw(st.integers(0, len(parent[key]))), draw(json_values))
    return data


def nested_text(text: str, depth: int) -> str:
    """``text`` (a JSON object) with an extra key holding ``depth`` nested lists."""
    return text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"


field_values = st.one_of(
    st.none(),  # the field is missing
    st.text(max_size=12),
    st.sampled_from(["1", "2", "3", "0", "02", "2.0", " 2", "-1", "²", "٣", "9" * 5000]),
    st.sampled_from([FORMAT, FORMAT.upper(), "", "{", "[]", "null", '"x"', "0" * 64]),
    json_values.map(json.dumps),
)


# ---------------------------------------------------------------- tensors


class Tensors(dict):
    """A state dict that prints as the changes made to it, not as 118 tensors."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.changes: list[str] = []

    def __repr__(self) -> str:
        return f"Tensors({len(self)} tensors; {'; '.join(self.changes) or 'unchanged'})"


@st.composite
def mutated_state(draw) -> dict:
    """The shipped tensors with one to three changed, dropped, added or renamed."""
    state = Tensors(shipped()[3])
    for _ in range(draw(st.integers(1, 3))):
        if not state:
            break
        name = draw(st.sampled_from(sorted(state)))
        tensor = state[name]
        op = draw(st.sampled_from(["drop", "extra", "rename", "dtype", "shape", "values"]))
        state.changes.append(f"{op} {name}")
        if op == "drop":
            del state[name]
        elif op == "extra":
            extra = draw(st.sampled_from(["extra.weight", "head.weight2", name + ".x", ""]))
            state[extra] = torch.zeros(draw(st.integers(0, 3)))
        elif op == "rename":
            state[draw(st.sampled_from([name.upper(), name + "_", "head.weight"]))] = state.pop(
                name
            )
        elif op == "dtype":
            state[name] = tensor.to(draw(st.sampled_from(FILE_DTYPES)))
        elif op == "shape":
            how = draw(st.sampled_from(["flat", "unsqueeze", "shorter", "empty", "scalar", "t"]))
            state[name] = {
                "flat": lambda t: t.flatten(),
                "unsqueeze": lambda t: t.unsqueeze(0),
                "shorter": lambda t: t.flatten()[: max(t.numel() - 1, 0)],
                "empty": lambda t: t.new_zeros((0, *t.shape[1:])),
                "scalar": lambda t: t.flatten()[:1].reshape(()),
                "t": lambda t: t.transpose(0, -1) if t.dim() else t,
            }[how](tensor).clone()
        else:
            tensor = tensor.clone()
            flat = tensor.view(-1)
            odd = [float("nan"), float("inf"), float("-inf"), 3e38, -1.0, 0.0, 1e-45]
            if not tensor.is_floating_point():
                odd = [-1, 0, 2**62, -(2**62)]
            for _ in range(draw(st.integers(1, 4)) if flat.numel() else 0):
                flat[draw(st.integers(0, flat.numel() - 1))] = draw(st.sampled_from(odd))
            state[name] = tensor
    return state


# ---------------------------------------------------------------- raw bytes


@st.composite
def mutated_bytes(draw) -> bytes:
    """The shipped file with one or two byte-level changes, in its header or its tensors."""
    raw = shipped()[0]
    data = bytearray(raw)
    header_end = 8 + struct.unpack("<Q", raw[:8])[0]
    for _ in range(draw(st.integers(1, 2))):
        if not data:
            break
        region = draw(st.sampled_from(["header", "tensors", "anywhere"]))
        span = {
            "header": (0, min(header_end, len(data))),
            "tensors": (min(header_end, len(data) - 1), len(data)),
            "anywhere": (0, len(data)),
        }[region]
        start = draw(st.integers(span[0], max(span[1] - 1, span[0])))
        length = draw(st.integers(1, 64))
        ops = ["flip", "flip", "zero", "truncate", "insert", "prefix", "length"]
        op = draw(st.sampled_from(ops))
        if op == "flip":
            for i in range(start, min(start + length, len(data))):
                data[i] ^= draw(st.integers(1, 255))
        elif op == "zero":
            data[start : start + length] = bytes(len(data[start : start + length]))
        elif op == "truncate":
            del data[start:]
        elif op == "insert":
            data[start:start] = draw(st.binary(min_size=1, max_size=length))
        elif op == "prefix":
            data[:4] = draw(st.sampled_from([b"PK\x03\x04", b"\x80\x02", b'{"a"', b"\0\0\0\0"]))
        else:
            claimed = draw(st.sampled_from([0, 1, header_end - 9, header_end, 2**63, 2**64 - 1]))
            data[:8] = struct.pack("<Q", max(claimed, 0))
    return bytes(data)


def with_recomputed_checksum(path: Path) -> None:
    """Rewrite a readable file with the checksum of the tensors it now holds."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = dict(handle.metadata() or {})
            state = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        header["sha256"] = tensor_digest(state)
        write(path, state, header)
        event("checksum recomputed")
    except Exception:  # unreadable or unwritable as safetensors: test it as it is
        event("checksum left")


# ---------------------------------------------------------------- version 1 files

pickle_safe_values = st.one_of(
    json_scalars,
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
    st.builds(torch.zeros, st.integers(0, 3)),
)


@st.composite
def legacy_tensor(draw, tensor: torch.Tensor) -> torch.Tensor:
    """The tensor as it might come out of someone's ``torch.save``."""
    how = draw(
        st.sampled_from(["plain", "parameter", "requires grad", "view", "sparse", "meta", "dtype"])
    )
    if how == "parameter":
        return torch.nn.Parameter(tensor.clone(), requires_grad=tensor.is_floating_point())
    if how == "requires grad" and tensor.is_floating_point():
        return tensor.clone().requires_grad_(True)
    if how == "view" and tensor.dim() >= 2:
        return tensor.transpose(0, 1).clone().transpose(0, 1)  # same values, not contiguous
    if how == "sparse":
        return tensor.to_sparse()
    if how == "meta":
        return tensor.to("meta")
    if how == "dtype":
        return tensor.to(draw(st.sampled_from(FILE_DTYPES)))
    return tensor


@st.composite
def legacy_payloads(draw) -> object:
    """A version-1 payload (format, version, metadata, tensors) changed in one or two ways."""
    _, _, metadata, state = shipped()
    changes = draw(
        st.frozensets(
            st.sampled_from(["tensors", "tensors", "metadata", "version", "keys", "not a dict"]),
            min_size=1,
            max_size=2,
        )
    )
    if "not a dict" in changes:
        return draw(pickle_safe_values)
    state = Tensors(state)
    if "tensors" in changes:
        names = draw(st.lists(st.sampled_from(sorted(state)), min_size=1, max_size=3, unique=True))
        for name in names:
            state[name] = draw(legacy_tensor(state[name]))
            tensor = state[name]
            state.changes.append(
                f"{name}: {type(tensor).__name__} {tensor.layout} {tensor.device} {tensor.dtype}"
            )
        if draw(st.integers(0, 9)) == 0:
            key = draw(st.sampled_from([1, (1, 2), None]))
            state[key] = torch.zeros(1)
            state.changes.append(f"key {key!r}")
    payload = {
        "format": FORMAT,
        "version": draw(st.sampled_from([0, 3, True, 1.0, "one"]))
        if "version" in changes
        else draw(st.sampled_from([1, "1", 2])),
        "metadata": json.dumps(draw(mutated_metadata()) if "metadata" in changes else metadata),
        "state": state,
    }
    if "keys" in changes:
        for key in draw(st.lists(st.sampled_from(sorted(payload)), min_size=1, unique=True)):
            if draw(st.booleans()):
                del payload[key]
            else:
                payload[key] = draw(pickle_safe_values)
    return payload
