"""Each prediction records what made it; a resumed run refuses outputs made otherwise."""

import copy

import numpy as np
import pytest
import tifffile
import torch

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.batch import predict_folder, predict_plan
from napari_finetune.batch.made_by import (
    MadeBy,
    StaleOutputs,
    read_made_by,
    recorded_class_names,
)
from napari_finetune.batch.planning import plan_predictions


@pytest.fixture
def other_model(model):
    """The shipped model with one weight changed: another model of the same name."""
    changed = copy.deepcopy(model)
    with torch.no_grad():
        next(changed.net.parameters()).add_(0.01)
    return changed


def test_every_prediction_records_its_model_and_options(folder, tmp_path, model):
    out = tmp_path / "out"
    model = copy.deepcopy(model)
    model.augmentation = AugmentationPipeline.from_preset("equiaxed").to_yaml()  # 8 views
    predict_folder(model, folder, out, probabilities=True, average_views=True)
    expected = MadeBy.of(model, average_views=True)
    assert expected.views == 8 and expected.model == model.name
    for name in ("a_prediction.tif", "a_probabilities.tif", "c_prediction.tif"):
        assert read_made_by(out / name) == expected
    # The prediction names its classes (for measuring it later as a class map).
    assert recorded_class_names(out / "a_prediction.tif") == model.classes
    # The record is beside the data: the labels read back as they were.
    assert tifffile.imread(out / "a_prediction.tif").dtype == np.uint8


def test_a_run_of_another_model_refuses_to_skip_and_overwrite_replaces(
    folder, tmp_path, model, other_model
):
    out = tmp_path / "out"
    predict_folder(model, folder, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(
        StaleOutputs, match=r"^the outputs of all 3 images in .* were made "
    ) as refused:
        predict_folder(other_model, folder, out)
    message = str(refused.value)
    old, new = (MadeBy.of(m).weights[:8] for m in (model, other_model))
    assert f"weights {old}…); this run: model" in message and f"weights {new}…" in message
    assert "--overwrite" in message and len(refused.value.paths) == 3
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing touched
    summary = predict_folder(other_model, folder, out, overwrite=True)
    assert [row.status for row in summary.rows] == ["done"] * 3
    assert read_made_by(out / "b_prediction.tif") == MadeBy.of(other_model)
    # The same model again skips them as done.
    assert [row.status for row in predict_folder(other_model, folder, out).rows] == ["skipped"] * 3


def test_only_the_outputs_made_otherwise_are_counted(folder, tmp_path, model, other_model):
    out = tmp_path / "out"
    predict_folder(model, folder, out)
    predict_folder(other_model, [folder / "a.tif"], out, overwrite=True)
    with pytest.raises(
        StaleOutputs, match=r"^the outputs of 2 of the 3 images in .* were "
    ) as refused:
        predict_folder(other_model, folder, out)
    assert "(b_prediction.tif: model" in str(refused.value)
    assert [path.name for path in refused.value.paths] == ["b_prediction.tif", "c_prediction.tif"]


def test_views_and_pixel_size_count_and_grains_only_when_measured(folder, tmp_path, model):
    out = tmp_path / "out"
    model = copy.deepcopy(model)
    model.augmentation = AugmentationPipeline.from_preset("directional").to_yaml()  # 2 views
    predict_folder(model, folder, out, measure=True, calibration=(0.5, "um"))
    with pytest.raises(StaleOutputs, match="one view; this run: 2 views averaged"):
        predict_folder(model, folder, out, average_views=True)
    # A model trained without flips or turns has one view either way: nothing differs.
    model.augmentation = None
    assert {row.status for row in predict_folder(model, folder, out, average_views=True).rows} == {
        "skipped"
    }
    model.augmentation = AugmentationPipeline.from_preset("directional").to_yaml()
    with pytest.raises(StaleOutputs, match=r"pixel size 0\.5 µm; this run: grains measured "):
        predict_folder(model, folder, out, measure=True, calibration=(0.25, "um"))
    with pytest.raises(StaleOutputs, match="from the images' tags"):
        predict_folder(model, folder, out, measure=True)
    # Not measuring: the grain CSVs beside the predictions do not matter.
    assert {row.status for row in predict_folder(model, folder, out).rows} == {"skipped"}
    # Predictions written without grains cannot stand for a run that measures.
    plain = tmp_path / "plain"
    predict_folder(model, folder, plain)
    for name in "abc":  # grain CSVs left there by something else
        for suffix in ("_grains.csv", "_grains_summary.csv", "_grains_segments.csv"):
            (plain / f"{name}{suffix}").write_text("x\n")
    with pytest.raises(StaleOutputs, match="no grains measured; this run: grains measured"):
        predict_folder(model, folder, plain, measure=True)


def test_outputs_that_record_nothing_are_kept_as_before(folder, tmp_path, model):
    out = tmp_path / "out"
    out.mkdir()
    for name in "abc":  # written by an earlier version, or another program
        tifffile.imwrite(out / f"{name}_prediction.tif", np.ones((64, 64), np.uint8))
    assert read_made_by(out / "a_prediction.tif") is None
    assert {row.status for row in predict_folder(model, folder, out).rows} == {"skipped"}


def test_the_check_is_made_when_the_plan_is_run_before_any_image(
    folder, tmp_path, model, other_model, monkeypatch
):
    out = tmp_path / "out"
    predict_folder(model, folder, out)
    (out / "c_prediction.tif").unlink()  # c is to do, a and b are skipped
    plan = plan_predictions(folder, out)
    read = []
    monkeypatch.setattr(
        "napari_finetune.batch.file_prediction.read_input", lambda path: read.append(path)
    )
    with pytest.raises(StaleOutputs) as refused:
        predict_plan(other_model, plan)
    assert [p.name for p in refused.value.paths] == ["a_prediction.tif", "b_prediction.tif"]
    assert read == []
    assert not (out / "c_prediction.tif").exists()


def test_probabilities_another_model_left_are_not_taken_as_done(
    folder, tmp_path, model, other_model
):
    out = tmp_path / "out"
    predict_folder(model, folder, out, probabilities=True)
    predict_folder(other_model, folder, out, overwrite=True)  # predictions only
    with pytest.raises(StaleOutputs, match=r"\(a_probabilities\.tif: model 'voronoi-unet'"):
        predict_folder(other_model, folder, out, probabilities=True)
    # Without probabilities the predictions alone count, and they are the other model's.
    assert {row.status for row in predict_folder(other_model, folder, out).rows} == {"skipped"}


def test_redoing_unskips_only_the_images_named(folder, tmp_path, model, other_model):
    out = tmp_path / "out"
    predict_folder(model, folder, out)
    predict_folder(other_model, [folder / "a.tif"], out, overwrite=True)
    plan = plan_predictions(folder, out)
    with pytest.raises(StaleOutputs) as refused:
        predict_plan(other_model, plan)
    again = plan.redoing(refused.value.paths)
    assert [f.image.name for f in again.to_do] == ["b.tif", "c.tif"]
    assert [f.image.name for f in again.skipped] == ["a.tif"]
    first_a = (out / "a_prediction.tif").read_bytes()
    summary = predict_folder_plan(other_model, again)
    assert [row.status for row in summary.rows] == ["skipped", "done", "done"]
    assert (out / "a_prediction.tif").read_bytes() == first_a
    assert {read_made_by(out / f"{n}_prediction.tif") for n in "abc"} == {MadeBy.of(other_model)}


def predict_folder_plan(model, plan):
    events = list(predict_plan(model, plan))
    return events[-1].summary


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {"napari_finetune": "not a record"},
        {"napari_finetune": {"model": "m"}},
        {"napari_finetune": {"model": "m", "weights_sha256": "ab", "calibration": [1]}},
        {"napari_finetune": {"model": "m", "weights_sha256": "ab", "calibration": ["x", "um"]}},
        {"napari_finetune": {"model": "m", "weights_sha256": "ab", "calibration": [None, "um"]}},
        {"napari_finetune": {"model": "m", "weights_sha256": "ab", "measured": "false"}},
        {"napari_finetune": {"model": "m", "weights_sha256": "ab", "views": 0}},
    ],
)
def test_a_damaged_or_missing_record_reads_as_none(metadata):
    assert MadeBy.from_metadata(metadata) is None


