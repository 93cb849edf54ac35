"""Folder runs with ``measure=True``: grain CSVs per image, measurements.csv, resume, failures."""

import numpy as np
import pandas as pd
import pytest
import tifffile

import napari_finetune as nf
from napari_finetune.batch import FileDone, FileFailed, plan_predictions, predict_files
from napari_finetune.batch.measurement_table import TABLE_COLUMNS, write_measurement_table
from napari_finetune.batch.measurements import measure_prediction
from napari_finetune.batch.planning import measurement_paths
from napari_finetune.measure import Calibration, measure_grains
from napari_finetune.measure.export import segments_path, summary_path
from napari_finetune.measure.phases import phase_fractions

# An FEI/Thermo SEM's tags: 0.2 µm pixels, and a data bar under the first 160 rows.
FEI_INI = "[Scan]\nPixelWidth=2e-07\n[Image]\nResolutionY={rows}\n"
BAR = 24


def write_fei(path, image, specimen_rows):
    ini = FEI_INI.format(rows=specimen_rows)
    tifffile.imwrite(path, image, photometric="minisblack", extratags=[(34682, "s", 0, ini, True)])
    return path


def exact_probabilities(sample, classes=2):
    """Probabilities that are the sample's exact labels: interior 1, boundary 2 (one-hot).

    With ``classes=3`` the odd grains' interior is class 3: a second phase.
    """
    boundary = sample.boundaries.astype(bool)
    label = np.where(boundary, 2, 1)
    if classes == 3:
        label[~boundary & (sample.grains % 2 == 1)] = 3
    return np.stack([(label == c) for c in range(1, classes + 1)]).astype(np.float32)


def table(out):
    return pd.read_csv(out / "measurements.csv")


def test_the_grain_csvs_of_exact_probabilities_match_the_exact_grains(tmp_path):
    sample = nf.voronoi_grains((160, 160), 30, seed=2)
    probs = exact_probabilities(sample)
    # The data bar holds a fine grid of "boundaries": measured, it would add many grains.
    bar = np.zeros((2, BAR, 160), np.float32)
    bar[1, ::4], bar[1, :, ::4] = 1, 1
    bar[0] = 1 - bar[1]
    image = write_fei(tmp_path / "a.tif", np.zeros((160 + BAR, 160), np.uint8), 160)
    plan = plan_predictions(image, tmp_path / "out", measure=True)

    assert measure_prediction(np.concatenate([probs, bar], axis=1), image, plan) == ""

    truth = measure_grains(sample.grains, Calibration(200, "nm"))
    grains_csv, summary, segments = measurement_paths(image, tmp_path / "out")
    # Named as the Measure grains dock names a table's companions.
    assert (summary, segments) == (summary_path(grains_csv), segments_path(grains_csv))
    row = pd.read_csv(summary).iloc[0]
    assert row["grains"] == len(truth.table) == 30
    assert row["G planimetric"] == pytest.approx(truth.planimetric.g, abs=0.05)
    assert row["G intercept"] == pytest.approx(truth.intercept.g, abs=0.1)
    assert row["G planimetric 95% low"] < row["G planimetric"] < row["G planimetric 95% high"]
    assert (row["calibration"], row["data bar rows"], row["length unit"]) == (
        "FEI/Thermo tags",
        BAR,
        "nm",
    )
    per_grain = pd.read_csv(grains_csv)
    assert len(per_grain) == 30 and set(per_grain["image"]) == {"a.tif"}
    assert {"area (nm²)", "ecd (nm)", "border"} <= set(per_grain.columns)
    assert row["mean grain area"] == pytest.approx(per_grain["area (nm²)"].mean())


def test_three_classes_give_a_fraction_per_class(tmp_path):
    sample = nf.voronoi_grains((128, 128), 20, seed=4)
    probs = exact_probabilities(sample, classes=3)
    image = tmp_path / "a.tif"
    tifffile.imwrite(image, sample.image)
    plan = plan_predictions(image, tmp_path / "out", measure=True)
    names = {1: "ferrite", 2: "boundary", 3: "pearlite"}
    measure_prediction(probs, image, plan, names)

    row = pd.read_csv(write_measurement_table(plan)).iloc[0]
    # The boundary is no phase: its pixels went to the nearest one.
    assert "fraction boundary" not in row.index
    assert row["fraction ferrite"] + row["fraction pearlite"] == pytest.approx(1.0)
    expected = phase_fractions(probs.argmax(0) + 1, thin={2}, names=names).set_index("name")
    assert row["fraction pearlite"] == pytest.approx(expected.loc["pearlite", "fraction"])
    assert row["fraction pearlite"] > probs[2].mean()  # it got its share of the boundary
    assert row["fraction pearlite 95% CI"] == pytest.approx(expected.loc["pearlite", "ci95"])
    assert row["calibration"] == "none: lengths in px" and np.isnan(row["G planimetric"])


