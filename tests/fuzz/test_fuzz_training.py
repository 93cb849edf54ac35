"""Fuzz training with random paintings and arguments.

One to three (image, labels) pairs, grey, colour or stacks, with every class
painted somewhere, broken now and then in their shape, dtype, values or labels
(see fuzz_arrays.py); and every training argument, sound or out of range. The
only outcomes allowed are a trained model (a finite loss, a new object) or a
ValueError whose one-line message names the flaw; never another exception, and
never a changed input (the arrays, the start model).

Training examples cost about a second each: they get the smallest share of
the profile (see fuzz_profiles.py; ``HYPOTHESIS_PROFILE=slow`` for the large run).
"""

import numpy as np
import pytest
from fuzz_arrays import (
    TRAINING_SIDES,
    arrays_of,
    assert_unchanged,
    broken_aspects,
    copied,
    dtypes,
    image_shapes,
    judge,
    model_state,
    shipped_models,
)
from fuzz_profiles import share
from hypothesis import given
from hypothesis import strategies as st

import napari_finetune as nf


@st.composite
def painted_labels(draw, spatial: tuple[int, ...], broken: bool) -> tuple[np.ndarray, bool]:
    """Zeros with boxes of every class 1..K; if ``broken``, a flaw.

    Returns the labels and whether the flaw makes them unusable whatever the
    other pairs hold (a pair painted with class 1 only is fine among others).
    """
    labels = np.zeros(spatial, dtype=np.int64)
    top = draw(st.integers(2, 4))
    for value in draw(st.lists(st.integers(1, top), max_size=4)):
        where = tuple(draw(st.integers(0, side - 1)) for side in spatial)
        extent = draw(st.integers(1, 12))
        labels[(*where[:-2], *(slice(w, w + extent) for w in where[-2:]))] = value
    # At least one pixel of every class, which no box paints over.
    unique = st.lists(st.integers(0, labels.size - 1), min_size=top, max_size=top, unique=True)
    labels.flat[draw(unique)] = range(1, top + 1)
    dtype = draw(st.sampled_from(["uint8", "uint16", "int32", "int64", "int8", "uint64"]))
    how = draw(st.sampled_from(["stray", "float", "shape", "bool", "one class", "none"]))
    if not broken:
        how = "sound"
    elif how == "stray":
        stray = draw(st.sampled_from([-1, 17, 255, 5000, 2**40]))
        labels.flat[draw(st.integers(0, labels.size - 1))] = stray
        dtype = "int64"
    elif how in ("float", "bool"):
        dtype = {"float": "float32", "bool": "bool"}[how]
    elif how == "one class":
        labels[labels > 1] = 0
    elif how == "none":
        labels[...] = 0
    elif how == "shape":
        labels = labels[..., :-1]
    return labels.astype(np.dtype(dtype)), how in ("stray", "float", "shape")


@st.composite
def painted_pairs(draw, broken: frozenset[str]) -> tuple[object, object, frozenset[str]]:
    """One to three (image, labels) pairs, as arrays or lists, broken as ``broken`` says.

    Also returns the aspects certainly broken (NaN on an unpainted plane is fine).
    """
    kind = draw(st.sampled_from(["grey", "grey", "colour", "stack"]))
    count = draw(st.integers(1, 3))
    flawed = draw(st.integers(0, count - 1))  # the pair that carries the flaws
    images, labels, certain = [], [], set(broken & {"dtype"})
    for index in range(count):
        faults = broken if index == flawed else frozenset()
        wrong_shape = "shape" in faults and draw(st.booleans())
        shape, wrong = draw(image_shapes(kind, wrong_shape, TRAINING_SIDES))
        spatial = shape[:-1] if kind == "colour" and len(shape) == 3 else shape
        dtype = draw(dtypes("dtype" in faults))
        images.append(draw(arrays_of(dtype, shape, "values" not in faults), label="image"))
        if len(spatial) not in (2, 3) or min(spatial, default=0) == 0:
            spatial = (16, 16)  # a shape no labels fit: any labels will do
        lab, unusable = draw(painted_labels(spatial, "labels" in faults), label="labels")
        labels.append(lab)
        certain |= {"shape"} if wrong else set()
        certain |= {"labels"} if unusable else set()
        if "values" in faults and kind != "stack" and dtype.kind == "f" and "labels" not in faults:
            certain.add("values")  # NaN where it is painted
    if "shape" in broken and draw(st.booleans()):
        labels = labels[:-1]  # one labels array short
        certain.add("shape")
    if count == 1 and draw(st.booleans()):
        return images[0], labels[0] if labels else [], frozenset(certain)
    return images, labels, frozenset(certain)