def test_a_record_survives_the_round_trip(tmp_path):
    made = MadeBy("grains", "f" * 64, 8, True, (0.5, "µm"))
    path = tmp_path / "p.tif"
    tifffile.imwrite(path, np.zeros((4, 4), np.uint8), metadata=made.metadata())
    assert read_made_by(path) == made
    assert read_made_by(tmp_path / "missing.tif") is None


def test_the_refusal_pickles_for_a_cluster_and_keeps_its_paths(tmp_path):
    import pickle

    stale = StaleOutputs("the outputs of the image in out were made otherwise", [tmp_path])
    again = pickle.loads(pickle.dumps(stale))
    assert str(again) == str(stale) and again.paths == (tmp_path,) and again.found == stale.found


def test_a_stopped_overwrite_leaves_older_rows_out_of_the_table(
    folder, tmp_path, model, other_model
):
    import pandas as pd

    from napari_finetune.batch import FileDone, predict_files

    out = tmp_path / "out"
    predict_folder(model, folder, out, measure=True)
    assert list(pd.read_csv(out / "measurements.csv")["file"]) == ["a.tif", "b.tif", "c.tif"]
    events = predict_files(other_model, folder, out, overwrite=True, measure=True)
    for event in events:
        if isinstance(event, FileDone):
            break
    events.close()  # Stop after the first image
    # b and c still hold the first model's CSVs: not this run's, so not in its table.
    assert list(pd.read_csv(out / "measurements.csv")["file"]) == ["a.tif"]
    # The next run is refused on them, and redoing them completes the table.
    with pytest.raises(StaleOutputs, match="2 of the 3 images"):
        predict_folder(other_model, folder, out, measure=True)
