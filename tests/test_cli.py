import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from napari_finetune import cli

HEAVY = ("torch", "numpy", "pandas", "skimage", "scipy", "napari")
# Root may write anywhere: chmod cannot make a folder read-only for it.
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def test_generate_writes_images_and_exact_labels(tmp_path, capsys):
    status = cli.main(
        [
            "generate",
            str(tmp_path),
            "--count",
            "2",
            "--size",
            "64",
            "96",
            "--grains",
            "8",
            "--seed",
            "5",
        ]
    )
    assert status == 0
    image = tifffile.imread(tmp_path / "grains_00005_image.tif")
    grains = tifffile.imread(tmp_path / "grains_00006_grains.tif")
    classes = tifffile.imread(tmp_path / "grains_00006_classes.tif")
    assert image.shape == (64, 96) and image.dtype == np.float32
    assert len(np.unique(grains)) == 8
    assert set(np.unique(classes)) == {1, 2}
    assert "[2/2]" in capsys.readouterr().out


def test_bad_parameters_exit_with_a_message(tmp_path, capsys):
    status = cli.main(["generate", str(tmp_path), "--grains", "0"])
    assert status == 2
    assert "n_grains=0 is invalid" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_view_opens_napari_with_widget_and_sample(monkeypatch, make_napari_viewer):
    import napari

    made = []
    # Viewers made through napari's fixture are closed and leak-checked by it.
    monkeypatch.setattr(
        napari, "Viewer", lambda **kw: made.append(make_napari_viewer(**kw)) or made[-1]
    )
    monkeypatch.setattr(napari, "run", lambda: None)
    assert cli.main(["view", "--sample", "equiaxed"]) == 0
    (viewer,) = made
    assert "equiaxed grains" in viewer.layers
    assert any("Synthetic grains" in name for name in viewer.window.dock_widgets)
    assert any("Measure grains" in name for name in viewer.window.dock_widgets)


def test_fit_then_predict_on_files(tmp_path, capsys):
    import napari_finetune as nf
    from napari_finetune.synth.strokes import paint_strokes

    sample = nf.voronoi_grains((96, 96), 8, seed=0)
    tifffile.imwrite(tmp_path / "image.tif", sample.image)
    tifffile.imwrite(tmp_path / "painted.tif", paint_strokes(sample, 3, 3, seed=0))
    model = tmp_path / "model.ckpt"
    assert (
        cli.main(
            [
                "fit",
                "--images",
                str(tmp_path / "image.tif"),
                "--labels",
                str(tmp_path / "painted.tif"),
                "--seconds",
                "3",
                "--suggest",
                "2",
                "--box-size",
                "12",
                "--output",
                str(model),
            ]
        )
        == 0
    )
    assert model.is_file()
    captured = capsys.readouterr()
    said = captured.out
    # The bar never passes 100 % (127.9 % was seen) and ends at exactly 100 %.
    shown = [float(p) for p in re.findall(r"\]\s+([\d.]+)%", captured.err)]
    assert shown and max(shown) <= 100.0 and shown[-1] == 100.0
    assert shown.count(100.0) == 1
    assert "paint next 1:" in said and "paint next 2:" in said and "paint next 3" not in said
    assert (
        cli.main(
            [
                "predict",
                str(tmp_path / "image.tif"),
                "--model",
                str(model),
                "--output",
                str(tmp_path / "out"),
                "--probabilities",
            ]
        )
        == 0
    )
    labels = tifffile.imread(tmp_path / "out" / "image_prediction.tif")
    probabilities = tifffile.imread(tmp_path / "out" / "image_probabilities.tif")
    assert labels.shape == (96, 96) and set(np.unique(labels)) <= {1, 2}
    assert probabilities.shape == (2, 96, 96)


