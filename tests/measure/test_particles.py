"""Second-phase particles (ASTM E1245): number per area, mean area and ECD, mean free path."""

import numpy as np
import pandas as pd
import pytest

from napari_finetune.measure import measure_map
from napari_finetune.measure.particles import particle_lines, phase_particles
from napari_finetune.measure.phase_export import write_phase_csv
from napari_finetune.measure.phases import phase_fractions
from napari_finetune.measure.table import Calibration

NAMES = {1: "matrix", 2: "γ′", 3: "carbide"}


def precipitates() -> np.ndarray:
    """A 100² matrix with four 10² γ′ squares inside, two halves cut by the frame, a speck."""
    classes = np.ones((100, 100), np.uint8)
    for y, x in ((20, 20), (20, 60), (60, 20), (60, 60)):
        classes[y : y + 10, x : x + 10] = 2
    classes[0:5, 40:50] = 2  # cut by the top edge: 5 x 10
    classes[45:55, 95:100] = 2  # cut by the right edge: 10 x 5
    classes[90:92, 40] = 2  # a 2-px speck: no particle
    return classes


def test_counts_sizes_and_spacing_of_the_discrete_phase_only():
    classes = precipitates()
    phases = phase_fractions(classes, names=NAMES)
    found = phase_particles(classes, phases, Calibration(0.5, "µm"))
    assert found["name"].tolist() == ["γ′"]  # the matrix is continuous: no particles
    row = found.iloc[0]
    assert row["particles"] == 6 and row["cut by frame"] == 2
    area = (100 * 0.5) ** 2  # µm²
    assert row["per area"] == pytest.approx((4 + 0.5 * 2) / area)
    a_a = (4 * 100 + 2 * 50) / 100**2  # the particles' share: the 2-px speck is none
    assert row["mean area"] == pytest.approx(a_a / row["per area"])
    assert row["mean ECD"] == pytest.approx(np.sqrt(4 * 100 / np.pi) * 0.5)  # whole ones only
    # Interceptions: 10 per square each way, the halves 5 + 10; the speck none.
    n_l = (4 * 20 + 2 * 15) / (2 * 100 * 100 * 0.5)
    assert row["mean free path"] == pytest.approx((1 - a_a) / n_l)
    said = particle_lines(found, "µm")
    assert said == [
        f"γ′: 6 particles ({row['per area']:.3g} per µm², 2 cut by the frame counted one half), "
        f"mean ECD {row['mean ECD']:.3g} µm, mean free path {row['mean free path']:.3g} µm "
        "(ASTM E1245)."
    ]


def test_a_map_of_phases_only_says_its_particles_and_exports_them(tmp_path):
    classes = precipitates()
    found = measure_map(classes, "classes", calibration=Calibration(0.5, "µm"), class_names=NAMES)
    assert found.report is None and found.unit == "µm"
    assert found.lines()[-1].startswith("γ′: 6 particles (")
    path = write_phase_csv({"a": found.phases}, tmp_path / "p.csv", {"a": found.particles}, "µm")
    table = pd.read_csv(path).set_index("phase")
    assert table.loc["γ′", "particles"] == 6 and table.loc["γ′", "particles cut by frame"] == 2
    ecd = found.particles["mean ECD"][0]
    assert table.loc["γ′", "mean particle ECD (µm)"] == pytest.approx(ecd)
    assert np.isnan(table.loc["matrix", "particles per µm²"])  # continuous: none


def test_no_discrete_phase_gives_an_empty_table_and_grains_keep_their_report():
    bands = np.ones((60, 60), np.uint8)
    bands[:, 30:] = 2  # two continuous phases
    phases = phase_fractions(bands, names={1: "ferrite", 2: "pearlite"})
    assert phase_particles(bands, phases).empty
    found = measure_map(bands, "classes", class_names={1: "ferrite", 2: "pearlite"})
    assert found.particles is not None and found.particles.empty
    assert not any("particles" in line for line in found.lines())


def test_long_lengths_read_in_digits_and_a_phase_of_specks_says_nothing():
    row = {"class": 2, "name": "γ′", "particles": 3, "cut by frame": 0, "per area": 1e-6}
    far = pd.DataFrame([row | {"mean ECD": 3.95, "mean free path": 1490.4}])
    assert particle_lines(far, "px") == [
        "γ′: 3 particles (1e-06 per px²), mean ECD 3.95 px, mean free path 1,490 px (ASTM E1245)."
    ]
    specks = pd.DataFrame([row | {"particles": 0, "mean ECD": None, "mean free path": None}])
    assert particle_lines(specks, "px") == []


def test_unclassified_pixels_are_no_specimen_and_a_particle_beside_them_is_cut():
    cut_off = precipitates()
    cut_off[:, 90:] = 0  # a strip not classified: the right-edge half particle goes
    cut_off[45:55, 80:90] = 2  # a particle up against the strip: cut by the field's edge
    row = phase_particles(cut_off, phase_fractions(cut_off, names=NAMES)).iloc[0]
    classified = (cut_off > 0).sum()
    assert row["particles"] == 6 and row["cut by frame"] == 2
    assert row["per area"] == pytest.approx((4 + 0.5 * 2) / classified)
    a_a = (4 * 100 + 50 + 100) / classified  # the particles' pixels: the speck is none
    assert row["mean area"] == pytest.approx(a_a / row["per area"])
    n_l = (4 * 20 + 15 + 20) / (2 * classified)
    assert row["mean free path"] == pytest.approx((1 - a_a) / n_l)
    assert row["mean ECD"] == pytest.approx(np.sqrt(4 * 100 / np.pi))  # the 4 whole ones


def test_a_phase_is_continuous_when_any_of_its_largest_pieces_spans_the_image():
    classes = np.ones((100, 100), np.uint8)
    classes[40:50, 40:50] = 2  # 100 px, labelled first (raster order)...
    classes[:, 95] = 2  # ...and 100 px spanning top to bottom: a band, not particles
    assert phase_particles(classes, phase_fractions(classes, names=NAMES)).empty
    one_row = np.array([[1, 1, 2, 2, 1, 1]], np.uint8)  # one row is no top-to-bottom span
    found = phase_particles(one_row, phase_fractions(one_row, fields=(1, 1)), min_size=1)
    assert found["class"].tolist() == [1, 2]


def test_particle_counts_stay_whole_numbers_beside_a_map_without_them(tmp_path):
    from napari_finetune.measure.export import summary_path, write_grain_csv

    extra = {"a.tif": {"particles γ′": 3, "particles per area γ′": 0.5}, "b.tif": {}}
    write_grain_csv({"a.tif": None, "b.tif": None}, tmp_path / "g.csv", extra=extra)
    text = summary_path(tmp_path / "g.csv").read_text().splitlines()
    assert text[1] == "a.tif,3,0.5" and text[2] == "b.tif,,"
