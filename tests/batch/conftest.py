"""Small image folders for the folder-run tests: 64 × 64 synthetic grains."""

import numpy as np
import pytest
import tifffile

import napari_finetune as nf


def _grains_image(seed, shape=(64, 64)):
    return nf.voronoi_grains(shape, 8, seed=seed).image


@pytest.fixture
def grains_image():
    """``grains_image(seed, shape=(64, 64))``: a small synthetic micrograph (float32)."""
    return _grains_image


@pytest.fixture
def folder(tmp_path):
    """A folder of three grey TIFF images, a.tif b.tif c.tif."""
    images = tmp_path / "images"
    images.mkdir()
    for seed, name in enumerate("abc"):
        tifffile.imwrite(images / f"{name}.tif", _grains_image(seed))
    return images


@pytest.fixture(scope="session")
def model():
    """The shipped model (loaded once)."""
    return nf.load_model("voronoi-unet")


@pytest.fixture
def write_corrupt():
    """``write_corrupt(path)``: a file named like a TIFF that holds no image."""

    def write(path):
        path.write_bytes(b"II*\x00 this is not really a TIFF")
        return path

    return write


@pytest.fixture
def write_rgb():
    """``write_rgb(path)``: a colour image ``(rows, cols, 3)`` uint8."""

    def write(path, seed=7):
        grey = _grains_image(seed)
        scaled = (255 * (grey - grey.min()) / np.ptp(grey)).astype(np.uint8)
        tifffile.imwrite(path, np.repeat(scaled[..., None], 3, -1), photometric="rgb")
        return path

    return write
