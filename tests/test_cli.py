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
