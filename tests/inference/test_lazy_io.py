"""The source of a larger-than-memory prediction: an SEM TIFF's data bar sets no percentile."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.lazy import predict_lazy
from napari_finetune.inference.lazy_io import open_source

zarr = pytest.importorskip("zarr")
tifffile = pytest.importorskip("tifffile")


def test_the_specimen_alone_sets_the_normalisation_of_an_sem_tiff(tmp_path):
    specimen = nf.voronoi_grains((200, 160), 12, seed=4).image
    image = np.vstack([specimen, np.zeros((40, 160), specimen.dtype)])
    image[-20:-10, 10:120] = 10 * specimen.max()  # the data bar's white text
    ini = "[Scan]\nPixelWidth=5e-09\n[Image]\nResolutionY=200\n"
    path = tmp_path / "fei.tif"
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, ini, True)])
    assert open_source(path).data_bar_rows == 40
    model = nf.load_model("voronoi-unet")
    predict_lazy(model, path, tmp_path / "out.zarr")
    store = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    used = store.attrs["napari_finetune"]["normalization"]
    low, high = np.percentile(specimen, (model.normalization.low, model.normalization.high))
    assert used["low_values"] == [pytest.approx(low)]
    assert used["high_values"] == [pytest.approx(high)]
    assert store["labels"].shape == image.shape  # the output covers the file


@pytest.mark.parametrize("options", [{}, {"tile": (32, 32), "compression": "zlib"}])
def test_an_sem_tiff_source_is_opened_once_for_its_pixels_and_its_data_bar(
    tmp_path, tiff_opens, options
):
    image = np.zeros((64, 32), np.uint8)
    ini = "[Scan]\nPixelWidth=5e-09\n[Image]\nResolutionY=48\n"
    path = tmp_path / "fei.tif"
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, ini, True)], **options)
    tiff_opens.clear()  # the file written: only reads count
    source = open_source(path)
    # Axes, pixels and tags from one parse: not three (a network share, many pages).
    assert (source.data_bar_rows, source.array.shape, len(tiff_opens)) == (16, (64, 32), 1)
