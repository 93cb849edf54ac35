"""Inputs for fuzzing the public API: arrays, shapes and broken aspects, and the verdicts.

Each example breaks none, one or two *aspects* of an otherwise sound call (the
shape, the dtype, the values, an argument), so a good share of examples reach
the network and refusals test one flaw at a time. :func:`judge` then holds a
call to its contract: sound calls succeed, certainly broken ones are refused,
and a refusal names one of the broken aspects in one line.
"""

import functools

import numpy as np
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import napari_finetune as nf
from napari_finetune.models.checkpoint_tensors import tensor_digest

FLOAT_DTYPES = ["float32", "float64", "float16"]
INTEGER_DTYPES = ["uint8", "uint16", "int16", "int32", "int64", "uint32", "uint64", "int8"]
NUMERIC_DTYPES = [*FLOAT_DTYPES, *INTEGER_DTYPES, "bool"]
ODD_DTYPES = ["complex64", "datetime64[s]", "timedelta64[s]", "U3", "S2", "object"]


def broken_aspects(*aspects: str) -> st.SearchStrategy[frozenset[str]]:
    """Which aspects of an example to break: none (about a third), one or two."""
    return st.frozensets(st.sampled_from(aspects), max_size=2)


def dtypes(broken: bool) -> st.SearchStrategy[np.dtype]:
    return st.sampled_from(ODD_DTYPES if broken else NUMERIC_DTYPES).map(np.dtype)


@st.composite
def arrays_of(draw, dtype: np.dtype, shape: tuple[int, ...], finite: bool = True) -> np.ndarray:
    """An array: hypothesis' values, noise up to the dtype's extremes, or noise with specials.

    ``finite=False`` puts at least one NaN or infinity into float arrays.
    """
    if dtype.kind == "O":
        anything = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=3))
        return draw(hnp.arrays(dtype, shape, elements=anything))
    if dtype.kind not in "biuf":
        return draw(hnp.arrays(dtype, shape))
    how = draw(st.sampled_from(["hypothesis", "noise", "noise with extremes"]))
    if how == "hypothesis":
        finite_only = {"allow_nan": False, "allow_infinity": False} if dtype.kind == "f" else {}
        values = draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(dtype, **finite_only)))
    else:
        values = _noise(draw, dtype, shape)
    extremes = []
    if how == "noise with extremes" and dtype.kind in "iu":
        extremes = [np.iinfo(dtype).min, np.iinfo(dtype).max]
    elif how == "noise with extremes" and dtype.kind == "f":
        info = np.finfo(dtype)
        extremes = [info.max, info.min, info.tiny, -0.0]
    if values.size:
        for _ in range(draw(st.integers(1, 4)) if extremes else 0):
            values.flat[draw(st.integers(0, values.size - 1))] = draw(st.sampled_from(extremes))
        if not finite and dtype.kind == "f":
            for _ in range(draw(st.integers(1, 3))):
                where = draw(st.integers(0, values.size - 1))
                values.flat[where] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return values


def _noise(draw, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype.kind == "b":
        return rng.random(shape) < draw(st.floats(0, 1))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = sorted(draw(st.lists(st.integers(info.min, info.max), min_size=2, max_size=2)))
        return rng.integers(low, high, shape, dtype=dtype, endpoint=True)
    # Up to a quarter of the dtype's largest value: float64 beyond float32's range.
    top = float(np.finfo(dtype).max) / 4
    scale = draw(st.sampled_from([s for s in (1.0, 255.0, 1e4, 1e-30, 1e30, top) if s <= top]))
    offset = draw(st.sampled_from([0.0, -0.5, 1e3]))
    return (rng.random(shape) * scale + offset).astype(dtype)


SIDES = st.integers(16, 96)
# Training: AdaBN fails on images under 32 px both ways (see test_adabn_on_a_tiny_image).
TRAINING_SIDES = st.integers(32, 96)
SMALL_SIDES = st.integers(0, 15)


@st.composite
def image_shapes(
    draw, kind: str, broken: bool = False, sides: st.SearchStrategy[int] = SIDES
) -> tuple[tuple[int, ...], bool]:
    """A shape of ``kind`` (grey, colour, stack, colour stack), or a wrong one if ``broken``.

    Returns the shape and whether it is certainly wrong (a random shape may fit).
    """
    rows, cols = draw(sides), draw(sides)
    planes = draw(st.integers(1, 3))
    channels = draw(st.sampled_from([3, 4]))
    if broken:
        how = draw(st.sampled_from(["small", "channels", "no planes", "any"]))
        if how == "small":
            rows = draw(SMALL_SIDES)
        elif how == "channels":
            # Not 1: a trailing axis of 1 is a grey image's (read as grey since 2026-12-06).
            channels = draw(st.sampled_from([2, 5]))
            kind = kind if "colour" in kind else "colour"
        elif how == "no planes":
            planes, kind = 0, kind if "stack" in kind else "stack"
        else:
            return draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=24)), False
    shape = {
        "grey": (rows, cols),
        "colour": (rows, cols, channels),
        "stack": (planes, rows, cols),
        "colour stack": (planes, rows, cols, channels),
    }[kind]
    return shape, broken


