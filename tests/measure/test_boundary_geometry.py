"""A boundary class named in words the plugin does not know is found by its thin shape."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.measure import measure_map
from napari_finetune.measure.boundary_geometry import is_thin_class
from napari_finetune.measure.measuring import NO_BOUNDARY_CLASS
from napari_finetune.synth import second_phases


def superalloy_like(seed: int = 0, shape: tuple[int, int] = (256, 256)) -> np.ndarray:
    """Matrix 1, secondary γ′ cuboids 2 (12-30 px), tertiary γ′ dots 3 (2-3 px)."""
    rng = np.random.default_rng(seed)
    classes = np.ones(shape, np.uint8)
    for _ in range(60):
        r, c, size = rng.integers(0, shape[0]), rng.integers(0, shape[1]), rng.integers(12, 30)
        classes[r : r + size, c : c + size] = 2
    for _ in range(300):
        r, c, size = rng.integers(0, shape[0]), rng.integers(0, shape[1]), rng.integers(2, 4)
        window = classes[r : r + size, c : c + size]
        window[window == 1] = 3
    return classes


def test_boundaries_are_thin_and_precipitates_and_gamma_prime_are_not():
    for seed in range(3):
        assert is_thin_class(nf.voronoi_grains((256, 256), 48, seed=seed).classes, 2)
        assert not is_thin_class(second_phases((256, 256), 12, seed=seed).regions, 2)
        assert not is_thin_class(superalloy_like(seed), 2)
    assert not is_thin_class(np.ones((32, 32), np.uint8), 2)  # absent: no boundary
    assert not is_thin_class(np.full((32, 32), 2, np.uint8), 2)  # everywhere: no boundary


@pytest.mark.parametrize(
    "names",
    [
        {1: "grain", 2: "GB"},
        {1: "Korn", 2: "Korngrenze"},
        {1: "ferrite", 2: "grain bnd", 3: "pearlite"},
    ],
)
def test_a_boundary_class_named_in_other_words_measures_grains(names):
    sample = nf.voronoi_grains((256, 256), 48, seed=0)
    classes = sample.classes.copy()
    if 3 in names:  # a second phase: some grains are pearlite
        classes[(classes == 1) & (sample.grains % 3 == 0)] = 3
    found = measure_map(classes, "classes", class_names=names)
    assert found.report is not None and found.grains.max() >= 40
    assert NO_BOUNDARY_CLASS not in found.lines()[0]
    probabilities = np.stack([classes == k for k in sorted(names)]).astype(np.float32)
    assert measure_map(probabilities, "probabilities", class_names=names).report is not None
    if 3 in names:  # the boundary is no phase
        assert list(measure_map(classes, "classes", class_names=names).phases["name"]) == [
            "ferrite",
            "pearlite",
        ]


def test_a_superalloy_of_phases_only_still_measures_no_grains():
    names = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}
    found = measure_map(superalloy_like(), "classes", class_names=names)
    assert found.grains is None and found.report is None
    assert found.lines()[0] == f"{NO_BOUNDARY_CLASS}."
    assert list(found.phases["name"]) == list(names.values())