def test_a_folder_run_measures_every_image_close_to_its_exact_grains(tmp_path, model):
    images = tmp_path / "images"
    images.mkdir()
    samples = {
        name: nf.voronoi_grains((192, 192), 30, seed=seed) for seed, name in enumerate("ab")
    }
    bar = np.zeros((BAR, 192), np.float32)
    write_fei(images / "a.tif", np.concatenate([samples["a"].image, bar]), 192)
    tifffile.imwrite(images / "b.tif", samples["b"].image)  # no tags: px
    out = tmp_path / "out"

    events = list(predict_files(model, images, out, measure=True))

    done = [e for e in events if isinstance(e, FileDone)]
    assert [e.outputs[1:] for e in done] == [measurement_paths(images / n, out) for n in "ab"]
    assert all(path.is_file() for e in done for path in e.outputs)
    summary = events[-1].summary
    assert summary.measurements == out / "measurements.csv"
    assert summary.line().endswith("grain measurements in measurements.csv")
    assert f"one row per image or plane: {out / 'measurements.csv'}" in summary.table()
    rows = table(out).set_index("file")
    assert list(table(out).columns) == list(TABLE_COLUMNS)
    assert list(rows.index) == ["a.tif", "b.tif"]
    a, b = rows.loc["a.tif"], rows.loc["b.tif"]
    truth = measure_grains(samples["a"].grains, Calibration(200, "nm"))
    assert abs(a["grains"] - len(truth.table)) <= 3
    assert a["G planimetric"] == pytest.approx(truth.planimetric.g, abs=0.3)
    assert a["G intercept"] == pytest.approx(truth.intercept.g, abs=0.3)
    assert (a["calibration"], a["data bar rows"], a["area unit"]) == (
        "FEI/Thermo tags",
        BAR,
        "nm²",
    )
    assert abs(b["grains"] - samples["b"].grains.max()) <= 3
    assert (b["calibration"], b["length unit"]) == ("none: lengths in px", "px")
    assert np.isnan(b["G planimetric"]) and "No pixel size" in b["warnings"]


def test_a_resumed_run_skips_measured_images_and_its_table_has_every_row(folder, tmp_path, model):
    out = tmp_path / "out"
    list(predict_files(model, folder, out, measure=True))
    first = table(out)
    a_grains = out / "a_grains.csv"
    before = a_grains.stat().st_mtime_ns
    (out / "c_grains_summary.csv").unlink()  # c counts as done only with all its outputs
    tifffile.imwrite(folder / "d.tif", nf.voronoi_grains((64, 64), 8, seed=9).image)

    events = list(predict_files(model, folder, out, measure=True))

    assert (events[0].to_do, events[0].skipped) == (2, 2)
    assert [e.path.name for e in events if isinstance(e, FileDone)] == ["c.tif", "d.tif"]
    assert a_grains.stat().st_mtime_ns == before
    again = table(out)
    assert list(again["file"]) == ["a.tif", "b.tif", "c.tif", "d.tif"]
    pd.testing.assert_frame_equal(again.iloc[:3], first)


