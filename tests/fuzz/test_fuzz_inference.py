"""Fuzz prediction, uncertainty and region suggestions with random images and maps.

Shapes (2D, colour, RGBA, stacks, anything up to 4D, sides from 0), dtypes
(integers, floats, bool, complex, dates, text, objects) and values (constant,
noise, NaN, infinities, the extremes of the dtype) are drawn at random (see
fuzz_arrays.py). The only outcomes allowed are a result of the documented form
or a ValueError whose one-line message names the flaw; never another
exception, and never a changed input (the arrays, the model, torch's random
stream).

The default profile runs a few hundred examples in well under a minute; the
large one is ``HYPOTHESIS_PROFILE=slow python -m pytest tests/fuzz`` (see
fuzz_profiles.py).
"""

import numpy as np
import torch
from fuzz_arrays import (
    FLOAT_DTYPES,
    arrays_of,
    assert_unchanged,
    broken_aspects,
    copied,
    dtypes,
    image_shapes,
    judge,
    model_images,
    model_state,
    shipped_models,
)
from fuzz_profiles import share
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import napari_finetune as nf
from napari_finetune.augment.presets import PRESETS
from napari_finetune.inference.uncertainty import METHODS


def tiles(broken: bool) -> st.SearchStrategy:
    bad = [0, 16, 31, -64, 64.0, "64", None, True]
    return st.sampled_from(bad if broken else [32, 48, 64, 512])


def overlaps(broken: bool) -> st.SearchStrategy:
    return st.sampled_from([-1, 15.5, 300, "8", None, False] if broken else [0, 8, 15])


@share(0.6)
@given(broken=broken_aspects("shape", "dtype", "values", "tile", "overlap"), data=st.data())
def test_predict_gives_probabilities_or_a_value_error(broken, data):
    kind, image, certain = data.draw(model_images(broken))
    tile, overlap = data.draw(tiles("tile" in broken)), data.draw(overlaps("overlap" in broken))
    certain |= broken & {"tile", "overlap"}
    model = shipped_models()[kind]
    before, state = copied(image), model_state(model)
    try:
        probabilities = nf.predict(model, image, tile=tile, overlap=overlap)
    except ValueError as error:
        judge(error, broken, certain)
    else:
        judge(None, broken, certain)
        spatial = image.shape[:-1] if kind == "colour" else image.shape
        assert probabilities.shape == (model.n_classes, *spatial)
        assert probabilities.dtype == np.float32
        assert np.isfinite(probabilities).all(), "probabilities that are not numbers"
        assert np.allclose(probabilities.sum(axis=0), 1, atol=1e-3)
    assert_unchanged(before, image)
    assert model_state(model) == state


@share(0.4)
@given(
    broken=broken_aspects("shape", "dtype", "values", "tile", "method", "samples", "preset"),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_uncertainty_gives_a_map_in_0_1_or_a_value_error(broken, data, seed):
    kind, image, certain = data.draw(model_images(broken))
    tile, overlap = data.draw(tiles("tile" in broken)), data.draw(overlaps(False))
    method = data.draw(st.sampled_from(["bogus", "MC"] if "method" in broken else METHODS))
    bad_samples = [0, -2, 1.5, True, "2"]
    samples = data.draw(st.sampled_from(bad_samples if "samples" in broken else [1, 2, 3]))
    unknown = st.text(max_size=8).filter(lambda text: text not in PRESETS)
    preset = data.draw(unknown if "preset" in broken else st.sampled_from(sorted(PRESETS)))
    certain |= broken & {"tile", "method", "samples", "preset"}
    model = shipped_models()[kind]
    before, state = copied(image), model_state(model)
    torch_state = torch.random.get_rng_state()
    try:
        unc = nf.uncertainty(
            model, image, method=method, samples=samples, preset=preset, seed=seed,
            tile=tile, overlap=overlap,
        )  # fmt: skip
    except ValueError as error:
        judge(error, broken, certain)
    else:
        judge(None, broken, certain)
        spatial = image.shape[:-1] if kind == "colour" else image.shape
        assert unc.shape == spatial
        assert unc.dtype == np.float32
        assert np.isfinite(unc).all(), "an uncertainty that is not a number"
        assert unc.min() >= -1e-6 and unc.max() <= 1 + 1e-5
    assert_unchanged(before, image)
    assert model_state(model) == state
    assert torch.equal(torch.random.get_rng_state(), torch_state), "torch's stream was moved"


@st.composite
def box_requests(draw, broken: frozenset[str]) -> dict:
    """Arguments of suggest_regions, broken in the aspects ``broken`` names."""
    shape = (draw(st.integers(1, 80)), draw(st.integers(1, 80)))
    if "map shape" in broken:
        shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=24)
        shape = draw(shapes.filter(lambda shape: len(shape) != 2 or 0 in shape))
    float_dtypes = st.sampled_from(FLOAT_DTYPES).map(np.dtype)
    unc = draw(
        arrays_of(
            draw(dtypes(True) if "map dtype" in broken else float_dtypes),
            shape,
            finite="map values" not in broken,
        ),
        label="uncertainty",
    )
    labels = None
    if draw(st.booleans()) or "labels" in broken:
        labels_shape = draw(image_shapes("grey", True))[0] if "labels" in broken else unc.shape
        labels = draw(arrays_of(draw(dtypes("labels" in broken)), labels_shape), label="labels")
    typical = None
    if draw(st.booleans()) or "typical" in broken:
        typical = draw(arrays_of(np.dtype("float64"), unc.shape), label="representativeness")
        typical = np.clip(np.nan_to_num(typical), 0, 1)
        if "typical" in broken and typical.size:  # a value no probability-like map has
            where = draw(st.integers(0, typical.size - 1))
            typical.flat[where] = draw(st.sampled_from([-0.5, 1.5, np.nan, np.inf]))
    n = draw(st.sampled_from([0, -1, 2.5, "3", None]) if "n" in broken else st.integers(1, 8))
    size = draw(
        st.sampled_from([0, -5, 8.5, "16", None]) if "size" in broken else st.integers(1, 100)
    )
    weight = draw(
        st.sampled_from([-1.0, float("nan"), float("inf"), "4", None])
        if "weight" in broken
        else st.sampled_from([0, 1, 4.0])
    )
    return {
        "uncertainty": unc,
        "labels": labels,
        "n": n,
        "size": size,
        "representativeness": typical,
        "representativeness_weight": weight,
    }


@share(1.0)
@given(
    broken=broken_aspects(
        "map shape", "map dtype", "map values", "labels", "typical", "n", "size", "weight"
    ),
    data=st.data(),
)
def test_suggest_regions_gives_boxes_or_a_value_error(broken, data):
    request = data.draw(box_requests(broken))
    before = {k: copied(v) for k, v in request.items()}
    try:
        boxes = nf.suggest_regions(**request)
    except ValueError as error:
        judge(error, broken, broken)
    else:
        judge(None, broken, broken)
        rows, cols = request["uncertainty"].shape
        labels = request["labels"]
        assert isinstance(boxes, list) and len(boxes) <= request["n"]
        for y0, x0, y1, x1 in boxes:
            assert all(isinstance(v, int) for v in (y0, x0, y1, x1))
            assert 0 <= y0 < y1 <= rows and 0 <= x0 < x1 <= cols
            if labels is not None:
                assert not np.asarray(labels)[y0:y1, x0:x1].any(), "a box on painted pixels"
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                assert apart, f"boxes {a} and {b} overlap"
    for name, value in request.items():
        assert_unchanged(before[name], value)
