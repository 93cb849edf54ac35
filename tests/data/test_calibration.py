import numpy as np
import pytest
import tifffile

from napari_finetune.data.calibration import (
    crop_data_bar,
    open_calibrated,
    read_instrument_calibration,
)

FEI_INI = (
    "[User]\nDate=01/01/2026\n[Scan]\nPixelWidth=2.5e-09\nPixelHeight=2.5e-09\n"
    "[Image]\nResolutionX=64\nResolutionY=48\n"
)


def test_fei_tags_give_the_pixel_size_and_the_data_bar(tmp_path):
    image = np.arange(56 * 64, dtype=np.uint16).reshape(56, 64)
    path = tmp_path / "fei.tif"
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, FEI_INI, True)])
    found = read_instrument_calibration(path)
    assert (found.pixel_size, found.unit, found.data_bar_rows) == (pytest.approx(2.5), "nm", 8)
    cropped, _ = open_calibrated(path)
    np.testing.assert_array_equal(cropped, image[:48])


def test_zeiss_tags_give_the_pixel_size(tmp_path):
    # Zeiss writes Latin-1 text (µ is byte 0xB5), so the tag is stored as bytes.
    text = "\r\n".join(["", "AP_IMAGE_PIXEL_SIZE", "Image Pixel Size = 1.25 µm", ""])
    data = text.encode("latin-1")
    path = tmp_path / "zeiss.tif"
    tags = [(34118, "B", len(data), data, True)]
    tifffile.imwrite(path, np.zeros((32, 32), np.uint8), extratags=tags)
    found = read_instrument_calibration(path)
    assert (found.pixel_size, found.unit, found.instrument) == (pytest.approx(1.25), "µm", "Zeiss")


def test_plain_tiffs_have_no_calibration_and_bad_files_say_so(tmp_path):
    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((8, 8), np.uint8))
    assert read_instrument_calibration(tmp_path / "plain.tif") is None
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    with pytest.raises(ValueError, match=r"junk\.tif cannot be read"):
        read_instrument_calibration(tmp_path / "junk.tif")
    with pytest.raises(ValueError, match="leaves nothing"):
        crop_data_bar(np.zeros((4, 4)), 4)
