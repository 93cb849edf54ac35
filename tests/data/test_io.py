"""Reading image and label files: planar RGB, channels, palettes, the SEM data bar."""

import numpy as np
import pytest
import tifffile
from PIL import Image

from napari_finetune.data.calibration import open_calibrated
from napari_finetune.data.io import (
    read_image,
    read_labels,
    read_painted_pair,
    read_specimen,
    write_image,
)
from napari_finetune.data.lazy_tiff import open_tiff_lazily
from napari_finetune.data.normalize import Normalization

# An FEI/Thermo SEM image: 512 rows, the specimen's 448 above a black and white data bar.
FEI_INI = "[Scan]\nPixelWidth=5e-09\n[Image]\nResolutionX=256\nResolutionY=448\n"


def _rgb():
    return np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_planar_rgb_tiffs_are_read_with_colour_last(tmp_path, compression):
    # metadata=None: no recorded shape, as planar RGB from an instrument.
    rgb = _rgb()
    path = tmp_path / "planar.tif"
    planes = np.moveaxis(rgb, -1, 0)
    tifffile.imwrite(
        path,
        planes,
        photometric="rgb",
        planarconfig="separate",
        metadata=None,
        compression=compression,
    )
    np.testing.assert_array_equal(read_image(path), rgb)


@pytest.mark.parametrize("planes", [3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("writer", ["tifffile", "tifffile-zlib", "write_image"])
def test_integer_stacks_of_3_or_4_planes_come_back_as_written(tmp_path, planes, dtype, writer):
    # tifffile stores any (3 | 4, rows, cols) array as planar RGB, shape recorded:
    # a z-stack or a folder run's label stack is no colour image.
    stack = np.random.default_rng(3).integers(0, 4, (planes, 20, 30)).astype(dtype)
    path = tmp_path / "stack.tif"
    if writer == "write_image":
        write_image(path, stack)
    else:
        tifffile.imwrite(path, stack, compression="zlib" if writer.endswith("zlib") else None)
    for read in (read_image, read_labels, open_tiff_lazily):
        np.testing.assert_array_equal(np.asarray(read(path)), stack)
    if writer == "write_image":  # said to be planes, not left to tifffile's colour guess
        with tifffile.TiffFile(path) as tif:
            assert tif.pages[0].photometric == tifffile.PHOTOMETRIC.MINISBLACK


def test_float_arrays_tifffile_stored_as_planar_keep_their_shape(tmp_path):
    # tifffile stores a (3, rows, cols) array as planar RGB: probability maps are such files.
    probabilities = np.random.default_rng(1).random((3, 20, 30)).astype(np.float32)
    tifffile.imwrite(tmp_path / "p.tif", probabilities)
    np.testing.assert_array_equal(read_image(tmp_path / "p.tif"), probabilities)


def test_multichannel_tiffs_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "cells.tif"
    data = np.zeros((3, 20, 30), np.uint16)
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": "CYX"})
    with pytest.raises(ValueError, match=r"cells\.tif has 3 channels"):
        read_image(path)


def test_palette_label_pngs_keep_their_class_indices(tmp_path):
    classes = np.random.default_rng(2).integers(0, 3, (20, 30), dtype=np.uint8)
    picture = Image.fromarray(classes, mode="P")
    picture.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    picture.save(tmp_path / "labels.png")
    np.testing.assert_array_equal(read_labels(tmp_path / "labels.png"), classes)
    Image.fromarray(_rgb()).save(tmp_path / "colour.png")
    with pytest.raises(ValueError, match=r"colour\.png: labels look like a colour image"):
        read_labels(tmp_path / "colour.png")
    tifffile.imwrite(tmp_path / "colour.tif", _rgb(), photometric="rgb")
    with pytest.raises(ValueError, match="save class indices"):
        read_labels(tmp_path / "colour.tif")


def _fei_image(path):
    rng = np.random.default_rng(3)
    image = (100 + 30 * rng.random((512, 256))).astype(np.uint8)
    image[448:] = 0
    image[470:490, 20:200] = 255  # the bar's text
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, FEI_INI, True)])
    return image


def test_sem_images_lose_their_data_bar_as_the_viewer_crops_it(tmp_path):
    path = tmp_path / "fei.tif"
    image = _fei_image(path)
    specimen, bar = read_specimen(path)
    assert bar == 64
    np.testing.assert_array_equal(specimen, image[:448])
    viewed, _ = open_calibrated(path)
    normalized = Normalization()(read_image(path))
    np.testing.assert_array_equal(normalized, Normalization()(viewed))
    assert normalized.min() < 0.01 and normalized.max() > 0.99
    # Labels painted on the whole image lose the bar's rows too; on the specimen they fit.
    for rows in (512, 448):
        tifffile.imwrite(tmp_path / "labels.tif", np.ones((rows, 256), np.uint8))
        pixels, labels = read_painted_pair(path, tmp_path / "labels.tif")
        assert pixels.shape == labels.shape == (448, 256)