def test_retrain_repeats_a_fit_bit_for_bit(tmp_path, capsys):
    import napari_finetune as nf
    from napari_finetune.synth.strokes import paint_strokes

    sample = nf.voronoi_grains((96, 96), 8, seed=1)
    tifffile.imwrite(tmp_path / "image.tif", sample.image)
    tifffile.imwrite(tmp_path / "painted.tif", paint_strokes(sample, 3, 3, seed=1))
    data = ["--images", str(tmp_path / "image.tif"), "--labels", str(tmp_path / "painted.tif")]
    model = str(tmp_path / "model.ckpt")
    assert cli.main(["fit", *data, "--steps", "3", "--output", model]) == 0
    again = str(tmp_path / "again.ckpt")
    assert cli.main(["retrain", model, *data, "--output", again]) == 0
    assert "identical: the retrained weights equal the recorded ones" in capsys.readouterr().out
    assert (
        nf.load_model(again).provenance[-1]["result"]
        == (nf.load_model(model).provenance[-1]["result"])
    )
    # Other data: refused with the painting named, before any training.
    tifffile.imwrite(tmp_path / "other.tif", paint_strokes(sample, 4, 3, seed=2))
    assert cli.main(["retrain", model, *data[:3], str(tmp_path / "other.tif")]) == 2
    assert "painting 1" in capsys.readouterr().err
    # A model with no training run to repeat.
    shipped = str(tmp_path / "shipped.ckpt")
    nf.save_model(nf.load_model("voronoi-unet"), shipped)
    assert cli.main(["retrain", shipped, *data]) == 2
    assert "no training provenance" in capsys.readouterr().err


def test_fit_with_bad_input_exits_with_a_message(tmp_path, capsys):
    tifffile.imwrite(tmp_path / "image.tif", np.zeros((64, 64), np.float32))
    tifffile.imwrite(tmp_path / "labels.tif", np.zeros((64, 64), np.uint8))
    status = cli.main(
        [
            "fit",
            "--images",
            str(tmp_path / "image.tif"),
            "--labels",
            str(tmp_path / "labels.tif"),
            "--seconds",
            "1",
        ]
    )
    assert status == 2
    assert "no painted pixels" in capsys.readouterr().err
    assert (
        cli.main(["predict", str(tmp_path / "image.tif"), "--model", str(tmp_path / "nope.ckpt")])
        == 2
    )


def test_demo_writes_a_report(tmp_path, capsys):
    from skimage.io import imread

    report = tmp_path / "missing" / "dir" / "report.png"  # folders are made
    assert cli.main(["demo", "--seconds", "4", "--output", str(report)]) == 0
    picture = imread(report)
    assert picture.ndim == 3 and picture.shape[1] > 1000
    assert "boundary F1" in capsys.readouterr().out


def test_measure_writes_a_grain_table_and_a_summary(tmp_path, capsys):
    import pandas as pd

    import napari_finetune as nf

    sample = nf.voronoi_grains((256, 256), 40, seed=4)
    tifffile.imwrite(tmp_path / "a_prediction.tif", sample.classes)  # 1 interior, 2 boundary
    probabilities = np.stack([sample.classes == 1, sample.classes == 2]).astype(np.float32)
    tifffile.imwrite(tmp_path / "b_probabilities.tif", probabilities)
    out = tmp_path / "out" / "grains.csv"
    status = cli.main(
        [
            "measure",
            str(tmp_path / "a_prediction.tif"),
            str(tmp_path / "b_probabilities.tif"),
            "--pixel-size",
            "0.5",
            "--unit",
            "um",
            "--output",
            str(out),
        ]
    )
    assert status == 0
    table = pd.read_csv(out)
    summary = pd.read_csv(tmp_path / "out" / "grains_summary.csv")
    assert set(table["image"]) == {"a_prediction.tif", "b_probabilities.tif"}
    assert (table.groupby("image").size() == 40).all()
    assert "area (µm²)" in table.columns  # --unit um written as the dock and folder runs write it
    assert summary["grains"].tolist() == [40, 40]
    assert summary["G intercept"].notna().all()
    segments = pd.read_csv(tmp_path / "out" / "grains_segments.csv")
    assert {"image", "line", "grain", "length (µm)", "complete"} <= set(segments.columns)
    assert "ASTM E112 G =" in capsys.readouterr().out


