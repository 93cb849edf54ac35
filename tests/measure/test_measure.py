"""Grains, per-grain tables and ASTM E112 numbers on constructed cases with known answers."""

import math
import re

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.measure import (
    Calibration,
    GrainOptions,
    e112_pattern,
    g_from_grains_per_mm2,
    g_from_intercept,
    grain_table,
    grains,
    intercepts,
    line_grid,
    measure_grains,
    phase_fractions,
)
from napari_finetune.measure.astm import field_statistic
from napari_finetune.measure.compare import adjusted_rand_index, agreement, isbi_scores
from napari_finetune.measure.intercepts import TestLine
from napari_finetune.measure.jeffries import corner_grains, frame_weights


def square_lattice(cells: int, side: int, offset: int = 0) -> np.ndarray:
    """Square grains of ``side`` px, ``cells`` per row, shifted by ``offset`` px."""
    size = cells * side
    y, x = np.mgrid[:size, :size]
    return ((y + offset) // side) * (cells + 1) + (x + offset) // side + 1


def test_g_formulas_match_the_e112_table():
    # E112 Table 4: G 0 <-> N_A 7.75 grains/mm², mean intercept 0.320 mm;
    # G 10 <-> N_A 7 936 /mm², mean intercept 0.0100 mm (each G step: N_A x 2).
    assert g_from_grains_per_mm2(7.75) == pytest.approx(0.0, abs=0.01)
    assert g_from_grains_per_mm2(7936) == pytest.approx(10.0, abs=0.01)
    assert g_from_intercept(0.320) == pytest.approx(0.0, abs=0.01)
    assert g_from_intercept(0.0100) == pytest.approx(10.0, abs=0.01)
    with pytest.raises(ValueError, match="positive"):
        g_from_intercept(0)


def test_confidence_interval_is_student_t_over_fields():
    stat = field_statistic([10.0, 12.0, 11.0, 13.0])
    assert stat.mean == 11.5 and stat.n == 4
    assert stat.ci95 == pytest.approx(3.182446 * np.std([10, 12, 11, 13], ddof=1) / 2)
    assert stat.relative_accuracy == pytest.approx(100 * stat.ci95 / 11.5)
    assert field_statistic([5.0]).ci95 is None


def test_horizontal_and_vertical_lines_on_square_grains_intercept_one_side():
    side = 20
    ids = square_lattice(12, side, offset=side // 2)
    result = intercepts(ids, line_grid(ids.shape, angles=(0, 90), spacing=side + 0.5))
    assert result.mean_intercept == pytest.approx(side, rel=0.02)
    # ends cut by the frame count one half each
    first = result.lines.iloc[0]
    assert first["intercepts"] == pytest.approx(first["test_length"] / side, abs=0.6)


def test_random_directions_on_square_grains_give_the_cauchy_mean_intercept():
    # Mean chord of a square of side a over isotropic lines: pi a / 4.
    side = 24
    ids = square_lattice(20, side, offset=7)
    angles = tuple(np.arange(0, 180, 7.5))
    # every chord counts here, however short (corner clips): the exact geometry
    result = intercepts(ids, line_grid(ids.shape, angles=angles, spacing=9.3), min_run=0)
    assert result.mean_intercept == pytest.approx(math.pi * side / 4, rel=0.03)


def test_a_line_along_a_pixel_staircase_crosses_the_boundary_once():
    # Two grains split by a boundary of slope 1/3: a test line of slope ~1/3
    # beside it flips between them on every stair unless short runs are dropped.
    y, x = np.mgrid[:100, :240]
    ids = np.where(y > 10 + x / 3.1, 2, 1)
    cols = np.arange(0, 239, 0.25)
    line = TestLine("along", np.stack([10.2 + cols / 3.1, cols], axis=1), closed=False)
    assert intercepts(ids, [line], min_run=0).n_intercepts > 2
    assert intercepts(ids, [line]).n_intercepts == 1  # two half-counted ends


def test_planimetric_count_halves_grains_cut_by_the_frame_and_quarters_the_corners():
    side, cells = 16, 16
    ids = square_lattice(cells, side, offset=side // 2)
    report = measure_grains(ids, Calibration(1.0, "um"))
    # (k-1)^2 whole + 4(k-1) cut grains / 2 + 4 corner grains / 4 = k^2 grains in k^2
    # cells of side^2: exact (counting the corners one half gave k^2 + 1).
    expected = 1 / side**2 * 1e6  # per mm²
    assert report.planimetric.g == pytest.approx(g_from_grains_per_mm2(expected), abs=1e-9)
    assert report.planimetric.g_low < report.planimetric.g < report.planimetric.g_high
    said = report.lines()[1:3]
    assert all(" fields, %RA " in line for line in said)
    assert "over 9 fields" in said[1] and "over 7 fields" in said[0]  # grid; lines, circles


def test_leaving_cut_grains_out_leaves_their_area_out():
    side, cells = 16, 16
    ids = square_lattice(cells, side, offset=side // 2)
    exact = g_from_grains_per_mm2(1 / side**2 * 1e6)
    # (k-1)^2 whole grains over their own (k-1)^2 cells: the lattice's exact density
    # (over the whole image it was (k-1)^2 / k^2 of it: G 0.19 too low here).
    excluded = measure_grains(ids, Calibration(1.0, "um"), border="exclude")
    assert excluded.planimetric.g == pytest.approx(exact, abs=1e-9)
    # Boundary pixels between the grains go to the nearest grain: 1-px gaps change nothing
    # but the pixels the boundaries take (each cell's own area stays side^2).
    gaps = ids.copy()
    gaps[(np.arange(ids.shape[0]) + side // 2) % side == 0, :] = 0
    gaps[:, (np.arange(ids.shape[1]) + side // 2) % side == 0] = 0
    with_gaps = measure_grains(gaps, Calibration(1.0, "um"), border="exclude")
    assert with_gaps.planimetric.g == pytest.approx(exact, abs=0.01)
    included = measure_grains(ids, Calibration(1.0, "um"), border="include")
    assert included.planimetric.g > exact + 0.1  # (k+1)^2 grains in k^2 cells


def test_a_corner_on_a_boundary_pixel_belongs_to_the_nearest_grain():
    ids = np.ones((40, 60), np.int32)
    ids[:, 30:] = 2
    ids[0, :] = 0  # a boundary along the top edge: the top corners are on it
    assert corner_grains(ids) == [1, 2, 1, 2]
    ids[:20, :20] = 0  # a background at the top left corner, grains far from it
    assert corner_grains(ids) == [0, 2, 1, 2]
    assert corner_grains(np.zeros((40, 60), np.int32)) == [0, 0, 0, 0]


def test_grains_count_a_quarter_per_corner_they_hold():
    ids = np.ones((40, 60), np.int32)
    ids[:, 20:] = 2  # grain 1 holds two corners (the left side), grain 2 the other two
    ids[10:30, 25:35] = 3  # inside: counts one
    report = measure_grains(ids, Calibration(1.0, "um"))
    weights = frame_weights(report.table, ids, "half")
    weights = dict(zip(report.table["label"], weights, strict=True))
    assert weights == {1: 0.5, 2: 0.5, 3: 1.0}


def test_e112_pattern_sits_in_the_centred_square_with_nist_proportions():
    lines = e112_pattern((600, 800))
    names = [line.name for line in lines]
    assert names[:4] == ["horizontal", "vertical", "diagonal \\", "diagonal /"]
    circles = lines[4:]
    radii = [np.hypot(*(c.points[0] - c.points.mean(0))) for c in circles]
    assert radii == pytest.approx([0.7958 * 599 / 2, 0.5305 * 599 / 2, 0.2653 * 599 / 2], rel=1e-3)
    for line in lines:
        assert line.points[:, 1].min() >= 100 - 1e-9 and line.points[:, 1].max() <= 699 + 1e-9
    assert sum(c.length for c in circles) == pytest.approx(
        2 * math.pi * 599 / 2 * sum((0.7958, 0.5305, 0.2653)), rel=1e-3
    )


def test_grains_from_exact_boundaries_recover_the_synthetic_ids():
    sample = nf.voronoi_grains((256, 256), 30, seed=2)
    for data in (sample.boundaries, sample.classes, sample.boundaries * np.uint8(255)):
        found = grains(data)
        assert found.max() == 30
        assert adjusted_rand_index(sample.grains, found) > 0.95
    # from a two-class probability map as the model gives it
    probs = np.stack([1.0 - sample.boundaries, sample.boundaries]).astype(np.float32)
    assert grains(probs).max() == 30


def test_a_gap_in_the_boundary_does_not_merge_two_grains_with_distance_markers():
    boundary = np.zeros((60, 120), np.float32)
    boundary[:, 59:61] = 1
    boundary[28:32, 59:61] = 0  # a gap: the interiors touch
    merged = grains(boundary, kind="boundary", options=GrainOptions(markers="components"))
    split = grains(boundary, kind="boundary", options=GrainOptions(neck_depth=2.0))
    assert merged.max() == 1 and split.max() == 2


def test_fragments_below_the_minimum_size_are_merged():
    boundary = np.zeros((64, 64), np.uint8)
    boundary[:, 31] = 1
    boundary[10:14, 10:14] = 1
    boundary[11:13, 11:13] = 0  # a 4 px pocket inside the left grain
    assert grains(boundary, options=GrainOptions(min_size=1)).max() == 3
    assert grains(boundary, options=GrainOptions(min_size=16)).max() == 2


def test_ids_are_stable_and_stacks_get_unique_ids():
    sample = nf.voronoi_grains((128, 128), 12, seed=1)
    first = grains(sample.boundaries)
    np.testing.assert_array_equal(first, grains(sample.boundaries))
    stack = grains(np.stack([sample.boundaries, sample.boundaries]))
    assert stack.shape == (2, 128, 128)
    assert stack[0].max() == 12 and stack[1].min() == 13 and stack[1].max() == 24


def test_grain_table_reports_physical_units_border_and_neighbours():
    side = 10
    ids = square_lattice(3, side)  # 3 x 3 whole squares; the centre touches no frame
    table = grain_table(ids, Calibration(0.5, "um"))
    assert len(table) == 9 and table.attrs["unit"] == "um"
    assert table["area"].tolist() == pytest.approx([25.0] * 9)
    assert table["ecd"].iloc[0] == pytest.approx(2 * math.sqrt(25 / math.pi))
    centre = table.set_index("label").loc[ids[15, 15]]
    assert not centre["border"] and centre["neighbours"] == 4
    assert table["border"].sum() == 8


def test_orientation_is_measured_from_the_x_axis():
    image = np.zeros((80, 80), np.int32)
    image[38:42, 10:70] = 1  # a horizontal bar
    image[10:70, 58:62] = 2  # a vertical bar
    table = grain_table(image).set_index("label")
    assert abs(table.loc[1, "orientation"]) == pytest.approx(0, abs=1)
    assert abs(table.loc[2, "orientation"]) == pytest.approx(90, abs=1)
    assert table.loc[1, "aspect_ratio"] > 10


def test_without_calibration_there_is_no_g_and_a_warning_says_so():
    report = measure_grains(square_lattice(10, 12, offset=6))
    assert report.intercept.g is None and report.planimetric.g is None
    assert any("No pixel size" in w for w in report.warnings)


def test_too_few_grains_and_no_boundaries_are_reported_not_hidden():
    few = measure_grains(square_lattice(4, 30, offset=15), Calibration(1, "um"))
    assert any("Only" in w and "50" in w for w in few.warnings)
    one = measure_grains(np.ones((64, 64), np.int32), Calibration(1, "um"))
    assert any("one grain" in w for w in one.warnings)
    assert one.intercept.g is None and one.planimetric.g is None  # no invented precision


def test_anisotropy_sees_elongated_grains():
    sample = nf.voronoi_grains(
        (384, 384), 40, morphology="elongated", elongation=4, direction=0, seed=1
    )
    report = measure_grains(grains(sample.boundaries))
    # long along x: intercepts along 0° are longer than along 90°
    assert report.anisotropy[0.0] > 2 * report.anisotropy[90.0]


def test_phase_fractions_with_confidence_interval():
    classes = np.ones((90, 90), np.uint8)
    classes[:, :30] = 2  # one third of the area
    table = phase_fractions(classes, fields=(3, 3)).set_index("class")
    assert table.loc[2, "fraction"] == pytest.approx(1 / 3)
    # Fields 1, 0, 0 in each row of tiles: s = 0.5, n = 9, t(0.975, 8) = 2.306.
    assert table.loc[2, "ci95"] == pytest.approx(2.306 * 0.5 / 3, rel=1e-3)
    assert table.loc[2, "relative_accuracy"] == pytest.approx(115.3, abs=0.1)
    assert table.loc[2, "fields"] == 9
    with pytest.raises(ValueError, match="two or more phases"):
        phase_fractions(np.ones((10, 10), np.uint8))


def test_a_boundary_has_no_area_and_an_absent_phase_counts_zero():
    classes = np.ones((96, 96), np.uint8)
    classes[:, 40:] = 3
    classes[:, 38:42] = 2  # a predicted boundary 4 px wide between phases 1 and 3
    table = phase_fractions(classes, thin={2}, n_classes=4).set_index("class")
    assert list(table.index) == [1, 3, 4]  # the boundary is no phase
    # Each boundary column goes to the nearer phase: 38, 39 to 1; 40, 41 to 3.
    assert table.loc[1, "fraction"] == pytest.approx(40 / 96)
    assert table.loc[3, "fraction"] == pytest.approx(56 / 96)
    assert table.loc[4, "fraction"] == 0 and table.loc[4, "ci95"] == 0
    assert np.isnan(table.loc[4, "relative_accuracy"])  # no %RA of nothing
    # Unclassified pixels stay out, even beside a boundary.
    classes[:, :10] = 0
    table = phase_fractions(classes, thin={2}).set_index("class")
    assert table.loc[1, "fraction"] == pytest.approx(30 / 86)
    with pytest.raises(ValueError, match="two or more phases"):
        phase_fractions(np.where(classes == 3, 1, classes), thin={2}, n_classes=2)


def test_a_three_phase_map_says_its_fractions_in_words():
    classes = np.ones((96, 96), np.uint8)
    classes[:, 40:] = 3  # the grains of phase 1 and 3 meet at a boundary of class 2
    classes[:, 38:42] = 2
    said = nf.measure.measure_map(classes, "classes").lines()
    assert said[:-1] == measure_grains(grains(classes, "classes")).lines()
    # Without names, every class of a three-class map is a phase.
    shares = r"class 1 39\.6 % ± [\d.]+, class 2 4\.2 % ± [\d.]+, class 3 56\.2 %"
    assert re.search(f"^Phase area fractions: {shares}", said[-1])
    assert "over 9 fields of this image: how uniform it is" in said[-1]
    # Named, the boundary is no phase.
    names = {1: "ferrite", 2: "boundary", 3: "pearlite"}
    named = nf.measure.measure_map(classes, "classes", class_names=names).lines()[-1]
    assert re.search(r"ferrite 41\.7 % ± [\d.]+, pearlite 58\.3 %", named)
    two_classes = nf.measure.measure_map(np.where(classes == 3, 1, classes), "classes")
    assert not any("Phase" in line for line in two_classes.lines())
    # A model of three phases measured on an image with two of them: the third is 0.
    phases = {1: "matrix", 2: "secondary", 3: "tertiary"}
    two_present = np.where(classes == 2, 1, classes)
    found = nf.measure.measure_map(two_present, "classes", class_names=phases).phases
    assert list(found["name"]) == ["matrix", "secondary", "tertiary"]
    assert found.set_index("name").loc["secondary", "fraction"] == 0
    # The boundary is the class its name says, not always class 2.
    swapped = np.where(classes == 2, 3, np.where(classes == 3, 2, classes)).astype(np.uint8)
    by_name = {1: "ferrite", 2: "pearlite", 3: "boundary"}
    found = nf.measure.measure_map(swapped, "classes", class_names=by_name)
    assert len(found.report.table) == 2  # two grains, cut along the boundary
    assert "ferrite 41.7 %" in found.lines()[-1]


def test_bad_inputs_name_what_is_wrong():
    with pytest.raises(ValueError, match="one value only"):
        grains(np.ones((32, 32), np.uint8))  # a prediction with no boundary at all
    with pytest.raises(ValueError, match="no class 2"):
        grains(np.ones((1, 8, 8), np.float32), kind="probabilities")
    with pytest.raises(ValueError, match="not 2D"):
        measure_grains(np.ones((2, 8, 8), np.int32))
    with pytest.raises(ValueError, match="border="):
        measure_grains(np.ones((8, 8), np.int32), border="ignore")
    with pytest.raises(ValueError, match="pixel size must be positive"):
        Calibration(0, "um")


def test_adjusted_rand_index_is_one_for_relabelled_and_near_zero_for_random():
    rng = np.random.default_rng(0)
    truth = square_lattice(6, 10)
    relabelled = (truth * 7 + 3) % 101
    assert adjusted_rand_index(truth, relabelled) == pytest.approx(1.0)
    assert abs(adjusted_rand_index(truth, rng.integers(1, 37, truth.shape))) < 0.01
    merged = np.where(truth == 2, 1, truth)
    score = agreement(truth, merged)
    assert 0.9 < score.adjusted_rand < 1 and score.count_error == pytest.approx(-1 / 36)
    assert score.variation_of_information > 0


def test_isbi_scores_are_one_for_a_perfect_match_and_drop_for_merges():
    truth = square_lattice(6, 10)
    truth[::10, :] = 0  # membranes, left out
    perfect = square_lattice(6, 10)
    assert isbi_scores(truth, perfect) == pytest.approx((1.0, 1.0))
    merged = np.where(perfect % 2 == 0, perfect - 1, perfect)
    v_rand, v_info = isbi_scores(truth, merged)
    assert v_rand < 0.8 and v_info < 0.95
