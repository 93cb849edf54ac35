"""``napari-finetune predict-large``: a TIFF or OME-Zarr band by band into Zarr."""

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
