"""A TIFF is opened once for its pixels and its tags: parsed once, one version of the file."""

import numpy as np
import pytest
import tifffile

from napari_finetune.data.calibration import open_calibrated
from napari_finetune.data.io import read_specimen
from napari_finetune.data.lazy_tiff import memmap_tiff, open_tiff_lazily

# An FEI/Thermo SEM image: 64 rows, the specimen's 48 above the data bar.
FEI_INI = "[Scan]\nPixelWidth=5e-09\n[Image]\nResolutionX=32\nResolutionY=48\n"


def _fei(path, **options):
    image = np.random.default_rng(0).integers(1, 200, (64, 32), dtype=np.uint8)
    image[48:] = 255  # the data bar
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, FEI_INI, True)], **options)
    return image


def test_read_specimen_opens_an_sem_tiff_once_for_its_pixels_and_its_bar(tmp_path, tiff_opens):
    image = _fei(tmp_path / "fei.tif")
    specimen, bar = read_specimen(tmp_path / "fei.tif")
    assert bar == 16
    np.testing.assert_array_equal(specimen, image[:48])
    assert len(tiff_opens) == 1


def test_open_calibrated_opens_the_file_once(tmp_path, tiff_opens):
    image = _fei(tmp_path / "fei.tif")
    cropped, found = open_calibrated(tmp_path / "fei.tif")
    assert (found.pixel_size, found.unit, found.data_bar_rows) == (pytest.approx(5), "nm", 16)
    np.testing.assert_array_equal(cropped, image[:48])
    assert len(tiff_opens) == 1


def test_unreadable_files_are_still_named_by_every_reader(tmp_path):
    (tmp_path / "junk.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(ValueError, match=r"^junk\.tif cannot be read as an image"):
        read_specimen(tmp_path / "junk.tif")
    with pytest.raises(ValueError, match=r"^junk\.tif cannot be read as a TIFF"):
        open_calibrated(tmp_path / "junk.tif")
    channels = np.zeros((2, 20, 30), np.uint16)
    tifffile.imwrite(tmp_path / "two.tif", channels, imagej=True, metadata={"axes": "CYX"})
    for read in (read_specimen, open_calibrated):
        with pytest.raises(ValueError, match=r"^two\.tif has 2 channels"):
            read(tmp_path / "two.tif")


@pytest.mark.parametrize("options", [{}, {"tile": (32, 32), "compression": "zlib"}])
def test_the_lazy_reader_opens_the_file_once_for_axes_pixels_and_tags(
    tmp_path, tiff_opens, options
):
    if options:
        pytest.importorskip("zarr")
    image = _fei(tmp_path / "fei.tif", **options)
    plain = open_tiff_lazily(tmp_path / "fei.tif")
    assert len(tiff_opens) == 1
    from napari_finetune.data.lazy_tiff import open_tiff_lazily_calibrated

    array, found = open_tiff_lazily_calibrated(tmp_path / "fei.tif")
    assert len(tiff_opens) == 2 and found.data_bar_rows == 16
    # Read after the file was closed: the Zarr view reopens it by itself.
    for read in (plain, array):
        np.testing.assert_array_equal(np.asarray(read[40:60, 5:30]), image[40:60, 5:30])
    assert isinstance(array, np.memmap) == (not options)
    if not options:
        assert len(memmap_tiff(tmp_path / "fei.tif")) == 64 and len(tiff_opens) == 3
