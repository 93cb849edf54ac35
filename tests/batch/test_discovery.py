import json

import numpy as np
import pytest
import tifffile
from skimage.io import imsave

from napari_finetune.batch import discovery, find_images, output_stem


def test_a_folder_gives_its_images_sorted(folder):
    imsave(folder / "d.png", np.zeros((32, 32), np.uint8), check_contrast=False)
    (folder / "notes.txt").write_text("not an image")
    (folder / ".a.1234abcd.partial.tif").write_bytes(b"")  # an interrupted write
    (folder / "sub").mkdir()
    tifffile.imwrite(folder / "sub" / "e.tif", np.zeros((32, 32), np.uint8))
    assert [p.name for p in find_images(folder)] == ["a.tif", "b.tif", "c.tif", "d.png"]
    assert find_images(str(folder)) == find_images(folder)


def test_a_glob_a_file_and_a_list(folder):
    assert [p.name for p in find_images(f"{folder}/[bc].tif")] == ["b.tif", "c.tif"]
    assert [p.name for p in find_images(folder / "b.tif")] == ["b.tif"]
    # Across sources the order given is kept; an image named twice is read once.
    both = find_images([folder / "c.tif", f"{folder}/*.tif"])
    assert [p.name for p in both] == ["c.tif", "a.tif", "b.tif"]


def test_nothing_to_read_is_refused_naming_it(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty holds no images"):
        find_images(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"the pattern .*\*\.tif matches no images"):
        find_images(f"{tmp_path}/*.tif")
    with pytest.raises(ValueError, match=r"nope\.tif does not exist"):
        find_images(tmp_path / "nope.tif")
    with pytest.raises(ValueError, match="no images given"):
        find_images([])


def _zarr_group(path, attributes):
    # Written by hand as zarr v3 metadata: these tests run without zarr.
    path.mkdir()
    metadata = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
    (path / "zarr.json").write_text(json.dumps(metadata))
    return path


OME = {"ome": {"version": "0.5", "multiscales": [{"datasets": [{"path": "0"}]}]}}


def test_zarr_stores_are_found_and_need_zarr(folder, monkeypatch):
    _zarr_group(folder / "d.ome.zarr", OME)
    real = discovery.importlib.util.find_spec
    monkeypatch.setattr(
        discovery.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "zarr" else real(name, *a),
    )
    with pytest.raises(ValueError, match=r"d.ome.zarr.*zarr is not installed: pip install zarr"):
        find_images(folder)
    monkeypatch.setattr(discovery.importlib.util, "find_spec", lambda name, *a: object())
    assert [p.name for p in find_images(folder)][-1] == "d.ome.zarr"


@pytest.mark.parametrize(
    ("name", "stem"),
    [("a.tif", "a"), ("a.TIFF", "a"), ("a.ome.tif", "a"), ("a.ome.zarr", "a"), ("a.b.png", "a.b")],
)
def test_output_stem(name, stem, tmp_path):
    assert output_stem(tmp_path / name) == stem


def test_prediction_stores_and_other_zarr_stores_are_not_images_unless_named(folder):
    from napari_finetune.session.prediction_store import STATE_KEY

    assert discovery.PREDICTION_STATE_KEY == STATE_KEY
    # The viewer's store of a prediction (its label image has multiscales too).
    state = {STATE_KEY: {"rows_done": 64, "complete": True}}
    store = _zarr_group(folder / "a_prediction.zarr", {**OME, **state})
    _zarr_group(folder / "plain.zarr", {})  # a Zarr store that is no OME-Zarr image
    (folder / "empty.zarr").mkdir()
    v04 = folder / "e.zarr"  # NGFF 0.4: zarr v2, multiscales at the top
    v04.mkdir()
    (v04 / ".zattrs").write_text(json.dumps({"multiscales": [{"datasets": []}]}))
    names = ["a.tif", "b.tif", "c.tif", "e.zarr"]
    assert [p.name for p in find_images(folder)] == names
    assert [p.name for p in find_images(f"{folder}/*")] == names
    assert find_images(store) == [store]  # named: read (and refused there if it cannot be)
