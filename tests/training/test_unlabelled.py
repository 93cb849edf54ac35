import numpy as np
import pytest
import torch
from torch import nn

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import PaintedPlane
from napari_finetune.training.losses import painted_loss
from napari_finetune.training.unlabelled import (
    CONFIDENCE,
    FRESH_CROPS,
    FRESH_TEACHER_DECAY,
    KEPT_START_CROPS,
    KEPT_START_PSEUDO_WEIGHT,
    PRIOR_WEIGHT_RANGE,
    PSEUDO_WEIGHT,
    TEACHER_DECAY,
    MeanTeacher,
    UnpaintedCrops,
    ramp,
)


class HalfSure(nn.Module):
    """Sure of class 2 on the left half of every crop, unsure on the right."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        logits = torch.zeros(len(x), 2, *x.shape[-2:])
        half = x.shape[-1] // 2
        logits[:, 1, :, :half] = 10.0 * self.scale
        return logits


def plane(painted_rows=0):
    labels = np.zeros((40, 40), np.int64)
    labels[:painted_rows] = 1
    return PaintedPlane(np.random.default_rng(0).random((40, 40, 1), np.float32), labels, 0)


def test_ramp_starts_near_zero_and_reaches_one():
    values = [ramp(p) for p in (0.0, 0.1, 0.2, 0.3, 0.9)]
    assert values[0] < 0.01 and values == sorted(values) and values[-2:] == [1.0, 1.0]


def test_crops_say_which_pixels_nobody_painted():
    crops = UnpaintedCrops([plane(painted_rows=20)], [], patch_size=40, seed=0)
    image, free = crops.crop()
    assert image.shape == (40, 40, 1) and not free[:20].any() and free[20:].all()
    # Smaller planes are mirrored out; the mirrored pixels are not free.
    image, free = UnpaintedCrops([], [np.zeros((20, 30, 1), np.float32)], 32, 0).crop()
    assert image.shape == (32, 32, 1) and free[:20, :30].all() and not free[20:].any()


def test_nothing_unpainted_means_no_crops():
    assert not UnpaintedCrops([plane(painted_rows=40)], [], 32, 0).has_pixels
    assert UnpaintedCrops([plane(painted_rows=40)], [np.zeros((32, 32, 1))], 32, 0).has_pixels


def test_pseudo_labels_only_where_the_teacher_is_sure_and_nothing_is_painted():
    crops = UnpaintedCrops([plane(painted_rows=10)], [], patch_size=40, seed=0)
    teacher = MeanTeacher(HalfSure(), crops, pipeline=None, seed=0)
    x = teacher.inputs(2, torch.device("cpu"))
    assert x.shape == (2, 1, 40, 40)
    targets = teacher.targets
    assert (targets[:, 10:, :20] == 1).all()  # class 2 as an index, where sure and free
    assert (targets[:, :, 20:] == -1).all()  # unsure: ignored
    assert (targets[:, :10] == -1).all()  # painted by the user: the painting teaches there
    assert 0 < teacher.confident < 1 and CONFIDENCE > 0.5


def test_pseudo_labels_travel_with_the_augmentation():
    pipeline = AugmentationPipeline.from_preset("equiaxed")
    for setting in pipeline.active:
        pipeline = pipeline.with_enabled(setting.name, setting.name == "HorizontalFlip")
    pipeline = pipeline.with_probability("HorizontalFlip", 1.0)
    crops = UnpaintedCrops([plane()], [], patch_size=40, seed=0)
    teacher = MeanTeacher(HalfSure(), crops, pipeline=pipeline, seed=0)
    x = teacher.inputs(2, torch.device("cpu"))
    # The teacher was sure on the left half; flipped with the image, the
    # pseudo-labels are now on the right half, where the flipped pixels are.
    assert (teacher.targets[:, :, 20:] == 1).all() and (teacher.targets[:, :, :20] == -1).all()
    image = crops.sources[0][0]
    assert torch.equal(x[0, 0], torch.from_numpy(image[:, ::-1, 0].copy()))


def test_the_teacher_follows_the_student_slowly():
    student = HalfSure()
    teacher = MeanTeacher(student, UnpaintedCrops([plane()], [], 40, 0), None, 0, keeps_start=True)
    with torch.no_grad():
        student.scale.fill_(2.0)
    teacher.follow(student)
    moved = float(teacher.teacher.scale)
    # One step moves it 1 - TEACHER_DECAY of the way (1.0 -> 2.0), not all of it.
    assert moved == pytest.approx(1.0 + (1.0 - TEACHER_DECAY))
    assert 1.0 < moved < 1.1
    assert not teacher.teacher.scale.requires_grad


def test_painted_classes_are_weighed_to_the_images_class_mix():
    # HalfSure sees class 2 (index 1) on the left half (probability ~1) and
    # guesses 50/50 on the right: the images hold ~25 % class 1, ~75 % class 2.
    teacher = MeanTeacher(
        HalfSure(), UnpaintedCrops([plane()], [], 40, 0), None, 0, keeps_start=True
    )
    target = torch.full((1, 8, 8), -1)
    target[0, :2] = 0  # 16 px of class 1 painted
    target[0, 6:] = 1  # 16 px of class 2: painted half and half
    assert teacher.painted_weights(target) is None  # the teacher has seen no crop yet
    teacher.inputs(2, torch.device("cpu"))
    assert teacher.class_share.tolist() == pytest.approx([0.25, 0.75], abs=1e-3)
    # Each class: its share of the images over its share of the painting.
    assert teacher.painted_weights(target).tolist() == pytest.approx([0.5, 1.5], abs=1e-3)
    assert teacher.painted_weights(torch.full((1, 8, 8), -1)) is None
    # A class the teacher hardly sees, painted a lot, keeps a say: the bounds hold.
    teacher.class_share = torch.tensor([0.001, 0.999])
    weights = teacher.painted_weights(target)
    assert weights.tolist() == pytest.approx([PRIOR_WEIGHT_RANGE[0], 1.998], abs=1e-3)


def test_class_weights_make_the_cross_entropy_a_weighted_mean_over_painted_pixels():
    logits = torch.randn(1, 2, 8, 8)
    target = torch.full((1, 8, 8), -1)
    target[0, :2] = 0
    target[0, 2:3] = 1
    weights = torch.tensor([0.5, 3.0])
    each = torch.nn.functional.cross_entropy(logits, target, ignore_index=-1, reduction="none")
    painted = target != -1
    by_hand = (each * weights[target.clamp_min(0)])[painted].sum() / weights[target[painted]].sum()
    plain_ce = torch.nn.functional.cross_entropy(logits, target, ignore_index=-1)
    dice_part = painted_loss(logits, target) - plain_ce
    weighted = painted_loss(logits, target, class_weights=weights)
    assert weighted.item() == pytest.approx((by_hand + dice_part).item(), rel=1e-5)
    assert weighted.item() != pytest.approx(painted_loss(logits, target).item(), rel=1e-3)


def test_the_class_mix_is_a_running_mean_over_every_crop_and_a_new_head_gives_none():
    net = HalfSure()
    teacher = MeanTeacher(net, UnpaintedCrops([plane()], [], 40, 0), None, 0, keeps_start=True)
    teacher.inputs(2, torch.device("cpu"))  # class 2 ~75 %
    with torch.no_grad():
        teacher.teacher.scale.fill_(0.0)  # now unsure everywhere: 50 / 50
    teacher.inputs(2, torch.device("cpu"))
    assert teacher.class_share.tolist() == pytest.approx([0.375, 0.625], abs=1e-3)
    fresh = MeanTeacher(net, UnpaintedCrops([plane()], [], 40, 0), None, 0, keeps_start=False)
    fresh.inputs(2, torch.device("cpu"))
    target = torch.zeros((1, 4, 4), dtype=torch.int64)
    assert fresh.painted_weights(target) is None and teacher.painted_weights(target) is not None
    assert fresh.describe() == {
        "decay": FRESH_TEACHER_DECAY,
        "class_weights": False,
        "weight": PSEUDO_WEIGHT,
        "crops_per_patch": FRESH_CROPS,
    }
    assert teacher.describe()["weight"] == KEPT_START_PSEUDO_WEIGHT
    assert teacher.describe()["crops_per_patch"] == KEPT_START_CROPS


def test_pseudo_labels_weigh_twice_the_painting_for_strokes_half_as_much_otherwise():
    net = HalfSure()
    for keeps_start, weight in ((True, KEPT_START_PSEUDO_WEIGHT), (False, PSEUDO_WEIGHT)):
        teacher = MeanTeacher(net, UnpaintedCrops([plane()], [], 40, 0), None, 0, keeps_start)
        teacher.inputs(2, torch.device("cpu"))
        logits = torch.randn(2, 2, 40, 40)
        plain = painted_loss(logits, teacher.targets)
        assert teacher.loss(logits, 1.0).item() == pytest.approx(weight * plain.item())
        assert teacher.loss(logits, 0.0).item() < 0.01 * weight * plain.item()  # ramped up
    assert (KEPT_START_PSEUDO_WEIGHT, PSEUDO_WEIGHT) == (2.0, 0.5)
