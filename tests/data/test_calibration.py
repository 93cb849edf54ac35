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


def test_an_ome_tiff_gives_its_physical_size(tmp_path):
    path = tmp_path / "optical.ome.tif"
    size = {"PhysicalSizeX": 0.25, "PhysicalSizeXUnit": "µm"}
    size |= {"PhysicalSizeY": 0.25, "PhysicalSizeYUnit": "µm"}
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8), ome=True, metadata=size)
    found = read_instrument_calibration(path)
    assert (found.pixel_size, found.unit, found.data_bar_rows) == (pytest.approx(0.25), "µm", 0)
    assert (found.instrument, found.source) == ("OME-XML", "OME-XML tags")
    # The OME schema makes a missing unit µm; nm stays nm.
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8), ome=True, metadata={"PhysicalSizeX": 2})
    assert read_instrument_calibration(path).unit == "µm"
    nm = {"PhysicalSizeX": 80, "PhysicalSizeXUnit": "nm"}
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8), ome=True, metadata=nm)
    assert (
        read_instrument_calibration(path).pixel_size,
        read_instrument_calibration(path).unit,
    ) == (
        pytest.approx(80),
        "nm",
    )


@pytest.mark.parametrize(
    ("unit", "expected"), [("um", "µm"), ("micron", "µm"), ("\\u00B5m", "µm"), ("nm", "nm")]
)
def test_an_imagej_tiff_gives_its_resolution_in_its_unit(tmp_path, unit, expected):
    path = tmp_path / "fiji.tif"
    image = np.zeros((16, 16), np.uint8)
    tifffile.imwrite(path, image, imagej=True, resolution=(4, 4), metadata={"unit": unit})
    found = read_instrument_calibration(path)
    assert (found.pixel_size, found.unit, found.source) == (
        pytest.approx(0.25),
        expected,
        "ImageJ tags",
    )
    _, opened = open_calibrated(path)
    assert opened == found


def test_non_square_pixels_are_measured_along_x_and_the_source_says_so(tmp_path):
    path = tmp_path / "fiji.tif"
    image = np.zeros((16, 16), np.uint8)
    tifffile.imwrite(path, image, imagej=True, resolution=(4, 2), metadata={"unit": "mm"})
    found = read_instrument_calibration(path)
    assert (found.pixel_size, found.unit, found.y_pixel_size) == (0.25, "mm", 0.5)
    assert found.source == "ImageJ tags (X; Y is 0.5 mm/px)"
    size = {"PhysicalSizeX": 0.2, "PhysicalSizeY": 0.2000001, "PhysicalSizeYUnit": "µm"}
    tifffile.imwrite(tmp_path / "o.ome.tif", image, ome=True, metadata=size)
    assert read_instrument_calibration(tmp_path / "o.ome.tif").source == "OME-XML tags"


@pytest.mark.parametrize(
    ("ome", "imagej"),
    [
        ({"PhysicalSizeX": 0}, None),
        ({"PhysicalSizeX": -0.5, "PhysicalSizeXUnit": "µm"}, None),
        ({"PhysicalSizeX": float("nan")}, None),
        ({"PhysicalSizeX": 1.0, "PhysicalSizeXUnit": "pixel"}, None),
        (None, {"unit": "pixel"}),
        (None, {}),
    ],
)
def test_nonsense_sizes_and_units_leave_the_file_uncalibrated(tmp_path, ome, imagej):
    path = tmp_path / "x.tif"
    image = np.zeros((16, 16), np.uint8)
    if ome is not None:
        tifffile.imwrite(path, image, ome=True, metadata=ome)
    else:
        tifffile.imwrite(path, image, imagej=True, resolution=(4, 4), metadata=imagej)
    assert read_instrument_calibration(path) is None


def test_a_folder_run_names_the_ome_and_imagej_sources(tmp_path):
    from napari_finetune.batch.measurements import image_calibration

    image = np.zeros((16, 16), np.uint8)
    tifffile.imwrite(
        tmp_path / "a.tif", image, imagej=True, resolution=(2, 2), metadata={"unit": "um"}
    )
    found = image_calibration(tmp_path / "a.tif")
    assert (found.calibration.pixel_size, found.calibration.unit) == (0.5, "µm")
    assert found.source == "ImageJ tags"
    tifffile.imwrite(
        tmp_path / "b.tif",
        image,
        ome=True,
        metadata={"PhysicalSizeX": 3, "PhysicalSizeXUnit": "nm"},
    )
    assert image_calibration(tmp_path / "b.tif").source == "OME-XML tags"


def _fei_tiff(path, image):
    """An FEI/Thermo TIFF: 48 imaged rows (FEI_INI), the rest below them the data bar."""
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, FEI_INI, True)])
    return path


def test_an_image_read_whole_from_an_fei_tiff_still_has_its_data_bar(tmp_path):
    from napari_finetune.data.data_bar import data_bar_rows_left

    path = _fei_tiff(tmp_path / "sem.tif", np.zeros((56, 64), np.uint16))
    assert data_bar_rows_left(path, (56, 64)) == 8
    assert data_bar_rows_left(str(path), (56, 64)) == 8
    # Read without its bar (Open SEM TIFF…, the CLI): nothing left to crop.
    assert data_bar_rows_left(path, (48, 64)) == 0
    # Colour: the channels are not rows; a stack of such images is not this file.
    rgb = _fei_tiff(tmp_path / "rgb.tif", np.zeros((56, 64, 3), np.uint8))
    assert data_bar_rows_left(rgb, (56, 64, 3), rgb=True) == 8
    assert data_bar_rows_left(rgb, (48, 64, 3), rgb=True) == 0
    assert data_bar_rows_left(path, (2, 56, 64)) == 0


def test_no_fei_tiff_no_data_bar_and_never_an_error(tmp_path):
    from napari_finetune.data.data_bar import data_bar_rows_left

    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((56, 64), np.uint8))
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    (tmp_path / "sem.png").write_bytes(b"\x89PNG")
    for path in (None, "", tmp_path / "plain.tif", tmp_path / "junk.tif", tmp_path / "gone.tif"):
        assert data_bar_rows_left(path, (56, 64)) == 0
    assert data_bar_rows_left(tmp_path / "sem.png", (56, 64)) == 0
    assert data_bar_rows_left(tmp_path, (56, 64)) == 0  # a folder (a Zarr store...)


def test_the_specimen_crop_of_grey_rgb_and_labels_is_a_copy_without_the_bar():
    from napari_finetune.data.data_bar import specimen_crop

    grey = np.arange(56 * 64, dtype=np.uint16).reshape(56, 64)
    rgb = np.zeros((56, 64, 3), np.uint8)
    labels = np.ones((56, 64), np.int32)
    np.testing.assert_array_equal(specimen_crop(grey, 8), grey[:48])
    assert specimen_crop(rgb, 8).shape == (48, 64, 3)
    cropped = specimen_crop(labels, 8)
    cropped[:] = 7  # painting on the crop never reaches the layer it came from
    assert cropped.shape == (48, 64) and (labels == 1).all()
    with pytest.raises(ValueError, match="leaves nothing"):
        specimen_crop(grey, 56)


def test_the_warning_names_each_image_and_its_bar():
    from napari_finetune.data.data_bar import data_bar_warning

    assert data_bar_warning([]) == ""
    one = data_bar_warning([("sem_001", 64)])
    assert one == (
        "'sem_001' still has its 64-row FEI data bar: the network would learn it and "
        "normalise with it."
    )
    assert data_bar_warning([("a", 64), ("b", 8)]).startswith("'a' (64 rows), 'b' (8 rows) still")
