import numpy as np
import pytest
import torch
from torch import nn

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import PaintedPlane
from napari_finetune.training.unlabelled import (
    CONFIDENCE,
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
    teacher = MeanTeacher(student, UnpaintedCrops([plane()], [], 40, 0), None, 0)
    with torch.no_grad():
        student.scale.fill_(2.0)
    teacher.follow(student)
    moved = float(teacher.teacher.scale)
    # One step moves it 1 - TEACHER_DECAY of the way (1.0 -> 2.0), not all of it.
    assert moved == pytest.approx(1.0 + (1.0 - TEACHER_DECAY))
    assert 1.0 < moved < 1.1
    assert not teacher.teacher.scale.requires_grad