@st.composite
def model_images(draw, broken: frozenset[str]) -> tuple[str, np.ndarray, frozenset[str]]:
    """A model kind and an image for it, broken in the aspects ``broken`` names.

    Also returns the aspects that are certainly broken (a random shape may fit,
    an integer image has no NaN to break it with).
    """
    model = draw(st.sampled_from(["grey", "colour"]))
    kinds = {"grey": ["grey", "stack"], "colour": ["colour", "colour stack"]}[model]
    certain = set(broken) - {"shape", "values"}
    if "shape" in broken and draw(st.booleans()):  # the other model's kind of image
        kinds = {"grey": ["colour", "colour stack"], "colour": ["grey", "stack"]}[model]
        shape, _ = draw(image_shapes(draw(st.sampled_from(kinds))))
        certain.add("shape")
    else:
        shape, wrong = draw(image_shapes(draw(st.sampled_from(kinds)), "shape" in broken))
        certain |= {"shape"} if wrong else set()
    dtype = draw(dtypes("dtype" in broken))
    image = draw(arrays_of(dtype, shape, finite="values" not in broken), label="image")
    if "values" in broken and dtype.kind == "f" and image.size:
        certain.add("values")
    return model, image, frozenset(certain)


# Words a refusal of each broken aspect must use (one of them), lower case.
WORDS = {
    "shape": ("shape", " px", "rgb", "grey", "colour", "plane", "stack", "label"),
    "dtype": ("dtype", "number", "numeric"),
    "values": ("nan", "infinite"),
    "tile": ("tile",),
    "overlap": ("overlap",),
    "method": ("method",),
    "samples": ("samples",),
    "preset": ("preset",),
    "labels": ("label", "class", "paint"),
    "map shape": ("uncertainty",),
    "map dtype": ("uncertainty",),
    "map values": ("uncertainty",),
    "typical": ("representativeness",),
    "n": ("n=",),
    "size": ("size=",),
    "weight": ("representativeness_weight",),
    "augmentation": ("preset", "augmentation"),
}  # any other aspect is an argument, named by its own name


def judge(error: ValueError | None, broken: frozenset[str], certain: frozenset[str]) -> None:
    """Sound calls succeed; certainly broken ones are refused; a refusal says why, in one line."""
    if error is None:
        event("accepted")
        assert not certain, f"accepted although broken in {sorted(certain)}"
        return
    event("refused")
    message = str(error)
    assert message.strip(), f"{type(error).__name__} without a message"
    assert "\n" not in message, f"a message of several lines: {message!r}"
    assert broken, f"a sound call was refused: {message}"
    words = [word for aspect in broken for word in WORDS.get(aspect, (aspect,))]
    assert any(word in message.lower() for word in words), (
        f"the message {message!r} names none of the broken aspects {sorted(broken)}"
    )


def copied(value: object) -> object:
    """A copy of an array, to compare with after the call; anything else as it is."""
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def assert_unchanged(before, after) -> None:
    """Same shape, dtype and bits (NaN included); objects identical."""
    if not isinstance(after, np.ndarray):
        return
    assert before.dtype == after.dtype and before.shape == after.shape
    if before.dtype.kind == "O":
        assert all(a is b for a, b in zip(before.ravel(), after.ravel(), strict=True))
    else:
        assert before.tobytes() == after.tobytes(), "the call changed its input array"


def model_state(model) -> tuple:
    """Everything a call could change in a model given to it."""
    return (
        tensor_digest(model.net.state_dict()),
        dict(model.classes),
        model.normalization,
        len(model.history),
        len(model.provenance),
        model.net.training,
    )


@functools.cache
def shipped_models() -> dict:
    """The shipped grey model and an RGB copy of it (as fitting on colour makes).

    Loaded once per session; a function rather than a fixture, so that
    hypothesis does not print two networks with every falsifying example.
    """
    grey = nf.load_model("voronoi-unet")
    colour = grey.copy()
    colour.net.adapt_input_channels(3)
    return {"grey": grey, "colour": colour}
