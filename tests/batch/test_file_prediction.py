"""One image of a folder run: an SEM image's data bar is cropped before predicting."""

import numpy as np
import pandas as pd
import pytest
import tifffile

import napari_finetune as nf
from napari_finetune.batch import predict_folder
from napari_finetune.data.calibration import open_calibrated
from napari_finetune.measure import measure_map

BAR = 24


def test_a_data_bar_is_cropped_before_predicting_and_its_rows_are_not_predicted(
    tmp_path, model, grains_image
):
    specimen = grains_image(0, (104, 96))
    image = np.vstack([specimen, np.zeros((BAR, 96), specimen.dtype)])
    image[-12:-4, 10:80] = 4 * specimen.max()  # the bar's white text
    folder = tmp_path / "in"
    folder.mkdir()
    ini = "[Scan]\nPixelWidth=2e-07\n[Image]\nResolutionY=104\n"
    tifffile.imwrite(folder / "fei.tif", image, extratags=[(34682, "s", 0, ini, True)])
    run = predict_folder(model, folder, tmp_path / "out", probabilities=True)
    assert run.rows[0].shape == image.shape
    labels = tifffile.imread(tmp_path / "out" / "fei_prediction.tif")
    probabilities = tifffile.imread(tmp_path / "out" / "fei_probabilities.tif")
    assert labels.shape == image.shape and probabilities.shape == (2, *image.shape)
    # The specimen is predicted as the viewer's Open SEM TIFF shows it: bar cropped.
    viewed, _ = open_calibrated(folder / "fei.tif")
    expected = nf.predict(model, viewed)
    np.testing.assert_allclose(probabilities[:, :-BAR], expected, atol=1e-5)
    # The bar's rows are "not predicted": label 0, probability 0.
    assert not labels[-BAR:].any() and not probabilities[:, -BAR:].any()
    np.testing.assert_array_equal(labels[:-BAR], nf.inference.labels_from_probabilities(expected))


def test_a_deep_stack_is_read_and_predicted_one_plane_at_a_time(
    tmp_path, model, grains_image, monkeypatch
):
    # A FIB-SEM run in a folder was read whole and predicted whole (probabilities of every
    # plane at once: the memory killer ends the run); now plane after plane, same labels.
    from napari_finetune.batch import file_prediction
    from napari_finetune.session import deep_stack_prediction, lazy_rule

    monkeypatch.setattr(lazy_rule, "LAZY_PIXELS", 3 * 96 * 104)  # the real rule: 64 Mpx
    stack = np.stack([grains_image(z, (104, 96)) for z in range(3)])
    folder = tmp_path / "in"
    folder.mkdir()
    tifffile.imwrite(folder / "run.tif", stack, photometric="minisblack")
    tifffile.imwrite(folder / "short.tif", stack[:2], photometric="minisblack")  # not deep
    whole = file_prediction.predict
    sizes = []

    def counted(model, image, **options):
        sizes.append(np.shape(image))
        return whole(model, image, **options)

    monkeypatch.setattr(file_prediction, "predict", counted)
    monkeypatch.setattr(deep_stack_prediction, "predict", counted)
    run = predict_folder(model, folder, tmp_path / "out", probabilities=True, measure=True)
    assert [r.status for r in run.rows] == ["done", "done"]
    assert sorted(sizes) == [(2, 104, 96), (104, 96), (104, 96), (104, 96)]
    expected = nf.predict(model, stack)
    probabilities = tifffile.imread(tmp_path / "out" / "run_probabilities.tif")
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)
    labels = tifffile.imread(tmp_path / "out" / "run_prediction.tif")
    np.testing.assert_array_equal(labels, nf.inference.labels_from_probabilities(expected))
    assert run.rows[0].shape == stack.shape
    # Measured plane by plane (each plane a row), the probabilities read from their file.
    table = pd.read_csv(tmp_path / "out" / "measurements.csv")
    assert table[["file", "plane"]].values.tolist() == [
        ["run.tif", 0],
        ["run.tif", 1],
        ["run.tif", 2],
        ["short.tif", 0],
        ["short.tif", 1],
    ]
    grains = [len(measure_map(expected[:, z], "probabilities").report.table) for z in range(3)]
    assert table["grains"].tolist()[:3] == grains
    assert run.rows[0].message == ""
    # Its record vouches for it: a second run skips both images.
    again = predict_folder(model, folder, tmp_path / "out", probabilities=True, measure=True)
    assert [r.status for r in again.rows] == ["skipped", "skipped"]