@share(0.3)
@given(
    broken=broken_aspects("shape", "dtype", "values", "labels"),
    data=st.data(),
    validation_fraction=st.sampled_from([0.0, 0.2, 0.5]),
)
def test_fit_trains_or_gives_a_value_error(broken, data, validation_fraction):
    images, labels, certain = data.draw(painted_pairs(broken))
    start = shipped_models()["grey"]
    arrays = [images, labels] if isinstance(images, np.ndarray) else [*images, *labels]
    before, state = [copied(a) for a in arrays], model_state(start)
    try:
        trained, history = nf.fit(
            images, labels, model=start, steps=1, batch_size=2, patch_size=32,
            validation_fraction=validation_fraction, seed=0,
        )  # fmt: skip
    except ValueError as error:
        judge(error, broken, certain)
    else:
        judge(None, broken, certain)
        assert trained is not start
        assert trained.n_classes >= 2 and len(history) == 1
        assert np.isfinite(history[0]["train_loss"]), "training on these gave a NaN loss"
    for b, a in zip(before, arrays, strict=True):
        assert_unchanged(b, a)
    assert model_state(start) == state


BAD_ARGUMENTS = {
    "steps": [0, -1, 1.5, "2", True],
    "max_seconds": [0, -1.0, float("nan"), float("inf"), "1"],
    "batch_size": [0, -2, 2.0, 10**6],
    "patch_size": [0, 8, 31, 33.0, 10**6],
    "validation_fraction": [-0.1, 0.95, 1.5, "0.2", None],
    "patience": [0, -1, 2.5],
    "strategy": ["bogus", ""],
    "bn_mode": ["bogus"],
    "schedule": ["bogus"],
    "augmentation": ["bogus"],
}
GOOD_ARGUMENTS = {
    "steps": [1, 2, None],
    "max_seconds": [1e-9, 0.05],
    "batch_size": [1, 2, 3],
    "patch_size": [32, 48],
    "validation_fraction": [0.0, 0.2, 0.9],
    "patience": [1, 8],
    "strategy": ["finetune", "head", "gradual", "scratch"],
    "bn_mode": ["auto", "frozen", "adapt", "adabn"],
    "schedule": ["onecycle", "cosine"],
    "augmentation": ["equiaxed", None],
}


@share(0.3)
# Sound seeds only: odd ones are a known failure (test_an_odd_seed_is_refused_in_words).
@given(broken=broken_aspects(*BAD_ARGUMENTS), data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_fit_arguments_are_checked(broken, data, seed):
    arguments = {
        name: data.draw(st.sampled_from(BAD_ARGUMENTS[name] if name in broken else good), name)
        for name, good in GOOD_ARGUMENTS.items()
    }
    if "max_seconds" in broken and "steps" not in broken:
        arguments["steps"] = None  # a step count wins over the time budget
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (64, 80), dtype=np.uint8)
    labels = np.zeros(image.shape, np.uint8)
    labels[4:10, 4:10], labels[50:60, 60:70], labels[30:34, 2:40] = 1, 2, 1
    before, state = (image.copy(), labels.copy()), model_state(shipped_models()["grey"])
    try:
        nf.fit(image, labels, model=shipped_models()["grey"], seed=seed, **arguments)
    except ValueError as error:
        judge(error, broken, broken)
    else:
        judge(None, broken, broken)
    assert_unchanged(before[0], image)
    assert_unchanged(before[1], labels)
    assert model_state(shipped_models()["grey"]) == state


def test_adabn_on_a_tiny_image():
    """Found by fuzzing: a 20 x 20 painting is accepted, then fails deep in torch."""
    image = np.random.default_rng(0).random((20, 20))
    labels = np.zeros((20, 20), np.uint8)
    labels[2:6, 2:6], labels[12:16, 12:16] = 1, 2
    try:
        nf.fit(image, labels, model=shipped_models()["grey"], steps=1, batch_size=2, patch_size=32)
    except ValueError as error:
        assert "torch" not in str(error) and "channel" not in str(error), str(error)


def test_an_odd_seed_is_refused_in_words():
    """Found while fuzzing the arguments; valid seeds only are drawn above until it is fixed."""
    image = np.random.default_rng(0).random((64, 64))
    labels = np.zeros((64, 64), np.uint8)
    labels[2:6, 2:6], labels[40:46, 40:46] = 1, 2
    with pytest.raises(ValueError, match="seed"):
        nf.fit(image, labels, model=shipped_models()["grey"], steps=1, patch_size=32, seed=1.5)


def test_a_missing_augmentation_file_is_refused_in_words(tmp_path):
    image = np.random.default_rng(0).random((64, 64))
    labels = np.zeros((64, 64), np.uint8)
    labels[2:6, 2:6], labels[40:46, 40:46] = 1, 2
    with pytest.raises(ValueError, match=r"missing\.yaml"):
        nf.fit(
            image, labels, model=shipped_models()["grey"], steps=1, patch_size=32,
            augmentation=str(tmp_path / "missing.yaml"),
        )  # fmt: skip