def test_images_without_grains_or_data_do_not_stop_the_run(folder, tmp_path, model, write_corrupt):
    tifffile.imwrite(folder / "a.tif", np.zeros((64, 64), np.float32))  # no grains
    write_corrupt(folder / "b.tif")
    tifffile.imwrite(folder / "stack.tif", np.zeros((2, 64, 64), np.float32))
    out = tmp_path / "out"

    events = list(predict_files(model, folder, out, measure=True))

    said = {e.path.name: e.message for e in events if isinstance(e, FileDone | FileFailed)}
    assert said["a.tif"].startswith("No grain boundaries found")
    assert said["b.tif"].startswith("b.tif holds no image data")
    assert said["c.tif"] == ""
    # A stack is measured plane by plane: a row each, and its note counts them.
    assert said["stack.tif"].startswith("2 of 2 planes: No grain boundaries found")
    rows = table(out).set_index("file")
    assert list(rows.index) == ["a.tif", "b.tif", "c.tif", "stack.tif", "stack.tif"]
    assert rows.loc["a.tif", "grains"] <= 1
    assert rows.loc["b.tif", "warnings"].startswith("not measured: the prediction failed: b.tif")
    assert rows.loc["c.tif", "grains"] > 1
    assert rows.loc["stack.tif", "plane"].tolist() == [0, 1]
    assert (rows.loc["stack.tif", "grains"] <= 1).all()
    # Done is done: only the unreadable image is tried again.
    again = list(predict_files(model, folder, out, measure=True))
    assert (again[0].to_do, again[0].skipped) == (1, 3)
    assert len(table(out)) == 5


def test_stop_writes_the_table_of_the_images_done(folder, tmp_path, model):
    out = tmp_path / "out"
    events = predict_files(model, folder, out, measure=True, calibration=(0.2, "um"))
    for event in events:
        if isinstance(event, FileDone) and event.path.name == "b.tif":
            events.close()
    assert list(table(out)["file"]) == ["a.tif", "b.tif"]
    sizes = pd.read_csv(out / "grain_size.csv")  # over the two images done
    assert list(sizes["images"]) == [2, 2]


def test_a_calibrated_folder_gets_g_over_its_images_as_e112_fields(folder, tmp_path, model):
    out = tmp_path / "out"
    events = list(predict_files(model, folder, out, measure=True, calibration=(0.2, "um")))
    summary = events[-1].summary
    sizes = pd.read_csv(out / "grain_size.csv").set_index("method")
    assert list(sizes.index) == ["intercept", "planimetric"]
    assert (sizes["images"] == 3).all() and (sizes["%RA"] > 0).all()
    rows = table(out)
    # G of the mean intercept: between the images' own G numbers
    assert rows["G intercept"].min() < sizes.loc["intercept", "G"] < rows["G intercept"].max()
    low, high = sizes.loc["intercept", ["G 95% low", "G 95% high"]]
    assert low < sizes.loc["intercept", "G"] < high
    assert f"ASTM E112 G = {sizes.loc['intercept', 'G']:.2f} (95% CI" in summary.line()
    assert "by the planimetric method over 3 images" in summary.line()
    assert "ASTM E112, each image or plane a field: G = " in summary.table()
    # Run again without a pixel size: no G anywhere, and the old file goes
    list(predict_files(model, folder, out, measure=True, overwrite=True))
    assert not (out / "grain_size.csv").exists()


def test_a_stacks_planes_are_fields_of_the_runs_g_beside_the_images(folder, tmp_path, model):
    planes = [tifffile.imread(folder / name) for name in ("a.tif", "b.tif")]
    tifffile.imwrite(folder / "stack.tif", np.stack(planes), photometric="minisblack")
    out = tmp_path / "out"
    events = list(predict_files(model, folder, out, measure=True, calibration=(0.2, "um")))
    rows = table(out)
    assert rows["file"].tolist() == ["a.tif", "b.tif", "c.tif", "stack.tif", "stack.tif"]
    # Each plane measured as the image it was cut from.
    assert rows["grains"].tolist()[3:] == rows["grains"].tolist()[:2]
    sizes = pd.read_csv(out / "grain_size.csv")
    assert (sizes["images"] == 5).all()
    assert "by the intercept method over 5 fields" in events[-1].summary.line()


