"""OME-NGFF details of labels written beside an OME-Zarr image, and of what is read."""

import shutil

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.batch.ome_zarr import read_ome_zarr
from napari_finetune.inference.lazy import predict_lazy
from napari_finetune.session.prediction_store import open_prediction_store

zarr = pytest.importorskip("zarr")

AXES = [
    {"name": "channel", "type": "channel"},  # any name: NGFF says what an axis is by its type
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def write_image(store, data, version):
    """Two levels; level 1 averaged, so its offset is at pixel centres; a whole-image scale."""
    root = zarr.open_group(str(store), mode="w", zarr_format=2 if version == "0.4" else 3)
    datasets = []
    for level in range(2):
        f = 2**level
        root.create_array(str(level), data=data[None, ::f, ::f], chunks=(1, 64, 64))
        transforms = [{"type": "scale", "scale": [1, 0.5 * f, 0.5 * f]}]
        if level:
            transforms.append({"type": "translation", "translation": [0, 0.25, 0.25]})
        datasets.append({"path": str(level), "coordinateTransformations": transforms})
    multiscale = {
        "axes": AXES,
        "datasets": datasets,
        "coordinateTransformations": [{"type": "scale", "scale": [1, 2, 2]}],
    }
    if version == "0.5":
        root.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}
    else:
        root.attrs["multiscales"] = [{"version": "0.4", **multiscale}]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_labels_keep_the_images_placement_and_name_their_classes(tmp_path, model, version):
    store = tmp_path / "mosaic.ome.zarr"
    data = nf.voronoi_grains((128, 160), 12, seed=1).image
    write_image(store, data, version)
    np.testing.assert_array_equal(read_ome_zarr(store), data)  # 'channel' of length 1
    predict_lazy(model, store)
    label = zarr.open_group(str(store / "labels" / "prediction"), mode="r")
    meta = label.attrs.asdict()
    meta = meta["ome"] if version == "0.5" else meta
    multiscale = meta["multiscales"][0]
    # The whole-image transform is kept, after each level's.
    assert multiscale["coordinateTransformations"] == [{"type": "scale", "scale": [1, 2, 2]}]
    # Level 1 holds every 2nd pixel from the first: twice level 0's scale, and level 0's
    # offset (none), not the averaged image level's pixel-centre offset.
    assert [d["coordinateTransformations"] for d in multiscale["datasets"]] == [
        [{"type": "scale", "scale": [1, 0.5, 0.5]}],
        [{"type": "scale", "scale": [1, 1.0, 1.0]}],
    ]
    assert meta["image-label"]["properties"] == [
        {"label-value": k, "class": name} for k, name in model.classes.items()
    ]
    if version == "0.5":  # each level's dimension names match the axes
        assert label["0"].metadata.dimension_names == ("channel", "y", "x")
    # Reopened, the prediction sits where the image does: 0.5 µm x 2 per pixel.
    reopened = open_prediction_store(store / "labels" / "prediction")
    assert reopened.placement["scale"] == [1.0, 1.0]
    assert reopened.placement["units"] == ["micrometer"] * 2
    # Removed by hand and predicted again: listed once.
    shutil.rmtree(store / "labels" / "prediction")
    predict_lazy(model, store)
    listing = zarr.open_group(str(store / "labels"), mode="r").attrs.asdict()
    assert (listing["ome"]["labels"] if version == "0.5" else listing["labels"]) == ["prediction"]


def test_a_store_of_its_own_keeps_the_images_micrometres(tmp_path, model):
    store = tmp_path / "mosaic.ome.zarr"
    write_image(store, nf.voronoi_grains((128, 160), 12, seed=2).image, "0.4")
    out = tmp_path / "prediction.zarr"
    predict_lazy(model, store, out)
    placement = open_prediction_store(out).placement
    assert placement["scale"] == [1.0, 1.0] and placement["units"] == ["micrometer"] * 2


def test_a_bioformats2raw_collection_names_its_first_image(tmp_path):
    store = tmp_path / "mosaic.zarr"
    root = zarr.open_group(str(store), mode="w", zarr_format=2)
    root.attrs["bioformats2raw.layout"] = 3
    with pytest.raises(ValueError, match="bioformats2raw collection: give its first image"):
        read_ome_zarr(store)