def test_measure_reads_a_folder_runs_class_names_and_writes_phase_fractions(tmp_path, capsys):
    import pandas as pd

    classes = np.ones((96, 96), np.uint8)
    classes[:, 40:] = 3
    classes[:, 38:42] = 2
    named = {"napari_finetune": {"classes": {"1": "ferrite", "2": "boundary", "3": "pearlite"}}}
    tifffile.imwrite(tmp_path / "a_prediction.tif", classes, metadata=named)
    out = tmp_path / "out" / "grains.csv"
    assert cli.main(["measure", str(tmp_path / "a_prediction.tif"), "--output", str(out)]) == 0
    summary = pd.read_csv(tmp_path / "out" / "grains_summary.csv").iloc[0]
    assert summary["fraction ferrite"] == pytest.approx(40 / 96)
    assert "fraction boundary" not in summary.index
    assert "Phase area fractions: ferrite 41.7 %" in capsys.readouterr().out
    # A folder run's probabilities name their classes too, and are measured as probabilities.
    probabilities = np.stack([classes == k for k in (1, 2, 3)]).astype(np.float32)
    tifffile.imwrite(tmp_path / "a_probabilities.tif", probabilities, metadata=named)
    out = tmp_path / "out2" / "grains.csv"
    assert cli.main(["measure", str(tmp_path / "a_probabilities.tif"), "--output", str(out)]) == 0
    summary = pd.read_csv(tmp_path / "out2" / "grains_summary.csv").iloc[0]
    assert summary["fraction pearlite"] == pytest.approx(56 / 96)


def test_measure_writes_the_fractions_of_a_map_of_phases_only(tmp_path, capsys):
    """A superalloy's phase map (no class is a boundary) gets its row, alone or beside grains.

    It was refused alone ("no map has grains to write") and left out of the summary
    beside a map with grains.
    """
    import pandas as pd

    import napari_finetune as nf

    phases = np.ones((96, 96), np.uint8)  # matrix with round secondary γ′ and small tertiary
    yy, xx = np.mgrid[:96, :96]
    for cy, cx in ((24, 24), (24, 72), (72, 48)):
        phases[(yy - cy) ** 2 + (xx - cx) ** 2 < 15**2] = 2
    phases[(yy % 12 == 6) & (xx % 12 == 6) & (phases == 1)] = 3
    named = {"napari_finetune": {"classes": {"1": "matrix", "2": "γ′", "3": "fine γ′"}}}
    tifffile.imwrite(tmp_path / "alloy_prediction.tif", phases, metadata=named)
    out = tmp_path / "grains.csv"
    assert cli.main(["measure", str(tmp_path / "alloy_prediction.tif"), "--output", str(out)]) == 0
    said = capsys.readouterr().out
    assert "no map has a boundary class, so no grains: the phase fractions are in" in said
    row = pd.read_csv(tmp_path / "grains_summary.csv").iloc[0]
    assert row["image"] == "alloy_prediction.tif"
    assert row["fraction γ′"] == pytest.approx((phases == 2).mean())
    assert row["fraction fine γ′"] == pytest.approx((phases == 3).mean())
    assert row["warnings"] == "no class is a boundary: grain size not measured."
    assert pd.read_csv(out).empty  # no grains to list
    # The discrete phases' particles (ASTM E1245): three discs of γ′, none of the fine
    # phase's one-pixel dots (specks); the matrix is continuous.
    assert row["particles γ′"] == 3 and row["particles fine γ′"] == 0
    assert row["particles per area γ′"] == pytest.approx(3 / 96**2)
    assert row["length unit"] == "px" and "particles matrix" not in row.index
    # Beside a map with grains, each gets its row.
    sample = nf.voronoi_grains((96, 96), 9, seed=1)
    tifffile.imwrite(tmp_path / "steel.tif", sample.boundaries)
    maps = [str(tmp_path / "steel.tif"), str(tmp_path / "alloy_prediction.tif")]
    both = tmp_path / "both.csv"
    assert cli.main(["measure", *maps, "--output", str(both)]) == 0
    summary = pd.read_csv(tmp_path / "both_summary.csv")
    assert summary["image"].tolist() == ["steel.tif", "alloy_prediction.tif"]
    assert summary["grains"].iloc[0] == 9 and np.isnan(summary["grains"].iloc[1])
    assert np.isnan(summary["fraction γ′"].iloc[0])
    assert summary["fraction γ′"].iloc[1] == pytest.approx((phases == 2).mean())
    assert set(pd.read_csv(both)["image"]) == {"steel.tif"}