def test_plans_name_the_csvs_and_refuse_a_bad_pixel_size(folder, tmp_path):
    out = tmp_path / "out"
    plan = plan_predictions(folder, out, probabilities=True, measure=True)
    assert [p.name for p in plan.files[0].outputs] == [
        "a_prediction.tif",
        "a_probabilities.tif",
        "a_grains.csv",
        "a_grains_summary.csv",
        "a_grains_segments.csv",
    ]
    assert plan.measurements_csv == out / "measurements.csv"
    assert plan.grain_size_csv == out / "grain_size.csv"
    assert plan_predictions(folder, out).measurements_csv is None
    assert plan_predictions(folder, out, measure=True, calibration=(0.5, "um")).calibration == (
        0.5,
        "µm",
    )
    for calibration, said in [
        ((0.5, "inch"), "not a length unit"),
        ((0.0, "nm"), "positive"),
        (("0.5", "um"), r"positive length \(a number\), not '0.5'"),  # was a TypeError
        ((None, "um"), "positive length"),
        ((float("inf"), "um"), "positive length"),
        ((0.5, ["um"]), "not a length unit"),
        ((0.5,), r"must be \(pixel size, unit\)"),
    ]:
        with pytest.raises(ValueError, match=said):
            plan_predictions(folder, out, measure=True, calibration=calibration)
    with pytest.raises(ValueError, match="ask for measurements too"):
        plan_predictions(folder, out, calibration=(0.5, "nm"))


def test_phase_fractions_over_a_folders_images_as_fields(tmp_path):
    from scipy import stats

    from napari_finetune.batch.measurement_table import write_phase_fractions

    names = {1: "ferrite", 2: "boundary", 3: "pearlite"}
    out = tmp_path / "out"
    images = []
    for seed in range(3):
        sample = nf.voronoi_grains((128, 128), 20, seed=seed)
        image = tmp_path / f"{seed}.tif"
        tifffile.imwrite(image, sample.image)
        images.append(image)
    plan = plan_predictions(images, out, measure=True)
    for seed, image in enumerate(images):
        probs = exact_probabilities(nf.voronoi_grains((128, 128), 20, seed=seed), classes=3)
        measure_prediction(probs, image, plan, names)
    rows = pd.read_csv(write_measurement_table(plan))
    fractions = write_phase_fractions(plan, rows)
    written = pd.read_csv(out / "phase_fractions.csv").set_index("phase")
    assert list(written.index) == ["ferrite", "pearlite"]  # the boundary is no phase
    pearlite = rows["fraction pearlite"].to_numpy()
    half = stats.t.ppf(0.975, 2) * pearlite.std(ddof=1) / np.sqrt(3)
    assert written.loc["pearlite", "area fraction"] == pytest.approx(pearlite.mean())
    assert written.loc["pearlite", "95% high"] == pytest.approx(min(pearlite.mean() + half, 1))
    assert written.loc["pearlite", "%RA"] == pytest.approx(100 * half / pearlite.mean())
    assert (written["images"] == 3).all()
    said = fractions[1].describe()
    assert said.startswith(f"pearlite {100 * pearlite.mean():.1f} % (95% CI ")
    assert said.endswith("over 3 images")
    # One image is one field: no specimen table (and an old one goes).
    single = plan_predictions(images[:1], out, measure=True, overwrite=True)
    assert write_phase_fractions(single, rows.iloc[:1]) == []
    assert not (out / "phase_fractions.csv").exists()


def test_a_folder_of_phase_maps_gets_each_discrete_phases_particles(tmp_path):
    """measurements.csv: the γ′ particles of each image (ASTM E1245), not the matrix's."""
    names = {1: "matrix", 2: "γ′"}
    out, images, maps = tmp_path / "out", [], []
    yy, xx = np.mgrid[:96, :96]
    for n in (2, 3):  # n discs of γ′ in each image
        classes = np.ones((96, 96), np.uint8)
        for k in range(n):
            classes[(yy - 20 - 25 * k) ** 2 + (xx - 48) ** 2 < 8**2] = 2
        image = tmp_path / f"{n}.tif"
        tifffile.imwrite(image, classes.astype(np.float32))
        images.append(image)
        maps.append(classes)
    plan = plan_predictions(images, out, measure=True, calibration=(0.5, "um"))
    for image, classes in zip(images, maps, strict=True):
        said = measure_prediction(classes, image, plan, names, kind="classes")
        assert said == "no class is a boundary: grain size not measured"
    table = pd.read_csv(write_measurement_table(plan))
    assert table["particles γ′"].tolist() == [2, 3] and "particles matrix" not in table
    assert table["particles per area γ′"].tolist() == pytest.approx([2 / 48**2, 3 / 48**2])
    assert (table["length unit"] == "µm").all() and (table["area unit"] == "µm²").all()
    assert str(table["particles γ′"].dtype) == "int64"  # counts, not 2.0
    columns = list(table.columns)
    assert columns.index("fraction γ′ 95% CI") < columns.index("particles γ′")
    assert columns.index("mean free path γ′") < columns.index("pixel size")
    # Over the images as fields (E1245): N_A and λ with their 95 % intervals.
    from napari_finetune.measure.specimen_phases import specimen_fractions

    written = pd.read_csv(out / "phase_fractions.csv").set_index("phase")
    assert written.loc["γ′", "particles per area"] == pytest.approx(2.5 / 48**2)
    free = table["mean free path γ′"]
    assert written.loc["γ′", "mean free path"] == pytest.approx(free.mean())
    assert written.loc["γ′", "length unit"] == "µm"
    assert np.isnan(written.loc["matrix", "mean free path"])  # continuous: no particles
    said = [f.describe() for f in specimen_fractions(table)][1]
    assert " particles per µm², mean free path " in said and said.endswith("µm over 2 images")
    # Fields in other units are not averaged together.
    mixed = table.assign(**{"length unit": ["µm", "px"]})
    assert specimen_fractions(mixed)[1].per_area is None


