import numpy as np
import pytest
import tifffile

import napari_finetune as nf
from napari_finetune.batch import (
    FileDone,
    FileFailed,
    FolderFinished,
    FolderStarted,
    predict_files,
    predict_folder,
)
from napari_finetune.inference.predict import labels_from_probabilities


def test_outputs_equal_predict_on_each_file(folder, tmp_path, model, grains_image):
    tifffile.imwrite(folder / "d.tif", grains_image(9, shape=(48, 80)))  # another size
    out = tmp_path / "out"
    events = list(predict_files(model, folder, out, probabilities=True))
    assert isinstance(events[0], FolderStarted) and events[0].to_do == 4
    done = [e for e in events if isinstance(e, FileDone)]
    assert [e.index for e in done] == [1, 2, 3, 4] and done[-1].time_left == 0
    assert done[0].time_left > 0 and done[-1].shape == (48, 80)
    for name in "abcd":
        probabilities = nf.predict(model, tifffile.imread(folder / f"{name}.tif"))
        written = tifffile.imread(out / f"{name}_probabilities.tif")
        np.testing.assert_array_equal(written, probabilities)
        labels = tifffile.imread(out / f"{name}_prediction.tif")
        np.testing.assert_array_equal(labels, labels_from_probabilities(probabilities))
        assert labels.dtype == np.uint8
    summary = events[-1].summary
    assert isinstance(events[-1], FolderFinished) and summary.ok
    assert [row.status for row in summary.rows] == ["done"] * 4


def test_a_second_run_skips_and_a_deleted_output_is_redone(folder, tmp_path, model):
    out = tmp_path / "out"
    predict_folder(model, folder, out)
    first = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert sorted(first) == ["a_prediction.tif", "b_prediction.tif", "c_prediction.tif"]
    again = predict_folder(model, folder, out)
    assert [row.status for row in again.rows] == ["skipped"] * 3
    (out / "b_prediction.tif").unlink()
    events = list(predict_files(model, folder, out))
    assert (events[0].to_do, events[0].skipped) == (1, 2)
    assert [e.path.name for e in events if isinstance(e, FileDone)] == ["b.tif"]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()}.keys() == first.keys()
    assert (out / "a_prediction.tif").stat().st_mtime_ns == first["a_prediction.tif"]
    assert [r.status for r in events[-1].summary.rows] == ["skipped", "done", "skipped"]


def test_a_corrupt_and_an_rgb_file_fail_alone(folder, tmp_path, model, write_corrupt, write_rgb):
    write_corrupt(folder / "b.tif")
    write_rgb(folder / "colour.tif")
    out = tmp_path / "out"
    events = list(predict_files(model, folder, out))
    failed = {e.path.name: e.message for e in events if isinstance(e, FileFailed)}
    assert set(failed) == {"b.tif", "colour.tif"}
    assert failed["b.tif"].startswith("b.tif holds no image data") and "corrupt" in failed["b.tif"]
    assert "the model was trained on grey images" in failed["colour.tif"]
    assert sorted(p.name for p in out.iterdir()) == ["a_prediction.tif", "c_prediction.tif"]
    summary = events[-1].summary
    assert not summary.ok and (summary.count("done"), summary.count("failed")) == (2, 2)
    table = summary.table()
    assert "colour.tif  failed  64 × 64 × 3" in table and "b.tif" in table
    assert summary.line().startswith("2 done, 2 failed in")


def test_stop_after_the_first_file_leaves_complete_files_only(folder, tmp_path, model):
    out = tmp_path / "out"
    events = predict_files(model, folder, out, probabilities=True)
    assert isinstance(next(events), FolderStarted)
    assert next(events).path.name == "a.tif"
    events.close()  # Stop: the consumer asks for nothing more
    assert sorted(p.name for p in out.iterdir()) == ["a_prediction.tif", "a_probabilities.tif"]
    assert tifffile.imread(out / "a_probabilities.tif").shape == (2, 64, 64)
    # Resuming does the rest only.
    summary = predict_folder(model, folder, out, probabilities=True)
    assert [r.status for r in summary.rows] == ["skipped", "done", "done"]


def test_bad_folders_are_refused_at_the_call(folder, tmp_path, model):
    (tmp_path / "file").write_text("x")
    below_a_file = (tmp_path / "file" / "o", "is a file, not a folder")
    for output, said in [(folder, "is the folder of the input"), below_a_file]:
        with pytest.raises(ValueError, match=said):
            predict_files(model, folder, output)
    with pytest.raises(ValueError, match="backend='gpu' is unknown"):
        predict_files(model, folder, tmp_path / "out", backend="gpu")
    assert not (tmp_path / "out").exists()


def test_an_ome_zarr_store_is_read_whole(tmp_path, model, grains_image):
    zarr = pytest.importorskip("zarr")
    image = grains_image(2)
    group = zarr.open_group(str(tmp_path / "in" / "a.ome.zarr"), mode="w", zarr_format=2)
    group.create_array("0", data=image[None])
    axes = [{"name": "c", "type": "channel"}, {"name": "y"}, {"name": "x"}]
    group.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}]
    summary = predict_folder(model, tmp_path / "in", tmp_path / "out")
    assert summary.ok and summary.rows[0].shape == (64, 64)
    np.testing.assert_array_equal(
        tifffile.imread(tmp_path / "out" / "a_prediction.tif"),
        labels_from_probabilities(nf.predict(model, image)),
    )


def test_a_folder_run_can_average_the_model_views(folder, tmp_path, model):
    from dataclasses import replace

    from napari_finetune.augment import AugmentationPipeline

    # a thermal gradient: mirrored left-right only (2 views)
    directional = AugmentationPipeline.from_preset("directional").to_yaml()
    trained = replace(model, augmentation=directional)
    summary = predict_folder(
        trained, folder, tmp_path / "out", probabilities=True, average_views=True
    )
    assert summary.ok and summary.views == 2
    assert summary.line().endswith(
        "; each new prediction averaged over 2 flipped and rotated views"
    )
    one = predict_folder(trained, folder, tmp_path / "one")
    assert one.views == 1 and "averaged over" not in one.line()
    image = tifffile.imread(folder / "a.tif")
    written = tifffile.imread(tmp_path / "out" / "a_probabilities.tif")
    np.testing.assert_allclose(written, nf.predict(trained, image, average_views=True), atol=1e-6)
    mirrored = nf.predict(trained, np.ascontiguousarray(image[:, ::-1]))[:, :, ::-1]
    np.testing.assert_allclose(written, (nf.predict(trained, image) + mirrored) / 2, atol=1e-5)
