"""Phase fractions of one map to files: the per-phase CSV, the PNG page, the bars."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from skimage.io import imread

from napari_finetune.measure import measure_map
from napari_finetune.measure.measuring import percent
from napari_finetune.measure.phase_export import (
    draw_phase_fractions,
    phase_colours,
    specimen_frame,
    write_phase_csv,
    write_phase_report,
)
from napari_finetune.measure.phases import phase_fractions


def alloy() -> np.ndarray:
    """Matrix (1) with a band of γ′ (2) filling a third, more on the right (uneven fields)."""
    classes = np.ones((90, 90), np.uint8)
    classes[:, 50:80] = 2
    classes[:10, :10] = 0  # unclassified: out of every fraction
    return classes


def test_the_csv_has_a_row_per_image_and_phase_with_its_interval(tmp_path):
    classes = alloy()
    fractions = phase_fractions(classes, names={1: "matrix", 2: "γ′"})
    one_field = phase_fractions(classes, fields=(1, 1), names={1: "matrix", 2: "γ′"})
    path = write_phase_csv({"a.tif": fractions, "b.tif": one_field}, tmp_path / "p.csv")
    table = pd.read_csv(path)
    assert table[["image", "phase", "class"]].values.tolist() == [
        ["a.tif", "matrix", 1],
        ["a.tif", "γ′", 2],
        ["b.tif", "matrix", 1],
        ["b.tif", "γ′", 2],
    ]
    classified = (classes > 0).sum()
    assert table["area fraction"].iloc[1] == pytest.approx((classes == 2).sum() / classified)
    # The interval's ends, clipped to [0, 1]; one field has none.
    half = fractions["ci95"].iloc[1]
    high = min(table["area fraction"].iloc[1] + half, 1)
    assert table["95% high"].iloc[1] == pytest.approx(high)
    assert table["95% low"].iloc[0] >= 0 and table["95% high"].iloc[0] <= 1
    assert table["fields"].tolist() == [9, 9, 1, 1]
    assert table[["95% low", "95% high", "%RA"]].iloc[2:].isna().all().all()


def test_the_csv_refuses_nothing_and_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="no phase fractions"):
        write_phase_csv({}, tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists()
    old = tmp_path / "p.csv"
    old.write_text("old")

    def half_then_fail(frame, path, **kwargs):
        Path(path).write_text("image,pha")  # the disk fills up mid-way
        raise OSError("No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        write_phase_csv({"a": phase_fractions(alloy())}, old)
    assert old.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]  # no partial file left


def test_the_bars_are_the_fractions_in_the_given_colours_and_a_palette_else():
    fractions = phase_fractions(alloy(), names={1: "matrix", 2: "γ′"})
    ax = Figure().add_subplot()
    draw_phase_fractions(ax, fractions, {2: (1.0, 0.0, 0.0, 0.5)})
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == pytest.approx(100 * fractions["fraction"].to_numpy())
    assert ax.patches[1].get_facecolor() == (1.0, 0.0, 0.0, 1.0)  # opaque, as given
    assert ax.patches[0].get_facecolor() != ax.patches[1].get_facecolor()
    assert phase_colours(fractions)[1] != phase_colours(fractions)[2]
    # A class its layer hides (show selected: transparent) gets the palette's, not black.
    hidden = phase_colours(fractions, {2: (0.0, 0.0, 0.0, 0.0)})
    assert hidden[2] == phase_colours(fractions)[2]


def test_the_report_draws_the_map_in_its_colours_over_the_image(tmp_path):
    classes = alloy()
    fractions = phase_fractions(classes, names={1: "matrix", 2: "γ′"})
    green = {2: (0.0, 1.0, 0.0, 1.0), 1: (0.0, 0.0, 1.0, 1.0)}
    path = write_phase_report(tmp_path / "r.png", None, classes, fractions, ["line"], green)
    page = imread(path)[..., :3].astype(int)
    assert page.shape[0] > 300 and page.shape[1] > 800
    pure_green = (page[..., 1] > 200) & (page[..., 0] < 60) & (page[..., 2] < 60)
    assert pure_green.sum() > 2_000  # the γ′ band and its bar
    image = np.random.default_rng(0).random((90, 90))
    over = write_phase_report(tmp_path / "o.png", image, classes, fractions, [], green)
    assert imread(over).shape == imread(path).shape


def test_a_rare_phase_reads_its_share_not_zero():
    fractions = (0.3476, 0.01, 0.0099, 0.00996, 0.00015, 0.0, 6e-8)
    assert [percent(f) for f in fractions] == [
        "34.8",
        "1.0",
        "0.99",
        "1.0",  # not 1.00, nor 0.99 % for what rounds to 1.0
        "0.015",
        "0.0",
        "0.0000060",  # one pixel of 16 Mpx: never 6e-06
    ]
    classes = alloy()
    classes[40, 5:8] = 3  # 3 px of a fine phase among 8,000 classified
    found = measure_map(classes, "classes", class_names={1: "matrix", 2: "γ′", 3: "fine γ′"})
    assert found.report is None and "fine γ′ 0.037 % ± 0.085 (" in found.lines()[-1]
    ax = Figure().add_subplot()
    draw_phase_fractions(ax, found.phases)
    assert "0.037 %" in [t.get_text() for t in ax.texts]


def test_fractions_over_fields_take_their_class_from_the_models_names():
    from napari_finetune.measure.astm import field_statistic
    from napari_finetune.measure.specimen_phases import SpecimenFraction

    over = [
        SpecimenFraction("γ′", field_statistic([0.3, 0.4, 0.5])),
        SpecimenFraction("unnamed", field_statistic([0.1, 0.1])),
        SpecimenFraction("class 5", field_statistic([0.2, 0.2])),
    ]
    frame = specimen_frame(over, {1: "matrix", 3: "γ′"})
    assert frame["class"].tolist() == [3, 2, 5]  # by name, else its place or 'class N'
    assert frame["fraction"].tolist() == pytest.approx([0.4, 0.1, 0.2])
    assert frame["fields"].tolist() == [3, 2, 2]
    ax = Figure().add_subplot()
    draw_phase_fractions(ax, frame, {3: (0.0, 1.0, 0.0, 1.0)})
    assert ax.patches[0].get_facecolor() == (0.0, 1.0, 0.0, 1.0)
