"""``napari-finetune export`` and ``predict --backend``."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile

import napari_finetune as nf
from napari_finetune import cli

ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("name", ["world-unet", "voronoi-unet"])
def test_export_a_shipped_model_as_onnx(tmp_path, capsys, name):
    out = tmp_path / "models" / "grains.onnx"
    assert cli.main(["export", name, "--output", str(out)]) == 0
    assert f"wrote {out} (onnx" in capsys.readouterr().out
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    model = nf.load_model(name)
    image = nf.voronoi_grains((96, 128), 10, seed=0).image
    got = session.run(None, {"image": model.normalization(image)[None, None]})[0][0]
    np.testing.assert_allclose(got, nf.predict(model, image), atol=1e-4)


def test_export_a_checkpoint_file(tmp_path):
    checkpoint = nf.save_model(nf.load_model("voronoi-unet"), tmp_path / "mine.ckpt")
    out = tmp_path / "mine.onnx"
    assert cli.main(["export", str(checkpoint), "--format", "onnx", "--output", str(out)]) == 0
    assert out.stat().st_size > 100_000


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["voronoi-unet", "--output", "{tmp}/m.pt"], "cannot tell the export format"),
        (["{tmp}/none.ckpt", "--output", "{tmp}/m.onnx"], "none.ckpt does not exist"),
        (["voronoi-unet", "--output", "{tmp}/mine.ckpt", "--format", "onnx"], "already exists"),
        (["{tmp}/mine.ckpt", "--output", "{tmp}/mine.ckpt", "--format", "onnx", "--overwrite"],
         "over its input"),
        (["voronoi-unet", "--output", "{tmp}"], "cannot tell the export format"),
    ],
)  # fmt: skip
def test_bad_exports_are_refused_in_one_line(tmp_path, capsys, args, said):
    (tmp_path / "mine.ckpt").write_bytes(b"the user's model")
    argv = ["export", *(a.format(tmp=tmp_path) for a in args)]
    assert cli.main(argv) == 2
    assert said in capsys.readouterr().err
    assert (tmp_path / "mine.ckpt").read_bytes() == b"the user's model"


def test_a_file_that_is_not_a_model_is_refused(tmp_path, capsys):
    (tmp_path / "notes.ckpt").write_text("not a model")
    assert (
        cli.main(["export", str(tmp_path / "notes.ckpt"), "--output", str(tmp_path / "m.onnx")])
        == 2
    )
    assert "notes.ckpt" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_export_refusals_import_nothing_heavy(tmp_path):
    code = """
import json, sys
from napari_finetune import cli
status = cli.main(["export", "voronoi-unet", "--output", "model.pt"])
print(json.dumps({"status": status, "torch": "torch" in sys.modules}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"status": 2, "torch": False}


def test_predict_backends_agree(tmp_path):
    image = nf.voronoi_grains((128, 160), 12, seed=1).image
    tifffile.imwrite(tmp_path / "grains.tif", image)
    for backend in ("torch", "onnxruntime"):
        out = tmp_path / backend
        argv = [
            "predict",
            str(tmp_path / "grains.tif"),
            "--output",
            str(out),
            "--probabilities",
            "--backend",
            backend,
        ]
        assert cli.main(argv) == 0
    fast = tifffile.imread(tmp_path / "onnxruntime" / "grains_probabilities.tif")
    eager = tifffile.imread(tmp_path / "torch" / "grains_probabilities.tif")
    assert np.abs(fast - eager).max() < 1e-4