def test_a_stack_is_measured_plane_by_plane_each_plane_a_field(tmp_path, monkeypatch):
    # A FIB-SEM or serial-section stack was "not measured" (a map of shape (K, planes, ...)
    # is no 2D image): each plane is a section, measured on its own, a row of the table.
    from napari_finetune.batch import plane_measurements

    samples = [nf.voronoi_grains((128, 128), n, seed=n) for n in (12, 20, 30)]
    probs = np.stack([exact_probabilities(s) for s in samples], axis=1)  # (K, planes, ...)
    stack = write_fei(tmp_path / "run.tif", np.stack([s.image for s in samples]), 128)
    single = tmp_path / "b.tif"
    tifffile.imwrite(single, samples[0].image)
    plan = plan_predictions([stack, single], tmp_path / "out", measure=True)
    assert measure_prediction(probs, stack, plan) == ""
    assert measure_prediction(probs[:, 0], single, plan) == ""

    written = pd.read_csv(write_measurement_table(plan))
    assert list(written.columns[:2]) == ["file", "plane"]  # only when a stack is among them
    assert written["file"].tolist() == ["run.tif"] * 3 + ["b.tif"]
    assert written["plane"].tolist()[:3] == [0, 1, 2] and np.isnan(written["plane"][3])
    assert written["grains"].tolist() == [12, 20, 30, 12]
    assert (written["length unit"][:3] == "nm").all()  # the stack's tags calibrate each plane
    per_grain = pd.read_csv(measurement_paths(stack, tmp_path / "out")[0])
    assert per_grain["image"].value_counts().to_dict() == {
        "run.tif plane 0": 12,
        "run.tif plane 1": 20,
        "run.tif plane 2": 30,
    }
    # Each plane a field: G over the specimen counts the stack's three calibrated planes
    # (b.tif has no pixel size, so no G), not one image.
    sizes = pd.read_csv(plan.grain_size_csv)
    assert sizes["method"].tolist() == ["intercept", "planimetric"]
    assert sizes["images"].tolist() == [3, 3]

    # The labels alone (a run that keeps no probabilities) give the same numbers.
    labels = (probs.argmax(0) + 1).astype(np.uint8)
    assert measure_prediction(labels, stack, plan, kind="classes") == ""
    assert pd.read_csv(write_measurement_table(plan))["grains"].tolist() == [12, 20, 30, 12]

    # A plane that cannot be measured is said; the others keep their numbers.
    calls = []
    real = plane_measurements.measure_map

    def second_fails(data, kind, *options):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("a test failure")
        return real(data, kind, *options)

    monkeypatch.setattr(plane_measurements, "measure_map", second_fails)
    assert measure_prediction(probs, stack, plan) == "1 of 3 planes: not measured: a test failure"
    rows = pd.read_csv(write_measurement_table(plan))
    assert rows["grains"].isna().tolist() == [False, True, False, False]
    assert rows["warnings"][1] == "not measured: a test failure"


def test_a_reason_without_words_is_named_by_its_kind():
    from napari_finetune.measure.measuring import not_measured

    assert not_measured(MemoryError()) == "not measured: MemoryError"
    assert not_measured(ValueError("too small")) == "not measured: too small"