def test_measure_without_pixel_size_says_lengths_are_in_px(tmp_path, capsys):
    import napari_finetune as nf

    sample = nf.voronoi_grains((128, 128), 12, seed=4)
    tifffile.imwrite(tmp_path / "b.tif", sample.boundaries)
    assert cli.main(["measure", str(tmp_path / "b.tif"), "--output", str(tmp_path / "g.csv")]) == 0
    assert "No pixel size" in capsys.readouterr().out
    assert cli.main(["measure", str(tmp_path / "missing.tif")]) == 2
    assert "does not exist" in capsys.readouterr().err
    # The table is there now: refused without --overwrite, replaced with it.
    before = (tmp_path / "g.csv").read_bytes()
    (tmp_path / "g.csv").write_text("old")
    assert cli.main(["measure", str(tmp_path / "b.tif"), "--output", str(tmp_path / "g.csv")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "g.csv").read_text() == "old"
    again = ["measure", str(tmp_path / "b.tif"), "--output", str(tmp_path / "g.csv")]
    assert cli.main([*again, "--overwrite"]) == 0
    assert (tmp_path / "g.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b.tif",
        "g.csv",
        "g_segments.csv",
        "g_summary.csv",
    ]


# -- start-up: the parser and refusals import nothing heavy ------------------------


def test_parser_and_refusals_leave_heavy_libraries_unimported(tmp_path):
    code = f"""
import json, sys
import napari_finetune, napari_finetune.cli
napari_finetune.cli.build_parser()
try:
    napari_finetune.cli.main(["--help"])
except SystemExit:
    pass
status = napari_finetune.cli.main(["fit", "--images", "nope.tif", "--labels", "nope.tif"])
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"status": status, "loaded": loaded, "version": napari_finetune.__version__}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["loaded"] == []
    assert said["status"] == 2
    assert said["version"]
    assert "--images nope.tif does not exist." in done.stderr


# -- checks before work ---------------------------------------------------------------


class WorkStarted(Exception):
    """Raised where a job would start its real work: its checks all passed."""


@pytest.fixture
def no_work(monkeypatch):
    """Replace the first heavy step of every job by raising WorkStarted."""
    import napari_finetune.measure
    import napari_finetune.models.registry
    import napari_finetune.training.pretrain
    from napari_finetune.session import LabellingSession

    def started(*args, **kwargs):
        raise WorkStarted

    monkeypatch.setattr(LabellingSession, "train_round", started)
    monkeypatch.setattr(napari_finetune.models.registry, "load_model", started)
    monkeypatch.setattr(napari_finetune.measure, "measure_map", started)
    monkeypatch.setattr(napari_finetune.training.pretrain, "pretrain", started)


@pytest.fixture
def inputs(tmp_path):
    """An image and painted labels on disk (contents do not matter before work)."""
    tifffile.imwrite(tmp_path / "image.tif", np.zeros((32, 32), np.float32))
    tifffile.imwrite(tmp_path / "painted.tif", np.ones((32, 32), np.uint8))
    return tmp_path


def job(name, output, folder):
    """Command line of job ``name`` writing ``output``, reading files in ``folder``."""
    reads = {
        "fit": ["--images", str(folder / "image.tif"), "--labels", str(folder / "painted.tif")],
        "predict": [str(folder / "image.tif")],
        "measure": [str(folder / "painted.tif")],
        "demo": [],
        "pretrain": [],
    }[name]
    return [name, *reads, *([] if output is None else ["--output", str(output)])]


JOBS_WITH_FILE_OUTPUT = ("fit", "measure", "demo", "pretrain")


@pytest.mark.parametrize("name", [*JOBS_WITH_FILE_OUTPUT, "predict"])
def test_the_checks_let_a_good_job_start(name, inputs, no_work):
    out = "report.png" if name == "demo" else "out.file"  # demo writes a picture
    with pytest.raises(WorkStarted):
        cli.main(job(name, inputs / "new" / "dir" / out, inputs))


@pytest.mark.parametrize("name", JOBS_WITH_FILE_OUTPUT)
def test_an_output_that_is_a_folder_is_refused_before_work(name, inputs, no_work, capsys):
    (inputs / "folder").mkdir()
    assert cli.main(job(name, inputs / "folder", inputs)) == 2
    assert "is a folder: give a file name inside it." in capsys.readouterr().err


@pytest.mark.parametrize("name", [*JOBS_WITH_FILE_OUTPUT, "predict"])
def test_an_output_below_a_file_is_refused_before_work(name, inputs, no_work, capsys):
    (inputs / "notes.txt").write_text("keep")
    assert cli.main(job(name, inputs / "notes.txt" / "out.file", inputs)) == 2
    err = capsys.readouterr().err
    assert "notes.txt is a file, not a folder." in err and err.count("\n") == 1
    assert (inputs / "notes.txt").read_text() == "keep"


def test_a_predict_output_folder_that_is_a_file_is_refused(inputs, no_work, capsys):
    (inputs / "predictions").write_text("")
    assert cli.main(job("predict", inputs / "predictions", inputs)) == 2
    assert "--output" in (err := capsys.readouterr().err) and "is a file, not a folder" in err


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only folders")
@pytest.mark.parametrize("name", [*JOBS_WITH_FILE_OUTPUT, "predict"])
def test_an_output_in_a_read_only_folder_is_refused_before_work(name, inputs, no_work, capsys):
    locked = inputs / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert cli.main(job(name, locked / "out.file", inputs)) == 2
    finally:
        locked.chmod(0o755)
    assert "locked is not writable." in capsys.readouterr().err


@pytest.mark.parametrize("name", JOBS_WITH_FILE_OUTPUT)
def test_an_existing_default_output_is_kept_unless_overwrite(
    name, inputs, no_work, monkeypatch, capsys
):
    monkeypatch.chdir(inputs)
    default = cli.build_parser().parse_args(job(name, None, inputs)).output
    if name == "pretrain":  # named by the job after the model it makes (--world or not)
        assert default is None
        default = Path("voronoi-unet.ckpt")
    assert not default.is_absolute()  # e.g. ./model.ckpt for fit
    default.write_text("an earlier result")
    assert cli.main(job(name, None, inputs)) == 2
    err = capsys.readouterr().err
    assert f"--output {default} already exists: give --overwrite" in err
    assert default.read_text() == "an earlier result"
    with pytest.raises(WorkStarted):
        cli.main([*job(name, None, inputs), "--overwrite"])


def test_measure_refuses_a_unit_that_is_not_a_length_before_any_work(inputs, no_work, capsys):
    for unit in ("UM", "inch", "px"):
        line = [*job("measure", inputs / "grains.csv", inputs), "--pixel-size", "0.2"]
        assert cli.main([*line, "--unit", unit]) == 2
        assert f"unit '{unit}' is not a length unit: use um, nm or mm" in capsys.readouterr().err
    assert cli.main([*line, "--unit", "nm", "--pixel-size", "0"]) == 2  # 0 is not "no size"
    assert "the pixel size must be a positive length" in capsys.readouterr().err
    with pytest.raises(WorkStarted):
        cli.main([*line, "--unit", "nm"])


def test_measure_refuses_an_existing_summary_too(inputs, no_work, capsys):
    (inputs / "grains_summary.csv").write_text("old")
    assert cli.main(job("measure", inputs / "grains.csv", inputs)) == 2
    assert "summary file" in capsys.readouterr().err
    with pytest.raises(WorkStarted):
        cli.main([*job("measure", inputs / "grains.csv", inputs), "--overwrite"])


def test_fit_never_writes_its_model_over_an_input(inputs, no_work, capsys):
    args = job("fit", inputs / "painted.tif", inputs)
    assert cli.main([*args, "--overwrite"]) == 2
    assert "would write" in capsys.readouterr().err


def test_predict_never_writes_over_its_input_images(inputs, no_work, capsys):
    # image.tif's labels would go to image_prediction.tif, which is also an input.
    tifffile.imwrite(inputs / "image_prediction.tif", np.full((32, 32), 7, np.uint8))
    images = [str(inputs / "image_prediction.tif"), str(inputs / "image.tif")]
    assert cli.main(["predict", *images, "--output", str(inputs), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "is the folder of the input" in err and err.count("\n") == 1
    assert (tifffile.imread(inputs / "image_prediction.tif") == 7).all()
    # The same file under another name (a hard link) in another output folder.
    (inputs / "out").mkdir()
    os.link(inputs / "image.tif", inputs / "out" / "image_prediction.tif")
    images = [str(inputs / "image.tif")]
    assert cli.main(["predict", *images, "--output", str(inputs / "out"), "--overwrite"]) == 2
    assert "over its input" in capsys.readouterr().err


def test_predict_refuses_two_images_with_one_output_name(inputs, no_work, capsys):
    (inputs / "other").mkdir()
    tifffile.imwrite(inputs / "other" / "image.tif", np.zeros((32, 32), np.float32))
    images = [str(inputs / "image.tif"), str(inputs / "other" / "image.tif")]
    assert cli.main(["predict", *images, "--output", str(inputs / "out")]) == 2
    assert "would both write image_prediction.tif" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (
            ["fit", "--images", "{d}/image.tif", "--labels", "{d}/nope.tif"],
            "--labels {d}/nope.tif",
        ),
        (["fit", "--images", "{d}/nope.tif", "--labels", "{d}/painted.tif"], "--images {d}/nope"),
        (["predict", "{d}/image.tif", "{d}/nope.tif"], "{d}/nope.tif does not exist"),
        (["predict", "{d}/*.png"], "the pattern {d}/*.png matches no images"),
        (["measure", "{d}/nope.tif"], "map {d}/nope.tif does not exist"),
    ],
)
def test_missing_inputs_are_named_before_work(argv, named, inputs, no_work, capsys):
    assert cli.main([arg.format(d=inputs) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert named.format(d=inputs) in err and err.count("\n") == 1


def test_generate_keeps_existing_files_unless_overwrite(tmp_path, capsys):
    line = ["generate", str(tmp_path), "--count", "2", "--size", "48", "48", "--grains", "6"]
    earlier = tmp_path / "grains_00001_classes.tif"
    earlier.write_text("an earlier labelling")
    assert cli.main(line) == 2
    err = capsys.readouterr().err
    assert "1 of the files to write already exist" in err and "grains_00001_classes.tif" in err
    assert earlier.read_text() == "an earlier labelling"
    assert not (tmp_path / "grains_00000_image.tif").exists()  # refused before any writing
    assert cli.main([*line, "--overwrite"]) == 0
    assert tifffile.imread(earlier).shape == (48, 48)


def test_measure_keeps_both_maps_of_the_same_name(tmp_path, capsys):
    import pandas as pd

    import napari_finetune as nf

    maps = []
    for folder, grains in (("A", 12), ("B", 20)):
        (tmp_path / folder).mkdir()
        maps.append(tmp_path / folder / "p_prediction.tif")
        tifffile.imwrite(maps[-1], nf.voronoi_grains((128, 128), grains, seed=3).classes)
    out = tmp_path / "grains.csv"
    assert cli.main(["measure", *map(str, maps), "--output", str(out)]) == 0
    summary = pd.read_csv(tmp_path / "grains_summary.csv")
    assert summary["image"].tolist() == [str(m) for m in maps]
    assert summary["grains"].tolist() == [12, 20]
    twice = ["measure", str(maps[0]), str(maps[0]), "--output", str(out), "--overwrite"]
    assert cli.main(twice) == 2
    assert "is given twice" in capsys.readouterr().err


@pytest.mark.parametrize("minutes", ["0", "-1", "nan"])
def test_pretrain_refuses_minutes_that_are_not_a_positive_number(
    minutes, no_work, tmp_path, capsys
):
    out = tmp_path / "m.ckpt"
    assert cli.main(["pretrain", "--minutes", minutes, "--output", str(out)]) == 2
    assert "--minutes must be a positive number" in capsys.readouterr().err


def test_pretrain_core_refuses_minutes_that_are_not_a_positive_number():
    from napari_finetune.training.pretrain import pretrain

    with pytest.raises(ValueError, match="minutes must be a positive number"):
        next(pretrain(minutes=0.0))


def test_demo_refuses_a_report_name_that_is_no_picture_before_training(no_work, tmp_path, capsys):
    assert cli.main(["demo", "--output", str(tmp_path / "report.ckpt")]) == 2
    assert "report.ckpt: .ckpt is not a picture format" in capsys.readouterr().err
    with pytest.raises(WorkStarted):
        cli.main(["demo", "--output", str(tmp_path / "report.pdf")])


def test_a_report_without_suffix_in_a_dotted_folder_is_a_png():
    from napari_finetune.choices import report_format

    assert report_format("runs.v2/report") == report_format("../results/report") == "png"
    assert report_format("out/report.PDF") == "pdf"


@pytest.mark.parametrize(("flag", "weight"), [([], 1.0), (["--no-seek-rare-class"], 0.0)])
def test_fit_suggests_seeking_a_thin_class_unless_told_not_to(tmp_path, monkeypatch, flag, weight):
    from napari_finetune.session import LabellingSession

    asked = []

    def train_round(self, options):
        asked.append(options.suggestions)
        raise KeyboardInterrupt  # what the options were is all this test needs

    monkeypatch.setattr(LabellingSession, "train_round", train_round)
    tifffile.imwrite(tmp_path / "image.tif", np.zeros((32, 32), np.float32))
    tifffile.imwrite(tmp_path / "painted.tif", np.eye(32, dtype=np.uint8))
    arguments = ["fit", "--images", str(tmp_path / "image.tif")]
    arguments += ["--labels", str(tmp_path / "painted.tif"), "--suggest", "2", *flag]
    with pytest.raises(KeyboardInterrupt):
        cli.main([*arguments, "--output", str(tmp_path / "model.ckpt")])
    (options,) = asked
    assert options.thin_class_weight == weight


def test_measure_gives_a_plane_it_cannot_measure_a_row_saying_why_and_goes_on(tmp_path, capsys):
    # A stack segmented elsewhere, its middle plane never segmented (all 0): the job
    # stopped there before, writing nothing of the planes it had measured.
    import pandas as pd

    import napari_finetune as nf

    samples = [nf.voronoi_grains((96, 96), n, seed=n) for n in (6, 9)]
    planes = [np.where(s.boundaries == 1, 2, 1) for s in samples]
    # The first plane fails: its row, built first, must not put its columns first.
    stack = np.stack([np.zeros_like(planes[0]), planes[0], planes[1]]).astype(np.uint8)
    tifffile.imwrite(tmp_path / "sections.tif", stack, photometric="minisblack")
    out = tmp_path / "grains.csv"
    args = ["measure", str(tmp_path / "sections.tif"), "--kind", "classes", "--output"]
    assert cli.main([*args, str(out)]) == 0
    said = capsys.readouterr().out
    assert "[1/1] sections.tif plane 0: not measured: the map holds one value only (0)" in said
    assert "1 plane(s) not measured, each a row saying why" in said
    summary = pd.read_csv(tmp_path / "grains_summary.csv")
    assert summary["plane"].tolist() == [0, 1, 2]
    assert summary["grains"].iloc[[1, 2]].tolist() == [6, 9]
    assert np.isnan(summary["grains"].iloc[0])
    assert summary["warnings"].iloc[0].startswith("not measured: the map holds one value only")
    # Measured planes say their own warnings, as a folder run's rows; the column comes last.
    assert "ASTM E112 asks for at least 50" in summary["warnings"].iloc[1]
    assert summary.columns[-1] == "warnings" and summary.columns[1] == "grains"
    grains = pd.read_csv(out)
    assert set(grains["image"]) == {"sections.tif plane 1", "sections.tif plane 2"}
    # No plane measured: refused with the first one's reason, nothing written.
    tifffile.imwrite(tmp_path / "blank.tif", np.zeros((2, 96, 96), np.uint8))
    blank = ["measure", str(tmp_path / "blank.tif"), "--kind", "classes", "--output"]
    assert cli.main([*blank, str(tmp_path / "blank.csv")]) == 2
    error = capsys.readouterr().err
    assert "nothing to write: 2 plane(s) not measured (blank.tif plane 0: the map" in (error)
    assert not (tmp_path / "blank.csv").exists()
    # One 2D map that cannot be measured still stops the job, naming it.
    tifffile.imwrite(tmp_path / "one.tif", np.zeros((96, 96), np.uint8))
    one = ["measure", str(tmp_path / "one.tif"), "--kind", "classes", "--output"]
    assert cli.main([*one, str(tmp_path / "one.csv")]) == 2
    assert "one.tif: the map holds one value only (0)" in capsys.readouterr().err


def test_measure_takes_a_folder_runs_stack_plane_by_plane(tmp_path, capsys, monkeypatch):
    # A FIB-SEM run's labels (planes, rows, cols) were refused: "not one 2D image".
    import pandas as pd

    import napari_finetune as nf
    from napari_finetune.data import io

    # Read a plane at a time (a deep stack's probabilities may be larger than memory).
    monkeypatch.setattr(io, "read_image", lambda *a, **k: pytest.fail("read whole"))

    samples = [nf.voronoi_grains((96, 96), n, seed=n) for n in (6, 9)]
    stack = np.stack([np.where(s.boundaries == 1, 2, 1) for s in samples]).astype(np.uint8)
    named = {"napari_finetune": {"classes": {"1": "grain", "2": "boundary"}}}
    tifffile.imwrite(
        tmp_path / "run_prediction.tif", stack, photometric="minisblack", metadata=named
    )
    out = tmp_path / "out" / "grains.csv"
    assert cli.main(["measure", str(tmp_path / "run_prediction.tif"), "--output", str(out)]) == 0
    said = capsys.readouterr().out
    assert (
        "[1/1] run_prediction.tif plane 0:" in said and "[1/1] run_prediction.tif plane 1:" in said
    )
    summary = pd.read_csv(tmp_path / "out" / "grains_summary.csv")
    assert summary["image"].tolist() == [
        "run_prediction.tif plane 0",
        "run_prediction.tif plane 1",
    ]
    assert summary["grains"].tolist() == [6, 9] and summary["plane"].tolist() == [0, 1]
    # Its probabilities (K, planes, rows, cols) as a folder run writes them: the same.
    probabilities = np.stack([stack == k for k in (1, 2)]).astype(np.float32)
    tifffile.imwrite(
        tmp_path / "run_probabilities.tif", probabilities, photometric="minisblack", metadata=named
    )
    out = tmp_path / "out2" / "grains.csv"
    assert (
        cli.main(["measure", str(tmp_path / "run_probabilities.tif"), "--output", str(out)]) == 0
    )
    assert pd.read_csv(tmp_path / "out2" / "grains_summary.csv")["grains"].tolist() == [6, 9]
