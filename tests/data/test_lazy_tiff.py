"""TIFFs read only where sliced: memory maps, or tifffile's Zarr view of tiles."""

import gc

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


def test_the_zarr_view_closes_its_file_with_the_array_or_at_once_on_failure(
    tmp_path, pixels, monkeypatch
):
    zarr = pytest.importorskip("zarr")
    from tifffile.zarr import ZarrTiffStore

    closed = []
    close = ZarrTiffStore.close
    monkeypatch.setattr(ZarrTiffStore, "close", lambda store: closed.append(close(store)))
    tifffile.imwrite(tmp_path / "b.tif", pixels, tile=(64, 64), compression="zlib")
    array = open_tiff_lazily(tmp_path / "b.tif")
    np.testing.assert_array_equal(array[:10, :10], pixels[:10, :10])  # the file is open now
    assert closed == []  # open as long as the array is
    del array
    gc.collect()
    assert len(closed) == 1  # not left to the garbage collector's unclosed-file warning

    def broken(*args, **kwargs):
        raise KeyError("no array in this store")

    monkeypatch.setattr(zarr, "open", broken)
    with pytest.raises(KeyError):
        open_tiff_lazily(tmp_path / "b.tif")
    assert len(closed) == 2


def test_a_cluster_refuses_a_compressed_tiff_without_opening_it_through_zarr(
    tmp_path, pixels, monkeypatch
):
    pytest.importorskip("distributed")
    from napari_finetune.inference.lazy_cluster import MemmapBands, band_reader

    tifffile.imwrite(tmp_path / "a.tif", pixels)
    tifffile.imwrite(tmp_path / "b.tif", pixels, tile=(64, 64), compression="zlib")

    def no_zarr(*args, **kwargs):
        raise AssertionError("opened through Zarr (and never closed) only to be refused")

    monkeypatch.setattr(tifffile, "imread", no_zarr)
    assert isinstance(band_reader(tmp_path / "a.tif"), MemmapBands)
    with pytest.raises(ValueError, match=r"b\.tif is compressed or tiled: Dask workers read"):
        band_reader(tmp_path / "b.tif")


def test_a_file_that_is_no_tiff_is_said_so_not_taken_for_a_compressed_one(tmp_path):
    from napari_finetune.data.lazy_tiff import memmap_tiff

    fake = tmp_path / "x.tif"
    fake.write_text("a text file renamed")
    with pytest.raises(ValueError, match=r"x\.tif cannot be read as a TIFF"):
        memmap_tiff(fake)


@pytest.mark.parametrize("options", [{}, {"compression": "zlib", "rowsperstrip": 16}])
def test_a_planar_rgb_tiff_comes_colour_last_as_the_reader_gives_it(tmp_path, options):
    from napari_finetune.data.tiff_read import read_tiff

    rgb = np.random.default_rng(1).integers(0, 255, (3, 60, 40), dtype=np.uint8)
    path = tmp_path / "planar.tif"
    # metadata=None: no recorded shape, as planar RGB from an instrument.
    tifffile.imwrite(
        path, rgb, photometric="rgb", planarconfig="separate", metadata=None, **options
    )
    array = open_tiff_lazily(path)
    assert array.shape == (60, 40, 3)
    np.testing.assert_array_equal(np.asarray(array[10:30]), read_tiff(path)[0][10:30])
    np.testing.assert_array_equal(np.asarray(array[10:30]), np.moveaxis(rgb, 0, -1)[10:30])


def test_a_planar_rgb_memory_map_is_no_map_a_dask_worker_would_misread(tmp_path):
    pytest.importorskip("distributed")
    from napari_finetune.data.lazy_tiff import memmap_tiff
    from napari_finetune.inference.lazy_cluster import band_reader

    rgb = np.zeros((3, 20, 30), np.uint8)
    tifffile.imwrite(
        tmp_path / "p.tif", rgb, photometric="rgb", planarconfig="separate", metadata=None
    )
    assert memmap_tiff(tmp_path / "p.tif").shape == (20, 30, 3)
    assert band_reader(tmp_path / "p.tif") is None  # bands sent from here, in colour order


def test_a_tiff_with_channels_is_refused_by_name(tmp_path):
    channels = np.zeros((2, 20, 30), np.uint16)
    tifffile.imwrite(tmp_path / "two.tif", channels, imagej=True, metadata={"axes": "CYX"})
    with pytest.raises(ValueError, match=r"two\.tif has 2 channels"):
        open_tiff_lazily(tmp_path / "two.tif")
