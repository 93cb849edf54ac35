"""The adaptation levers of issue 20 through the engine: options, notices, bad input."""

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune.data.normalize import Normalization
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Finished, Preparing
from napari_finetune.training.losses import painted_loss
from napari_finetune.training.objectives import (
    MAX_UNLABELLED_PLANES,
    parse_adaptation,
    unlabelled_planes,
)
from napari_finetune.training.reproduce import reproduce
from napari_finetune.training.unlabelled import (
    FRESH_CROPS,
    FRESH_TEACHER_DECAY,
    KEPT_START_CROPS,
    KEPT_START_PSEUDO_WEIGHT,
    PSEUDO_WEIGHT,
    TEACHER_DECAY,
    MeanTeacher,
)


@pytest.fixture(scope="module")
def painted_sample():
    sample = nf.voronoi_grains((128, 128), 10, seed=3)
    return sample, paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=4, seed=1)


def small(**kwargs):
    return {"batch_size": 4, "patch_size": 64, "seed": 0, "steps": 4} | kwargs


def weights(model):
    return torch.cat([p.detach().flatten() for p in model.net.parameters()])


@pytest.mark.parametrize(
    ("text", "levers"),
    [("none", ()), ("l2sp", ("l2sp",)), ("l2sp+mmd", ("l2sp", "mmd")), (" dann ", ("dann",))],
)
def test_adaptation_names_and_joins(text, levers):
    assert parse_adaptation(text) == levers


@pytest.mark.parametrize(
    ("text", "message"),
    [("coral", "unknown: choose one of none, l2sp"), ("mmd+dann", "not both"), ("", "unknown")],
)
def test_unknown_or_clashing_adaptations_are_refused(text, message, painted_sample):
    sample, painted = painted_sample
    with pytest.raises(ValueError, match=message):
        next(nf.finetune(sample.image, painted, adaptation=text, **small()))


def test_unlabelled_images_of_another_channel_count_are_refused_by_name(painted_sample):
    sample, painted = painted_sample
    colour = np.zeros((64, 64, 3), np.float32)
    with pytest.raises(ValueError, match=r"unlabelled image 1 has shape \(64, 64, 3\)"):
        options = small(semi_supervised=True, unlabelled=[sample.image, colour])
        list(nf.finetune(sample.image, painted, **options))


@pytest.mark.parametrize(("shape", "side"), [((64, 64, 2), "64 × 2"), ((4, 64, 8), "64 × 8")])
def test_unlabelled_two_channel_images_are_refused_not_read_as_thin_planes(shape, side):
    # (rows, cols, 2) would otherwise be a stack of 64 planes 2 px wide.
    image = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=rf"unlabelled image 0 .*{side} px.*\(rows, cols\) grey"):
        unlabelled_planes([image], 1, Normalization(), seed=0)


def test_a_stack_of_thousands_of_planes_is_sampled_not_loaded():
    class Stack:
        """A 5000-plane stack that counts the planes read."""

        shape = (5000, 32, 32)

        def __init__(self):
            self.read = []

        def __getitem__(self, z):
            self.read.append(z)
            return np.full((32, 32), z, np.float32)

    stack = Stack()
    planes = unlabelled_planes(stack, 1, Normalization(), seed=0)
    assert len(planes) == len(stack.read) == MAX_UNLABELLED_PLANES
    assert len(set(stack.read)) == MAX_UNLABELLED_PLANES
    assert planes[0].shape == (32, 32, 1)
    again = Stack()
    unlabelled_planes(again, 1, Normalization(), seed=0)
    assert again.read == stack.read  # chosen by the seed


def test_everything_painted_falls_back_with_a_notice(painted_sample):
    sample, _ = painted_sample
    events = list(nf.finetune(sample.image, sample.classes, semi_supervised=True, **small()))
    notices = [e.stage for e in events if isinstance(e, Preparing)]
    assert any("every pixel is painted" in n for n in notices)
    finished = events[-1]
    assert isinstance(finished, Finished)
    assert "every pixel is painted" in finished.model.provenance[-1]["options"]["notices"][0]


@pytest.mark.parametrize("lever", [dict(adaptation="mmd"), dict(adaptation="dann")])
def test_domain_levers_change_the_encoder_and_repeat_with_the_seed(painted_sample, lever):
    sample, painted = painted_sample
    alone = {"semi_supervised": False}  # strokes: 'auto' would add pseudo-labels
    plain, _ = nf.fit(sample.image, painted, **small(**alone))
    adapted, history = nf.fit(sample.image, painted, **small(**lever, **alone))
    again, _ = nf.fit(sample.image, painted, **small(**lever, **alone))
    assert torch.equal(weights(adapted), weights(again))
    assert not torch.equal(weights(adapted), weights(plain))
    record = adapted.provenance[-1]["options"]
    assert record["adaptation"] == lever["adaptation"] and record["semi_supervised"] is False
    assert np.isfinite(history[-1]["train_loss"])


