"""TIFFs read only where sliced: memory maps, or tifffile's Zarr view of tiles."""

import numpy as np
import pytest
import tifffile

from napari_finetune.data.lazy_tiff import is_tiff, open_tiff_lazily


@pytest.fixture
def pixels():
    return np.random.default_rng(0).integers(0, 255, (300, 200), dtype=np.uint8)


def test_an_uncompressed_tiff_is_memory_mapped(tmp_path, pixels):
    tifffile.imwrite(tmp_path / "a.tif", pixels)
    array = open_tiff_lazily(tmp_path / "a.tif")
    assert isinstance(array, np.memmap)
    np.testing.assert_array_equal(array[100:150, 20:40], pixels[100:150, 20:40])


def test_a_compressed_tiled_tiff_is_read_tile_by_tile(tmp_path, pixels):
    zarr = pytest.importorskip("zarr")
    tifffile.imwrite(tmp_path / "b.tif", pixels, tile=(64, 64), compression="zlib")
    array = open_tiff_lazily(tmp_path / "b.tif")
    assert isinstance(array, zarr.Array) and array.chunks == (64, 64)
    np.testing.assert_array_equal(array[100:150, 20:40], pixels[100:150, 20:40])


def test_missing_and_broken_files_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"c.tif does not exist"):
        open_tiff_lazily(tmp_path / "c.tif")
    (tmp_path / "d.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(ValueError, match=r"d.tif cannot be read as a TIFF"):
        open_tiff_lazily(tmp_path / "d.tif")
    assert is_tiff("x.ome.TIF") and not is_tiff("x.png")
