"""Every trained model says what it learned from, and its last run can be repeated."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.models import load_checkpoint, save_model
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Started
from napari_finetune.training.provenance import array_digest
from napari_finetune.training.reproduce import reproduce


@pytest.fixture(scope="module")
def painted():
    sample = nf.voronoi_grains((160, 160), 12, seed=5)
    return sample.image, paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=5, seed=5)


def quick(**kwargs):
    return {"steps": 4, "batch_size": 4, "patch_size": 64, "seed": 3} | kwargs


def test_a_run_records_data_hashes_counts_options_and_result(painted, tmp_path):
    image, labels = painted
    model, history = nf.fit(image, labels, "voronoi-unet", **quick())
    (record,) = model.provenance
    assert record["start"]["kind"] == "shipped" and record["start"]["name"] == "voronoi-unet"
    assert record["images"][0]["sha256"] == array_digest(image)
    assert record["labels"][0]["sha256"] == array_digest(labels)
    painted_px = {str(k): int((labels == k).sum()) for k in (1, 2)}
    assert record["painted_pixels"] == painted_px == record["labels"][0]["painted"]
    assert record["options"]["steps"] == 4 and record["options"]["seed"] == 3
    assert (
        record["options"]["strategy"] == "finetune"
        and "preset" in record["options"]["augmentation"]
    )
    assert {"torch", "numpy", "python", "napari-finetune"} <= set(record["versions"])
    assert record["result"] == {
        "steps": 4,
        "reason": "completed",
        "sha256": tensor_digest(model.net.state_dict()),
        # The one (partial) epoch is the kept one: the score the run reported.
        "validation_score": history[-1]["validation_score"],
        "scored_epoch": history[-1]["epoch"],
    }
    # It travels with the model file, history included.
    loaded = load_checkpoint(save_model(model, tmp_path / "m.ckpt"))
    assert loaded.provenance == model.provenance and loaded.history == model.history


def test_a_stopped_run_says_so(painted):
    image, labels = painted
    events = nf.finetune(image, labels, "voronoi-unet", **quick(steps=50))
    started = next(e for e in events if isinstance(e, Started))
    next(events)
    events.close()
    assert started.model.provenance[-1]["result"]["reason"] == "stopped"
    assert started.model.provenance[-1]["result"]["steps"] == 1


def test_a_step_count_run_is_repeated_bit_for_bit(painted, tmp_path):
    image, labels = painted
    model, _ = nf.fit(image, labels, "voronoi-unet", **quick())
    saved = load_checkpoint(save_model(model, tmp_path / "m.ckpt"))
    again = reproduce(saved, [image], [labels])
    assert again.identical and again.expected_identical and again.notes == []
    assert tensor_digest(again.model.net.state_dict()) == tensor_digest(model.net.state_dict())


def test_a_warm_started_round_needs_its_start_model(painted):
    image, labels = painted
    first, _ = nf.fit(image, labels, "voronoi-unet", **quick())
    second, _ = nf.fit(image, labels, first, **quick(seed=4))
    assert second.provenance[-1]["start"]["kind"] == "model"
    assert len(second.provenance) == 2
    with pytest.raises(ValueError, match=r"not a shipped one.*give that model"):
        reproduce(second, [image], [labels])
    with pytest.raises(ValueError, match="is not the one the run started from"):
        reproduce(second, [image], [labels], start="voronoi-unet")
    assert reproduce(second, [image], [labels], start=first).identical


def test_other_data_or_no_provenance_is_refused(painted):
    image, labels = painted
    model, _ = nf.fit(image, labels, "voronoi-unet", **quick())
    changed = labels.copy()
    changed[0, 0] = 1 if changed[0, 0] != 1 else 2
    with pytest.raises(ValueError, match=r"painting 1 .* is not the one the run trained on"):
        reproduce(model, [image], [changed])
    with pytest.raises(ValueError, match="trained on 1 images"):
        reproduce(model, [image, image], [labels, labels])
    with pytest.raises(ValueError, match="no training provenance"):
        reproduce(nf.load_model("voronoi-unet"), [image], [labels])
    model.provenance[-1]["options"].pop("seed")
    with pytest.raises(ValueError, match="lacks the option seed"):
        reproduce(model, [image], [labels])


def test_a_stack_is_known_by_its_painted_planes_so_a_viewer_round_repeats_from_its_file(painted):
    image, labels = painted
    stack = np.stack([image * 0.5, image, image * 0.8])
    painting = np.zeros(stack.shape, labels.dtype)
    painting[1] = labels
    # A round on a deep stack in the viewer trains on the painted planes read into zeros.
    trained_on = np.zeros_like(stack)
    trained_on[1] = stack[1]
    model, _ = nf.fit(trained_on, painting, "voronoi-unet", **quick())
    (entry,) = model.provenance[-1]["images"]
    assert entry["shape"] == [3, 160, 160] and "sha256" not in entry
    again = reproduce(model, [stack], [painting])  # the file, every plane read
    assert again.identical
    changed = stack.copy()
    changed[1, 5, 5] += 0.25  # a painted plane: another image
    with pytest.raises(ValueError, match=r"image 1 .* is not the one the run trained on"):
        reproduce(model, [changed], [painting])
    # A record written before (the whole stack's hash) is checked as it was written.
    model.provenance[-1]["images"][0] = {"shape": [3, 160, 160], "sha256": array_digest(stack)}
    assert reproduce(model, [stack], [painting]).identical
    with pytest.raises(ValueError, match=r"image 1 .* is not the one the run trained on"):
        reproduce(model, [trained_on], [painting])


def test_array_digest_sees_shape_dtype_and_values():
    a = np.zeros((4, 6), np.uint8)
    assert array_digest(a) == array_digest(a.copy())
    assert array_digest(a) != array_digest(a.reshape(6, 4))
    assert array_digest(a) != array_digest(a.astype(np.uint16))
    b = a.copy()
    b[3, 5] = 1
    assert array_digest(a) != array_digest(b)
    assert array_digest(np.asfortranarray(b)) == array_digest(b)


def test_a_run_without_a_patch_geometry_trains_16_patches_of_64_and_records_it():
    # The measured default (README: Smaller training patches); retrain repeats it.
    sample = nf.voronoi_grains((96, 96), 8, seed=1)
    labels = paint_strokes(sample, n_boundary_strokes=2, n_interior_strokes=2, seed=0)
    model, _ = nf.fit(sample.image, labels, "voronoi-unet", steps=2, augmentation=None)
    options = model.provenance[-1]["options"]
    assert (options["patch_size"], options["batch_size"]) == (64, 16)


def test_a_deeper_network_trains_on_the_patches_it_needs_by_default():
    # Seven stages pool by 64: 64² patches would leave no bottleneck, so 128² is chosen.
    deep = nf.SegmentationModel.create(widths=(2, 4, 8, 8, 8, 8, 8))
    sample = nf.voronoi_grains((160, 160), 8, seed=1)
    labels = paint_strokes(sample, n_boundary_strokes=2, n_interior_strokes=2, seed=0)
    model, _ = nf.fit(sample.image, labels, deep, steps=1, augmentation=None, batch_size=2)
    assert model.provenance[-1]["options"]["patch_size"] == 128
    with pytest.raises(ValueError, match="patch_size=64 must be between 128"):
        nf.fit(sample.image, labels, deep, steps=1, patch_size=64)
    with pytest.raises(ValueError, match="patch_size=160 must be a multiple of 64"):
        nf.fit(sample.image, labels, deep, steps=1, patch_size=160)
    # A record of such a side (an older version's) is said to be unrepeatable, by its cell.
    model.provenance[-1]["options"]["patch_size"] = 160
    with pytest.raises(ValueError, match=r"patches of 160 px.*multiple of 64.*cannot be repeated"):
        reproduce(model, [sample.image], [labels], start=deep)
