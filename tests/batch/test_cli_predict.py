import json
import subprocess
import sys

import numpy as np
import tifffile

from napari_finetune import cli

HEAVY = ("torch", "numpy", "pandas", "skimage", "scipy", "napari")


def test_a_folder_and_a_glob_end_to_end(folder, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["predict", str(folder), "--output", str(out), "--probabilities"]
    assert cli.main(argv) == 0
    said = capsys.readouterr().out
    assert "predicting 3 of 3 images" in said
    assert f"[1/3] a.tif → {out / 'a_prediction.tif'} (+ probabilities) (" in said
    assert "3 done in" in said and "file   status" in said
    assert tifffile.imread(out / "c_probabilities.tif").shape == (2, 64, 64)
    # Again, with a pattern: everything is already done.
    assert cli.main(["predict", f"{folder}/*.tif", "--output", str(out)]) == 0
    assert "nothing to predict: all 3 images" in capsys.readouterr().out


def test_a_corrupt_file_is_reported_and_the_rest_done(folder, tmp_path, capsys, write_corrupt):
    write_corrupt(folder / "b.tif")
    assert cli.main(["predict", str(folder), "--output", str(tmp_path / "out")]) == 1
    said = capsys.readouterr().out
    assert "[2/3] b.tif FAILED: b.tif holds no image data" in said
    assert "[3/3] c.tif → " in said and "2 done, 1 failed" in said
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a_prediction.tif",
        "c_prediction.tif",
    ]


def test_refusals_exit_2_before_work(folder, tmp_path, capsys):
    assert cli.main(["predict", str(folder), "--output", str(folder)]) == 2
    assert "is the folder of the input" in capsys.readouterr().err
    tifffile.imwrite(folder / "a.png", np.zeros((32, 32), np.uint8))
    assert cli.main(["predict", str(folder), "--output", str(tmp_path / "out")]) == 2
    assert "would both write a_prediction.tif" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_refused_folder_loads_no_heavy_module(tmp_path):
    (tmp_path / "empty").mkdir()
    code = f"""
import json, sys
import napari_finetune.cli
status = napari_finetune.cli.main(["predict", "empty", "--output", "out"])
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"status": status, "loaded": loaded}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {"status": 2, "loaded": []}
    assert "empty holds no images" in done.stderr


def test_ctrl_c_keeps_complete_files_and_a_rerun_resumes(folder, tmp_path, monkeypatch, capsys):
    from napari_finetune.batch import file_prediction

    real = file_prediction.predict
    calls = []

    def interrupted_on_the_second(model, image, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(model, image, **kwargs)

    monkeypatch.setattr(file_prediction, "predict", interrupted_on_the_second)
    out = tmp_path / "out"
    assert cli.main(["predict", str(folder), "--output", str(out)]) == 130
    assert "run the same command again" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["a_prediction.tif"]
    monkeypatch.setattr(file_prediction, "predict", real)
    assert cli.main(["predict", str(folder), "--output", str(out)]) == 0
    assert "predicting 2 of 3 images" in capsys.readouterr().out


def test_measure_writes_the_grain_tables_and_says_where(folder, tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "out"
    argv = ["predict", str(folder), "--output", str(out), "--measure", "--pixel-size", "0.5"]
    assert cli.main(argv) == 0
    said = capsys.readouterr().out
    assert f"[1/3] a.tif → {out / 'a_prediction.tif'} (+ grains) (" in said
    assert f"grain measurements, one row per image or plane: {out / 'measurements.csv'}" in said
    assert "grain measurements in measurements.csv; ASTM E112 G = " in said
    assert said.rstrip().endswith("by the planimetric method over 3 images")  # grain_size.csv
    assert list(pd.read_csv(out / "grain_size.csv")["images"]) == [3, 3]
    rows = pd.read_csv(out / "measurements.csv")
    assert list(rows["file"]) == ["a.tif", "b.tif", "c.tif"]
    assert set(rows["calibration"]) == {"given for the run"} and set(rows["pixel size"]) == {0.5}
    assert set(rows["length unit"]) == {"µm"} and rows["G planimetric"].notna().all()
    assert (out / "b_grains.csv").is_file()
    # A pixel size alone asks for nothing to measure: refused before any work.
    again = ["predict", str(folder), "--output", str(tmp_path / "o2"), "--pixel-size", "0.5"]
    assert cli.main(again) == 2
    assert "--pixel-size is for measuring grains: add --measure" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()


def test_ctrl_c_with_measure_leaves_the_table_so_far(folder, tmp_path, monkeypatch, capsys):
    from napari_finetune.batch import file_prediction

    real = file_prediction.predict
    calls = []

    def interrupted_on_the_second(model, image, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(model, image, **kwargs)

    monkeypatch.setattr(file_prediction, "predict", interrupted_on_the_second)
    out = tmp_path / "out"
    assert cli.main(["predict", str(folder), "--output", str(out), "--measure"]) == 130
    assert f"measurements so far: {out / 'measurements.csv'}" in capsys.readouterr().err
    lines = (out / "measurements.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("a.tif,")


def test_average_views_says_how_many_and_writes_their_mean(folder, tmp_path, capsys, model):
    from dataclasses import replace

    import napari_finetune as nf
    from napari_finetune.augment import AugmentationPipeline
    from napari_finetune.models import save_model

    pipeline = AugmentationPipeline.from_preset("equiaxed").to_yaml()
    checkpoint = save_model(replace(model, augmentation=pipeline), tmp_path / "m.ckpt")
    out = tmp_path / "out"
    argv = ["predict", str(folder), "--output", str(out), "--model", str(checkpoint)]
    assert cli.main([*argv, "--probabilities", "--average-views"]) == 0
    said = capsys.readouterr().out
    assert "averaged over 8 views (the flips and turns the model trained with)" in said
    trained = nf.load_model(checkpoint)
    image = tifffile.imread(folder / "b.tif")
    np.testing.assert_allclose(
        tifffile.imread(out / "b_probabilities.tif"),
        nf.predict(trained, image, average_views=True),
        atol=1e-6,
    )
    # the shipped model trained with no flips: one view, and said so
    again = ["predict", str(folder), "--output", str(tmp_path / "o2"), "--average-views"]
    assert cli.main(again) == 0
    assert (
        "one view: the model records no flips or turns from its training"
        in capsys.readouterr().out
    )


def test_another_model_over_done_outputs_exits_2_until_overwrite(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["predict", str(folder), "--output", str(out)]) == 0
    first = (out / "a_prediction.tif").read_bytes()
    capsys.readouterr()
    again = ["predict", str(folder), "--output", str(out), "--model", "voronoi-unet"]
    assert cli.main(again) == 2
    said = capsys.readouterr().err
    assert "the outputs of all 3 images" in said and "model 'world-unet'" in said
    assert "this run: model 'voronoi-unet'" in said and "--overwrite" in said
    assert (out / "a_prediction.tif").read_bytes() == first
    assert cli.main([*again, "--overwrite"]) == 0
    assert (out / "a_prediction.tif").read_bytes() != first
