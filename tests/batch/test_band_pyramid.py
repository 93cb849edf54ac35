"""Coarser levels of a result, filled band by band as fill_pyramid would, reading new rows only."""

import numpy as np
import pytest

from napari_finetune.batch.band_pyramid import open_pyramid

zarr = pytest.importorskip("zarr")


class RowLog:
    """A full-resolution array that records the rows each read spans."""

    def __init__(self, array):
        self.array, self.reads = array, []
        self.shape, self.ndim, self.chunks = array.shape, array.ndim, array.chunks

    def __getitem__(self, key):
        rows = key[-2]
        self.reads.append((rows.start, rows.stop))
        return self.array[key]


def test_added_levels_halve_down_to_the_top_and_fill_as_bands_finish(tmp_path):
    group = zarr.open_group(str(tmp_path / "out.zarr"), mode="w")
    full = np.random.default_rng(0).integers(1, 3, (1100, 700), dtype=np.uint8)
    group.create_array("labels", data=full, chunks=(128, 128))
    pyramid = open_pyramid(group, "labels", top=300)
    assert [a.shape for a in pyramid.arrays] == [(1100, 700), (550, 350), (275, 175)]
    assert group["pyramid/labels/2"].attrs["napari_finetune"]["step"] == [4, 4]
    log = RowLog(pyramid.full)
    pyramid.full = log
    for rows_done in (448, 896, 1100):  # the bands of a 512-px tile with 64 px overlap
        pyramid.fill(rows_done)
        level1 = pyramid.levels[0].array[:]
        filled = (rows_done + 1) // 2
        np.testing.assert_array_equal(level1[:filled], full[: 2 * filled : 2, ::2])
        assert (level1[filled:] == 0).all()
    np.testing.assert_array_equal(pyramid.levels[1].array[:], full[::4, ::4])
    # One read per band, of that band's rows only.
    assert len(log.reads) == 3
    for (start, stop), (done_before, done) in zip(
        log.reads, [(0, 448), (448, 896), (896, 1100)], strict=True
    ):
        assert done_before <= start < stop <= done


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_an_ome_label_image_gets_what_fill_pyramid_writes(tmp_path, version):
    from napari_finetune.batch.ome_zarr import open_ome_zarr
    from napari_finetune.batch.ome_zarr_labels import create_labels, fill_pyramid, labels_path

    store = tmp_path / "image.ome.zarr"
    root = zarr.open_group(str(store), mode="w", zarr_format=2 if version == "0.4" else 3)
    image = np.zeros((1, 700, 650), np.uint8)
    datasets = []
    for level in range(3):  # steps of 3: levels are padded at the ends
        f = 3**level
        root.create_array(str(level), data=image[:, ::f, ::f], chunks=(1, 128, 128))
        transform = [{"type": "scale", "scale": [1, f, f]}]
        datasets.append({"path": str(level), "coordinateTransformations": transform})
    axes = [{"name": "c", "type": "channel"}, {"name": "y"}, {"name": "x"}]
    multiscale = {"axes": axes, "datasets": datasets}
    if version == "0.5":
        root.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}
    else:
        root.attrs["multiscales"] = [{"version": "0.4", **multiscale}]
    ome = open_ome_zarr(store)
    level0, _ = create_labels(ome, "prediction", 2, 128, {})
    labels = np.random.default_rng(1).integers(1, 3, (1, 700, 650), dtype=np.uint8)
    level0[:] = labels
    group = zarr.open_group(str(labels_path(ome, "prediction")), mode="r+")
    pyramid = open_pyramid(group, "0", ("1", "2"), top=60)
    assert [a.shape for a in pyramid.arrays][:3] == [(1, 700, 650), (1, 234, 217), (1, 78, 73)]
    assert pyramid.arrays[3].shape == (1, 39, 37)  # added below the store's own: step 18
    for rows_done in (300, 301, 650, 700):
        pyramid.fill(rows_done)
    np.testing.assert_array_equal(pyramid.arrays[3][:], labels[:, ::18, ::18])
    mine = [group[p][:] for p in ("1", "2")]
    for path in ("1", "2"):
        group[path][:] = 0
    fill_pyramid(ome, "prediction")
    for path, filled in zip(("1", "2"), mine, strict=True):
        np.testing.assert_array_equal(filled, group[path][:])