def test_l2sp_keeps_the_weights_closer_to_the_pretrained_start(painted_sample):
    sample, painted = painted_sample
    start = nf.load_model("voronoi-unet")
    begin = weights(start)
    options = small(steps=12, strategy="finetune")
    plain, _ = nf.fit(sample.image, painted, start, **options)
    anchored, _ = nf.fit(sample.image, painted, start, adaptation="l2sp", **options)
    assert (weights(anchored) - begin).norm() < 0.97 * (weights(plain) - begin).norm()


def test_l2sp_from_scratch_is_off_with_a_notice(painted_sample):
    sample, painted = painted_sample
    events = list(
        nf.finetune(sample.image, painted, None, strategy="scratch", adaptation="l2sp", **small())
    )
    assert any(isinstance(e, Preparing) and "L2-SP needs a pretrained" in e.stage for e in events)


def test_semi_supervised_run_learns_from_extra_unlabelled_images(painted_sample):
    sample, painted = painted_sample
    other = nf.voronoi_grains((96, 96), 8, seed=9).image
    model, history = nf.fit(
        sample.image, painted, semi_supervised=True, unlabelled=[other], **small()
    )
    options = model.provenance[-1]["options"]
    assert options["semi_supervised"] is True and options["unlabelled_planes"] == 1
    assert len(history) == 1 and np.isfinite(history[0]["train_loss"])
    result = reproduce(model, [sample.image], [painted])
    assert any("1 unlabelled planes then" in note for note in result.notes)
    assert result.model.provenance[-1]["options"]["semi_supervised"] is True


def test_a_dann_run_records_its_source_and_an_older_record_is_retrained_with_a_note(
    painted_sample,
):
    sample, painted = painted_sample
    model, _ = nf.fit(sample.image, painted, "world-unet", adaptation="dann", **small())
    assert model.provenance[-1]["options"]["domain_source"] == "wider world"
    again = reproduce(model, [sample.image], [painted])
    assert again.identical and again.expected_identical
    # Recorded before the source followed the start model: it aligned with Voronoi grains.
    del model.provenance[-1]["options"]["domain_source"]
    older = reproduce(model, [sample.image], [painted])
    assert "aligned with synthetic Voronoi grains then, with wider world now" in older.notes
    assert not older.expected_identical
    plain, _ = nf.fit(sample.image, painted, "voronoi-unet", adaptation="mmd", **small())
    assert plain.provenance[-1]["options"]["domain_source"] == "Voronoi grains"
    assert (
        "domain_source"
        not in nf.fit(sample.image, painted, **small())[0].provenance[-1]["options"]
    )


def test_strokes_get_the_slow_weighing_teacher_a_new_head_or_a_box_the_fast_one(
    painted_sample, monkeypatch
):
    import napari_finetune.training.step as step

    seen = []

    def spy(logits, target, dice_weight=1.0, class_weights=None):
        seen.append(class_weights)
        return painted_loss(logits, target, dice_weight, class_weights)

    monkeypatch.setattr(step, "painted_loss", spy)
    crops = []  # unlabelled crops the teacher is asked for, per step
    inputs = MeanTeacher.inputs

    def counted(self, n, device):
        crops.append(n)
        return inputs(self, n, device)

    monkeypatch.setattr(MeanTeacher, "inputs", counted)
    sample, painted = painted_sample
    model, _ = nf.fit(sample.image, painted, semi_supervised=True, **small())
    assert model.provenance[-1]["options"]["teacher"] == {
        "decay": TEACHER_DECAY,
        "class_weights": True,
        "weight": KEPT_START_PSEUDO_WEIGHT,
        "crops_per_patch": KEPT_START_CROPS,
    }
    # A quarter as many unlabelled crops as painted patches (batch 4: 1 crop).
    assert crops == [round(4 * KEPT_START_CROPS)] * 4 == [1] * 4
    # Each step trains on the weighted loss (and shows the plain one on the curves).
    weighted = [w for w in seen if w is not None]
    assert len(weighted) == 4 and all(w.shape == (2,) for w in weighted)
    # A third class gives world-unet a new head: its teacher follows fast, weighs nothing.
    third = painted.copy()
    third[:6, :6] = 3
    seen.clear()
    crops.clear()
    model, _ = nf.fit(sample.image, third, semi_supervised=True, **small())
    assert model.provenance[-1]["options"]["teacher"] == {
        "decay": FRESH_TEACHER_DECAY,
        "class_weights": False,
        "weight": PSEUDO_WEIGHT,
        "crops_per_patch": FRESH_CROPS,
    }
    assert crops == [round(4 * FRESH_CROPS)] * 4 == [2] * 4
    assert len(seen) == 4 and all(w is None for w in seen)
    # A box painted completely (its classes meet): the fast teacher, unweighted.
    box = np.zeros_like(painted)
    box[:64, :64] = sample.classes[:64, :64]
    seen.clear()
    model, _ = nf.fit(sample.image, box, semi_supervised=True, **small())
    assert model.provenance[-1]["options"]["teacher"]["decay"] == FRESH_TEACHER_DECAY
    assert seen == [None] * 4
    seen.clear()
    model, _ = nf.fit(sample.image, painted, semi_supervised=False, **small())
    assert "teacher" not in model.provenance[-1]["options"] and seen == [None] * 4


