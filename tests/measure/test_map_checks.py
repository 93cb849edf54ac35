"""Inputs that are no map to measure are refused; a model of phases only measures no grains."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.batch.measurements import grain_numbers
from napari_finetune.measure import Calibration, grains, measure_map
from napari_finetune.measure.table import read_scale


def micrograph_u8(seed: int = 0) -> np.ndarray:
    """The synthetic Voronoi *image* (not its map) as an 8-bit micrograph."""
    image = nf.voronoi_grains((256, 256), 48, seed=seed).image
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def test_an_integer_image_is_not_read_as_grain_ids():
    with pytest.raises(ValueError, match=r"looks like an image, not a map: .*choose what it"):
        measure_map(micrograph_u8(), "auto", None, Calibration(0.5, "µm"))
    with pytest.raises(ValueError, match="looks like an image"):
        grains(micrograph_u8().astype(np.uint16) * 16)  # a 12-bit image in uint16
    # Grain ids (many values, large regions of one value) are still instances.
    sample = nf.voronoi_grains((256, 256), 48, seed=0)
    assert measure_map(sample.grains, "auto").grains.max() == 48
    # Said explicitly, the user's word is taken.
    assert measure_map(micrograph_u8(), "instances").report is not None


def test_a_float_map_outside_zero_one_is_no_boundary_probability():
    image = micrograph_u8().astype(np.float32)
    with pytest.raises(ValueError, match=r"from \d+ to \d+: a boundary map lies in \[0, 1\]"):
        measure_map(image, "auto")
    with pytest.raises(ValueError, match=r"probabilities map lies in \[0, 1\]"):
        measure_map(np.stack([image, 255 - image]), "probabilities")
    sample = nf.voronoi_grains((128, 128), 12, seed=1)
    assert measure_map(sample.boundaries.astype(np.float32), "auto").grains.max() == 12


def test_an_interior_mask_is_not_read_as_a_boundary_mask():
    sample = nf.voronoi_grains((128, 128), 12, seed=1)
    interior = (sample.boundaries == 0).astype(np.uint8)  # thresholded grains: mostly 1
    for kind in ("auto", "boundaries"):
        with pytest.raises(ValueError, match=r"looks like an interior mask.*Invert it"):
            measure_map(interior, kind)
    assert measure_map(1 - interior, "auto").grains.max() == 12


def test_a_sparse_painting_is_refused_as_a_class_map():
    sample = nf.voronoi_grains((128, 128), 12, seed=1)
    painting = np.zeros((128, 128), np.uint8)
    painting[10:40, 10:40] = sample.classes[10:40, 10:40]  # strokes: 5 % painted
    with pytest.raises(ValueError, match=r"mostly unpainted .*it is a painting, not a map; meas"):
        measure_map(painting, "auto")
    names = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}
    with pytest.raises(ValueError, match="it is a painting"):
        measure_map(painting, "classes", class_names=names)


def test_a_model_of_phases_only_measures_phases_not_grains():
    classes = np.ones((96, 96), np.uint8)
    classes[:, 40:] = 3
    # A wide band of secondary γ′: no boundary by name nor by shape (a 4 px band
    # would be thin everywhere, as a boundary is).
    classes[:, 38:62] = 2
    names = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}
    found = measure_map(classes, "classes", calibration=Calibration(1, "µm"), class_names=names)
    assert found.grains is None and found.report is None
    assert found.lines()[0] == "no class is a boundary: grain size not measured."
    assert list(found.phases["name"]) == list(names.values())
    numbers = grain_numbers(found)  # a folder run's row: phases, no grain numbers
    assert "G planimetric" not in numbers and numbers["fraction matrix"] == pytest.approx(38 / 96)
    # From probabilities as well; and one named phase alone is nothing to measure.
    probs = np.stack([classes == k for k in (1, 2, 3)]).astype(np.float32)
    assert measure_map(probs, "probabilities", class_names=names).report is None
    with pytest.raises(ValueError, match="no class is a boundary"):
        measure_map(np.ones((32, 32), np.uint8), "classes", class_names={1: "matrix"})
    # Named with a boundary, grains are measured as before.
    by_name = {1: "ferrite", 2: "boundary", 3: "pearlite"}
    assert measure_map(classes, "classes", class_names=by_name).report is not None


def test_a_scale_without_unit_is_kept_and_the_unit_asked_for():
    found = read_scale((0.2252, 0.2252), "pixel")
    assert (found.pixel_size, found.unit) == (0.2252, "px")
    assert "no unit: choose the unit" in found.note
    assert read_scale((1.0, 1.0), "pixel").note == ""
    calibrated = read_scale((0.0002252, 0.0002252), "millimeter")
    assert (calibrated.pixel_size, calibrated.unit, calibrated.note) == (0.0002252, "mm", "")
