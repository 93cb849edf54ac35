"""The uncertainty map of a large image, written band by band beside its labels."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.lazy import predict_bands, predict_lazy

zarr = pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")

SHAPE = (800, 900)  # 2 × 2 tiles: their overlaps blend; below sample_pixels


@pytest.fixture(scope="module")
def image():
    return nf.voronoi_grains(SHAPE, 50, seed=1).image


def test_equals_the_in_memory_entropy_map(tmp_path, model, image):
    *_, written = predict_bands(model, da.from_array(image), tmp_path / "o.zarr", uncertainty=True)
    store = zarr.open_group(str(written.output), mode="r")
    uncertainty = store["uncertainty"]
    assert uncertainty.dtype == np.float32 and uncertainty.shape == SHAPE
    expected = nf.uncertainty(model, image, method="entropy")
    np.testing.assert_allclose(uncertainty[:], expected, atol=1e-5)
    assert uncertainty[:].min() >= 0 and uncertainty[:].max() <= 1
    assert "probabilities" not in store  # each array on request only
    # Not asked for: not written.
    predict_lazy(model, image[:300, :300], tmp_path / "plain.zarr")
    assert "uncertainty" not in zarr.open_group(str(tmp_path / "plain.zarr"), mode="r")


def test_beside_an_ome_zarr_image_it_is_in_the_label_folder(tmp_path, model, image):
    data = image[:300, :400]
    store = tmp_path / "image.ome.zarr"
    root = zarr.open_group(str(store), mode="w", zarr_format=2)
    root.create_array("0", data=data, chunks=(128, 128))
    axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    scale = [{"type": "scale", "scale": [1, 1]}]
    datasets = [{"path": "0", "coordinateTransformations": scale}]
    root.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": datasets}]

    written = predict_lazy(model, store, uncertainty=True)
    assert written.output == store / "labels" / "prediction"
    label = zarr.open_group(str(written.output), mode="r")
    np.testing.assert_allclose(label["uncertainty"][:], nf.uncertainty(model, data), atol=1e-5)
    # The label image's NGFF metadata lists its levels only: readers pass over the map.
    assert [d["path"] for d in label.attrs["multiscales"][0]["datasets"]] == ["0"]