def test_a_pseudo_label_run_recorded_before_the_slow_teacher_retrains_with_a_note(
    painted_sample,
):
    sample, painted = painted_sample
    model, _ = nf.fit(sample.image, painted, semi_supervised=True, **small())
    assert reproduce(model, [sample.image], [painted]).identical
    now = (
        "a mean teacher decaying 0.995 a step, painted classes weighed to the images, "
        "pseudo-labels weighing 2.0 on 0.25 crops per painted patch now"
    )
    recorded = {
        None: "a mean teacher decaying 0.95 a step, painted classes unweighted",  # before it was
        # The slow teacher, recorded before its pseudo-labels' weight rose (and crops fell).
        "slow": "a mean teacher decaying 0.995 a step, painted classes weighed to the images",
    }
    for teacher, then in recorded.items():
        options = model.provenance[-1]["options"]
        options.pop("teacher", None)
        if teacher == "slow":
            options["teacher"] = {"decay": 0.995, "class_weights": True}
        older = reproduce(model, [sample.image], [painted])
        old_crops = "pseudo-labels weighing 0.5 on 0.5 crops per painted patch then"
        assert f"{then}, {old_crops}, {now}" in older.notes
        assert not older.expected_identical
    # Recorded at weight 1, before its crops were recorded (they were half the patches).
    model.provenance[-1]["options"]["teacher"] = {
        "decay": 0.995,
        "class_weights": True,
        "weight": 1.0,
    }
    older = reproduce(model, [sample.image], [painted])
    then = "pseudo-labels weighing 1.0 on 0.5 crops per painted patch then"
    assert any(then in note for note in older.notes)


def test_a_box_or_scratch_pseudo_label_run_recorded_before_retrains_without_a_teacher_note(
    painted_sample,
):
    sample, painted = painted_sample
    box = np.zeros_like(painted)
    box[:64, :64] = sample.classes[:64, :64]
    model, _ = nf.fit(sample.image, box, semi_supervised=True, **small())
    del model.provenance[-1]["options"]["teacher"]  # as recorded before: the same teacher
    older = reproduce(model, [sample.image], [box])
    assert not any("mean teacher" in note for note in older.notes)
    assert older.identical and older.expected_identical
    # Recorded with its weight, before the crops were: the same half as many crops.
    model.provenance[-1]["options"]["teacher"] = {
        "decay": FRESH_TEACHER_DECAY,
        "class_weights": False,
        "weight": PSEUDO_WEIGHT,
    }
    older = reproduce(model, [sample.image], [box])
    assert not any("mean teacher" in note for note in older.notes) and older.identical
    scratch, _ = nf.fit(sample.image, painted, strategy="scratch", semi_supervised=True, **small())
    assert scratch.provenance[-1]["options"]["teacher"]["decay"] == FRESH_TEACHER_DECAY


def test_with_pseudo_labels_and_alignment_each_sees_its_own_share_of_the_batch(
    painted_sample, monkeypatch
):
    # Strokes' teacher asks for a quarter as many crops as painted patches, the
    # aligned source half as many: the bottleneck split must follow each.
    from napari_finetune.training.domain import DomainAlignment

    sizes = []
    loss = DomainAlignment.loss

    def spy(self, source, target, progress):
        sizes.append((len(source), len(target)))
        return loss(self, source, target, progress)

    monkeypatch.setattr(DomainAlignment, "loss", spy)
    sample, painted = painted_sample
    nf.fit(sample.image, painted, adaptation="mmd", semi_supervised=True, **small(batch_size=8))
    # 8 painted patches + 2 teacher crops against 4 source patches, every step.
    assert sizes == [(round(8 * 0.5), 8 + round(8 * KEPT_START_CROPS))] * 4 == [(4, 10)] * 4
