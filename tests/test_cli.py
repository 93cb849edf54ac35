import numpy as np
import tifffile

from napari_finetune import cli


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
    said = capsys.readouterr().out
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
            ]
        )
        == 0
    )
    labels = tifffile.imread(tmp_path / "out" / "image_labels.tif")
    probabilities = tifffile.imread(tmp_path / "out" / "image_probabilities.tif")
    assert labels.shape == (96, 96) and set(np.unique(labels)) <= {1, 2}
    assert probabilities.shape == (2, 96, 96)


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

    report = tmp_path / "report.png"
    assert cli.main(["demo", "--seconds", "4", "--output", str(report)]) == 0
    picture = imread(report)
    assert picture.ndim == 3 and picture.shape[1] > 1000
    assert "boundary F1" in capsys.readouterr().out


def test_measure_writes_a_grain_table_and_a_summary(tmp_path, capsys):
    import pandas as pd

    import napari_finetune as nf

    sample = nf.voronoi_grains((256, 256), 40, seed=4)
    tifffile.imwrite(tmp_path / "a_labels.tif", sample.classes)  # 1 interior, 2 boundary
    probabilities = np.stack([sample.classes == 1, sample.classes == 2]).astype(np.float32)
    tifffile.imwrite(tmp_path / "b_probabilities.tif", probabilities)
    out = tmp_path / "out" / "grains.csv"
    status = cli.main(
        [
            "measure",
            str(tmp_path / "a_labels.tif"),
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
    assert set(table["image"]) == {"a_labels.tif", "b_probabilities.tif"}
    assert (table.groupby("image").size() == 40).all()
    assert "area (um²)" in table.columns
    assert summary["grains"].tolist() == [40, 40]
    assert summary["G intercept"].notna().all()
    segments = pd.read_csv(tmp_path / "out" / "grains_segments.csv")
    assert {"image", "line", "grain", "length (um)", "complete"} <= set(segments.columns)
    assert "ASTM E112 G =" in capsys.readouterr().out


def test_measure_without_pixel_size_says_lengths_are_in_px(tmp_path, capsys):
    import napari_finetune as nf

    sample = nf.voronoi_grains((128, 128), 12, seed=4)
    tifffile.imwrite(tmp_path / "b.tif", sample.boundaries)
    assert cli.main(["measure", str(tmp_path / "b.tif"), "--output", str(tmp_path / "g.csv")]) == 0
    assert "No pixel size" in capsys.readouterr().out
    assert cli.main(["measure", str(tmp_path / "missing.tif")]) == 2
    assert "does not exist" in capsys.readouterr().err