def test_a_deep_stack_is_written_plane_by_plane_into_its_files_on_disk(
    tmp_path, model, grains_image, monkeypatch
):
    # The labels went into one array in memory (4 GB for a thousand 2048² planes, the
    # probabilities 33 GB): now each plane goes into the TIFF on disk once predicted.
    from napari_finetune.batch.stack_file import open_deep_stack, write_plane_by_plane
    from napari_finetune.session import deep_stack_prediction, lazy_rule

    monkeypatch.setattr(lazy_rule, "LAZY_PIXELS", 3 * 96 * 104)
    stack = np.stack([grains_image(z, (104, 96)) for z in range(3)])
    tifffile.imwrite(tmp_path / "run.tif", stack, photometric="minisblack", compression="zlib")
    opened = open_deep_stack(tmp_path / "run.tif")
    assert opened is not None and not isinstance(opened, np.ndarray)  # read lazily
    out = tmp_path / "out"
    whole = deep_stack_prediction.predict
    seen = []

    def watched(model, plane, **options):  # what is on disk when each plane is predicted
        seen.append(sorted(p.name.startswith(".") for p in out.iterdir()) if out.exists() else [])
        return whole(model, plane, **options)

    monkeypatch.setattr(deep_stack_prediction, "predict", watched)
    labels_file = out / "run_prediction.tif"
    note = write_plane_by_plane(
        model, opened, "run.tif", (labels_file,), {"made by": "test"}, backend="torch"
    )
    assert note == "" and [p.name for p in out.iterdir()] == ["run_prediction.tif"]
    # the labels' file existed, under its temporary name, from the first plane on
    assert seen == [[], [True], [True]]
    expected = nf.inference.labels_from_probabilities(nf.predict(model, stack))
    with tifffile.TiffFile(labels_file) as written:
        np.testing.assert_array_equal(written.asarray(), expected)
        assert written.asarray().dtype == np.uint8
        assert written.shaped_metadata[0]["made by"] == "test"
    # A plane that cannot be predicted fails the file and leaves what was there.
    calls = []

    def failing(model, plane, **options):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("run.tif: plane 1 is too small")
        return whole(model, plane, **options)

    monkeypatch.setattr(deep_stack_prediction, "predict", failing)
    before = labels_file.read_bytes()
    with pytest.raises(ValueError, match="plane 1"):
        write_plane_by_plane(
            model, opened, "run.tif", (labels_file, out / "p.tif"), backend="torch"
        )
    assert [p.name for p in out.iterdir()] == ["run_prediction.tif"]  # no temporary left
    assert labels_file.read_bytes() == before
    # A disk too small is said before a pixel is written: a full disk under a memory map
    # would kill the process (SIGBUS), the viewer with it.
    from napari_finetune.batch import stack_file

    monkeypatch.setattr(deep_stack_prediction, "predict", whole)
    usage = stack_file.shutil.disk_usage(out)
    small = usage._replace(free=3 * 104 * 96 - 1)  # a byte short of the labels
    monkeypatch.setattr(stack_file.shutil, "disk_usage", lambda path: small)
    with pytest.raises(OSError, match=r"run_prediction\.tif needs 0\.0 GB and its disk has"):
        write_plane_by_plane(model, opened, "run.tif", (labels_file,), backend="torch")
    assert [p.name for p in out.iterdir()] == ["run_prediction.tif"]
    assert labels_file.read_bytes() == before
    tifffile.imwrite(tmp_path / "short.tif", stack[:2], photometric="minisblack")
    assert open_deep_stack(tmp_path / "short.tif") is None
    (tmp_path / "broken.tif").write_bytes(b"not a tiff")
    assert open_deep_stack(tmp_path / "broken.tif") is None  # the folder run says what is wrong
    # A colour image as large as the rule is one image, not rows planes of cols × 3 px.
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((104, 96 * 3, 3), np.uint8))
    assert open_deep_stack(tmp_path / "rgb.tif") is None


def test_a_deep_ome_zarr_z_stack_in_a_folder_is_read_a_plane_at_a_time(
    tmp_path, model, grains_image, monkeypatch
):
    zarr = pytest.importorskip("zarr")
    from napari_finetune.session import deep_stack_prediction, lazy_rule

    monkeypatch.setattr(lazy_rule, "LAZY_PIXELS", 3 * 96 * 104)
    stack = np.stack([grains_image(z, (104, 96)) for z in range(3)])
    group = zarr.open_group(str(tmp_path / "in" / "run.ome.zarr"), mode="w", zarr_format=2)
    group.create_array("0", data=stack[None], chunks=(1, 1, 64, 64))
    axes = [{"name": "c", "type": "channel"}, {"name": "z"}, {"name": "y"}, {"name": "x"}]
    group.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}]
    read = []
    planes = deep_stack_prediction.read_planes

    def recorded(image, which, name):
        read.append((type(image).__module__.split(".")[0], tuple(which), name))
        return planes(image, which, name)

    monkeypatch.setattr(deep_stack_prediction, "read_planes", recorded)
    summary = predict_folder(model, tmp_path / "in", tmp_path / "out")
    assert summary.ok and summary.rows[0].shape == (3, 104, 96)
    assert read == [("dask", (z,), "run.ome.zarr") for z in range(3)]  # lazily, one by one
    expected = nf.inference.labels_from_probabilities(nf.predict(model, stack))
    written = tifffile.imread(tmp_path / "out" / "run_prediction.tif")
    np.testing.assert_array_equal(written, expected)
