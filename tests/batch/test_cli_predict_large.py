"""``napari-finetune predict-large``: a TIFF or OME-Zarr band by band (a stack plane by plane)."""

import numpy as np
import pytest
import tifffile

import napari_finetune as nf
from napari_finetune import cli

zarr = pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def grains():
    return nf.voronoi_grains((600, 520), 40, seed=4).image


def test_a_compressed_tiff_gives_the_labels_predict_gives(tmp_path, grains, capsys):
    source = tmp_path / "mosaic.tif"
    tifffile.imwrite(source, (grains * 255).astype(np.uint8), tile=(128, 128), compression="zlib")
    out = tmp_path / "mosaic_prediction.zarr"
    assert cli.main(["predict-large", str(source), "--output", str(out), "--uncertainty"]) == 0
    said = capsys.readouterr().out
    assert "rows 600 of 600 (100 %, done)" in said and f"wrote {out}" in said
    store = zarr.open(str(out), mode="r")
    model = nf.load_model("world-unet")  # the default
    expected = nf.predict(model, tifffile.imread(source))
    labels = np.argmax(expected, axis=0) + 1
    assert np.mean(store["labels"][:] == labels) > 0.999
    assert store.attrs["napari_finetune"]["complete"] is True
    assert np.isfinite(store["uncertainty"][:]).all()


def test_a_tiff_stack_goes_plane_by_plane(tmp_path, grains, capsys):
    # A FIB-SEM run saved as one multi-page TIFF: refused before, now plane by plane.
    stack = np.stack([grains, grains[::-1], grains[:, ::-1]])
    source = tmp_path / "run.tif"
    tifffile.imwrite(source, (stack * 255).astype(np.uint8), photometric="minisblack")
    out = tmp_path / "run_prediction.zarr"
    assert cli.main(["predict-large", str(source), "--output", str(out), "--uncertainty"]) == 0
    said = capsys.readouterr().out
    assert "planes 1 of 3 (33 %" in said and "planes 3 of 3 (100 %, done)" in said
    # Within a plane its bands say how far it is (a mosaic's plane takes minutes).
    assert "plane 1 of 3: rows 88 of 600 (5 %" in said and "plane 3 of 3: rows 88" in said
    assert f"wrote {out}: 3 planes of 600 × 520 px" in said
    store = zarr.open(str(out), mode="r")
    model = nf.load_model("world-unet")
    for z, plane in enumerate(tifffile.imread(source)):
        labels = np.argmax(nf.predict(model, plane), axis=0) + 1
        np.testing.assert_array_equal(store["labels"][z], labels)
    assert store["uncertainty"].shape == (3, 600, 520)
    assert store.attrs["napari_finetune"]["planes_done"] == 3


def test_refusals_come_before_any_work(tmp_path, grains, capsys):
    tifffile.imwrite(tmp_path / "a.tif", grains)
    (tmp_path / "taken.zarr").mkdir()
    cases = [
        (["a.tif"], "--output is needed for a.tif"),
        (["a.tif", "--output", "taken.zarr"], "taken.zarr exists"),
        (["missing.tif", "--output", "m.zarr"], "does not exist"),
        (["a.tif", "--output", "c.zarr", "--device", "cuda"], "device 'cuda' was asked for"),
    ]
    for args, message in cases:
        paths = [str(tmp_path / a) if a.endswith((".tif", ".zarr")) else a for a in args]
        assert cli.main(["predict-large", *paths]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "c.zarr").exists()
