"""Each failure the fuzz tests found, pinned as a plain example that must keep passing.

The fuzz tests draw their examples at random, so a failure they once found may
not be drawn again; these cases keep the fixes honest. Each says what used to
happen.
"""

import io
import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import napari_finetune as nf
from napari_finetune.models import CheckpointError, load_checkpoint
from napari_finetune.models.checkpoint import FORMAT
from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY, weights_dir


@pytest.fixture(scope="module")
def model():
    return nf.load_model(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def shipped():
    """Header fields, decoded metadata and tensors of the shipped checkpoint."""
    with safe_open(str(weights_dir() / REGISTRY[DEFAULT_MODEL][0]), framework="pt") as handle:
        header = dict(handle.metadata())
        state = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    return header, json.loads(header["metadata"]), state


def refused(call, match: str, error: type[Exception] = ValueError) -> str:
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)
    return str(info.value)


# ---------------------------------------------------------------- suggest_regions


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        # TypeError: '<' not supported between 'str' and 'int'
        ({"size": "16"}, r"size='16' must be a whole number"),
        # TypeError: 'float' object cannot be interpreted as an integer
        ({"size": 8.5}, r"size=8.5 must be a whole number"),
        ({"n": 2.5}, r"n=2.5 must be a whole number"),
        ({"representativeness_weight": float("nan")}, "representativeness_weight=nan"),
    ],
)
def test_suggest_regions_checks_its_numbers(arguments, match):
    refused(lambda: nf.suggest_regions(np.zeros((40, 40)), **arguments), match)


def test_suggest_regions_checks_its_maps():
    unc = np.random.default_rng(0).random((40, 40))
    # TypeError: '>' not supported between 'NoneType' and 'int'
    labels = np.full((40, 40), None, dtype=object)
    refused(lambda: nf.suggest_regions(unc, labels), "labels must hold real numbers")
    # An empty map reached scipy's filter with a window of 0 px.
    refused(lambda: nf.suggest_regions(np.zeros((0, 9))), "non-empty 2D map")
    # NaN anywhere made argmax pick it and the search stop: [] without a word.
    unc[5, 5] = np.nan
    refused(lambda: nf.suggest_regions(unc), "uncertainty contains NaN")
    typical = np.full((40, 40), 1.5)
    refused(
        lambda: nf.suggest_regions(np.zeros((40, 40)), representativeness=typical),
        "between 0 and 1",
    )


def test_a_negative_label_counts_as_painted():
    # Painted means non-zero (as documented); -1 was taken for unpainted and
    # a box was proposed on it.
    labels = np.zeros((1, 1), np.int8)
    labels[0, 0] = -1
    assert nf.suggest_regions(np.zeros((1, 1)), labels, n=1, size=1) == []


# ---------------------------------------------------------------- predict and uncertainty


@pytest.mark.parametrize(
    "image",
    [
        # float64 beyond float32's range: inf after the cast, NaN probabilities.
        np.random.default_rng(0).random((40, 40)) * 1e300,
        # One hot pixel at float32's limit: the network's activations overflowed.
        np.pad(np.full((1, 1), 3e38, np.float32), (0, 39), constant_values=0.5),
    ],
)
def test_extreme_values_give_finite_probabilities(model, image):
    before = image.copy()
    probabilities = nf.predict(model, image, tile=32, overlap=0)
    assert np.isfinite(probabilities).all()
    assert np.isfinite(nf.uncertainty(model, image, tile=32, overlap=0)).all()
    assert np.array_equal(image, before)


@pytest.mark.parametrize("dtype", ["complex64", "timedelta64[s]"])
def test_numbers_that_are_not_intensities_are_refused(model, dtype):
    # NumPy counts these as numbers: complex lost its imaginary part in silence.
    image = np.ones((40, 40), dtype=dtype)
    refused(lambda: nf.predict(model, image), "is not numeric")
    refused(lambda: nf.uncertainty(model, image), "is not numeric")
    labels = np.zeros((40, 40), np.uint8)
    labels[:5], labels[-5:] = 1, 2
    refused(lambda: nf.fit(image, labels, model=model, steps=1), "not numbers")
    # timedelta labels passed as integers.
    refused(
        lambda: nf.fit(np.ones((40, 40)), labels.astype(dtype), model=model, steps=1),
        "not integers",
    )


def test_a_stack_without_planes_is_refused_in_words(model):
    # numpy's "need at least one array to stack".
    refused(lambda: nf.predict(model, np.zeros((0, 32, 32))), "has no planes")


def test_an_unknown_preset_is_refused_for_every_method(model):
    # Only tta looked the preset up; the others ignored a typo.
    refused(lambda: nf.uncertainty(model, np.zeros((32, 32)), preset="equiaxd"), "preset")


# ---------------------------------------------------------------- checkpoints


def write(path, state, header):
    save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata=header)
    return path


def test_an_overlong_path_is_refused_in_words():
    # OSError: [Errno 36] File name too long.
    message = refused(lambda: load_checkpoint("a" * 5000), "cannot be opened", CheckpointError)
    assert len(message) < 250
    # A newline in the name made a message of two lines.
    refused(lambda: load_checkpoint("\n"), r"checkpoint \\n does not exist", CheckpointError)


def test_metadata_nested_thousands_deep_is_refused(shipped, tmp_path):
    # RecursionError from the JSON decoder.
    header, metadata, state = shipped
    text = json.dumps(metadata)[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    path = write(tmp_path / "deep.ckpt", state, {**header, "metadata": text})
    refused(lambda: load_checkpoint(path), "nested too deeply", CheckpointError)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        # "Exceeds the limit (4300 digits) ... use sys.set_int_max_str_digits()"
        ("version", "9" * 5000, "newer napari-finetune"),
        ("metadata", "9" * 5000, "number too long"),
        # "invalid literal for int() with base 10: '²'"
        ("version", "²", "unknown checkpoint format version"),
    ],
)
def test_odd_header_fields_are_refused_in_words(shipped, tmp_path, field, value, match):
    header, _, state = shipped
    path = write(tmp_path / "odd.ckpt", state, {**header, field: value})
    message = refused(lambda: load_checkpoint(path), match, CheckpointError)
    assert "int()" not in message and "sys." not in message and len(message) < 300


def save_version_1(path, metadata, state):
    payload = {"format": FORMAT, "version": 1, "metadata": json.dumps(metadata), "state": state}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_version_1_file_of_parameters_loads(shipped, tmp_path):
    # RuntimeError: Can't call numpy() on Tensor that requires grad
    # (a state dict saved with keep_vars=True holds parameters).
    _, metadata, state = shipped
    parameters = {
        k: torch.nn.Parameter(v.clone(), v.is_floating_point()) for k, v in state.items()
    }
    loaded = load_checkpoint(save_version_1(tmp_path / "v1.ckpt", metadata, parameters))
    assert not any(p.requires_grad for p in loaded.net.state_dict().values())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        # RuntimeError: unsupported memory format option Contiguous
        (lambda t: t.to_sparse(), "sparse"),
        # "can't convert meta device type tensor to numpy. Use Tensor.cpu() ..."
        (lambda t: t.to("meta"), "hold no values"),
    ],
)
def test_version_1_files_of_odd_tensors_are_refused_in_words(shipped, tmp_path, change, match):
    _, metadata, state = shipped
    state = {**state, "head.weight": change(state["head.weight"])}
    path = save_version_1(tmp_path / "v1.ckpt", metadata, state)
    message = refused(lambda: load_checkpoint(path), match, CheckpointError)
    assert "torch" not in message.lower() and "numpy" not in message.lower()
