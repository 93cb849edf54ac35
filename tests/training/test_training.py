import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune.augment import AugmentationPipeline
from napari_finetune.models import SegmentationModel
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import EpochEnd, Finished, Preparing, Started, Step
from napari_finetune.training import strategies as st
from napari_finetune.training.engine import STEPS_PER_EPOCH
from napari_finetune.training.losses import painted_loss


@pytest.fixture(scope="module")
def painted_sample():
    sample = nf.voronoi_grains((192, 192), 16, seed=3)
    return sample, paint_strokes(sample, n_boundary_strokes=5, n_interior_strokes=6, seed=1)


def small(**kwargs):
    return {"batch_size": 4, "patch_size": 64, "seed": 0} | kwargs


def state(model):
    return {k: v.clone() for k, v in model.net.state_dict().items()}


def test_loss_ignores_unpainted_pixels():
    torch.manual_seed(0)
    logits = torch.randn(1, 2, 8, 8, requires_grad=True)
    target = torch.full((1, 8, 8), -1)
    target[0, :2, :2] = 0
    target[0, 5:, 5:] = 1
    base = painted_loss(logits, target)
    changed = logits.detach().clone()
    changed[0, :, 3, 3] += 10  # an unpainted pixel
    assert painted_loss(changed, target).item() == pytest.approx(base.item())
    base.backward()
    assert logits.grad[0, :, 3, 3].abs().sum() == 0
    assert painted_loss(logits, torch.full((1, 8, 8), -1)).item() == 0


def test_finetune_learning_rates_grow_with_depth():
    rates = st.learning_rates(SegmentationModel.create().net, "finetune")
    encoder = [rates[f"encoder.{i}"] for i in range(5)]
    assert encoder == sorted(encoder)
    assert encoder[0] == pytest.approx(1e-4) and encoder[-1] == pytest.approx(1e-3)
    assert rates["decoder"] == rates["head"] == pytest.approx(1e-3)


def test_gradual_unfreezes_deepest_stages_first():
    net = SegmentationModel.create().net
    assert st.initially_frozen(net, "gradual") == {f"encoder.{i}" for i in range(5)}
    early, late = st.unfrozen_by(net, "gradual", 0.25), st.unfrozen_by(net, "gradual", 0.65)
    assert "encoder.4" in early and "encoder.0" not in early
    assert early < late
    assert st.unfrozen_by(net, "gradual", 1.0) == {f"encoder.{i}" for i in range(5)}
    # 5 stages over 4 points: 2, 3, 4, then the shallowest at 80 % of the run, not 60 %
    freed = [len(st.unfrozen_by(net, "gradual", p)) for p in (0.1, 0.2, 0.4, 0.6, 0.79, 0.8)]
    assert freed == [0, 2, 3, 4, 4, 5]


def test_events_come_once_per_batch_then_per_epoch(painted_sample):
    sample, painted = painted_sample
    steps = STEPS_PER_EPOCH + 5
    events = list(
        nf.finetune(
            sample.image,
            painted,
            None,
            strategy="scratch",
            steps=steps,
            fold_in=False,  # every epoch validated (test_fold_in.py: the other case)
            semi_supervised=False,  # strokes: 'auto' would say it turns pseudo-labels on
            **small(),
        )
    )
    # Set-up first (scratch: no BatchNorm adaptation), then the run.
    assert [type(e) for e in events[:3]] == [Preparing, Preparing, Started]
    assert isinstance(events[-1], Finished)
    assert sum(isinstance(e, Step) for e in events) == steps
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 2  # one full epoch and the final partial one
    assert all(e.validation_score is not None for e in epochs)
    assert len(events[-1].history) == 2
    step = next(e for e in events if isinstance(e, Step))
    assert step.samples_per_second > 0 and set(step.learning_rates) >= {"decoder", "head"}


def test_head_strategy_leaves_the_encoder_untouched(painted_sample):
    sample, painted = painted_sample
    start = nf.load_model("voronoi-unet")
    before = state(start)
    model, _ = nf.fit(
        sample.image, painted, start, strategy="head", bn_mode="frozen", steps=10, **small()
    )
    after = state(model)
    encoder = [k for k in before if k.startswith("encoder_stages")]
    decoder = [k for k in before if k.startswith("decoder_stages") and "weight" in k]
    assert all(torch.equal(before[k], after[k]) for k in encoder)  # weights and BN stats
    assert any(not torch.equal(before[k], after[k]) for k in decoder)
    assert state(start).keys() == before.keys()
    assert all(torch.equal(state(start)[k], before[k]) for k in before)  # caller's model kept


def test_frozen_batchnorm_keeps_running_statistics(painted_sample):
    sample, painted = painted_sample
    start = nf.load_model("voronoi-unet")
    model, _ = nf.fit(
        sample.image, painted, start, strategy="finetune", bn_mode="frozen", steps=8, **small()
    )
    stats = [k for k in state(start) if "running_" in k]
    assert all(torch.equal(state(start)[k], state(model)[k]) for k in stats)


def test_adabn_reestimates_statistics_on_the_users_images(painted_sample):
    sample, painted = painted_sample
    start = nf.load_model("voronoi-unet")
    model, _ = nf.fit(
        sample.image * 5 + 3, painted, start, strategy="head", bn_mode="adabn", steps=2, **small()
    )
    first = "encoder_stages.0.1.running_mean"
    assert not torch.equal(state(start)[first], state(model)[first])


def test_same_seed_same_model(painted_sample):
    sample, painted = painted_sample
    a, _ = nf.fit(sample.image, painted, "voronoi-unet", steps=6, **small())
    b, _ = nf.fit(sample.image, painted, "voronoi-unet", steps=6, **small())
    assert all(torch.equal(v, state(b)[k]) for k, v in state(a).items())


def test_stopping_between_yields_keeps_the_best_model(painted_sample):
    sample, painted = painted_sample
    run = nf.finetune(sample.image, painted, "voronoi-unet", max_seconds=600, **small())
    model, best = None, None
    for event in run:
        if isinstance(event, Started):
            model = event.model
        if isinstance(event, EpochEnd):
            if event.is_best:
                best = state(model)
            if event.epoch == 2:
                break
    for _ in range(5):  # train on past the best, then the user clicks Stop
        next(run)
    assert any(not torch.equal(v, best[k]) for k, v in state(model).items())
    run.close()
    assert all(torch.equal(v, best[k]) for k, v in state(model).items())
    assert not model.net.training
    probabilities = nf.predict(model, sample.image)  # usable
    assert probabilities.shape == (2, *sample.image.shape)


def test_warm_start_appends_history_and_keeps_the_old_model(painted_sample):
    sample, painted = painted_sample
    first, _ = nf.fit(sample.image, painted, "voronoi-unet", steps=4, **small())
    kept = state(first)
    second, _ = nf.fit(sample.image, painted, first, steps=4, **small())
    assert all(torch.equal(v, state(first)[k]) for k, v in kept.items())
    assert {h["run"] for h in second.history if "run" in h and h.get("task") is None} >= {1, 2}


def test_new_classes_and_rgb_images_adapt_the_pretrained_model():
    rng = np.random.default_rng(0)
    image = rng.random((64, 64, 3))
    labels = np.zeros((64, 64), np.uint8)
    labels[5:15, 5:15], labels[30:40, 30:40], labels[50:60, 5:15] = 1, 2, 3
    model, _ = nf.fit(image, labels, "voronoi-unet", steps=3, validation_fraction=0, **small())
    assert model.n_classes == 3 and model.in_channels == 3
    assert nf.predict(model, image).shape == (3, 64, 64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "magic"}, "strategy='magic' is unknown"),
        ({"bn_mode": "sometimes"}, "bn_mode='sometimes' is unknown"),
        ({"steps": 0}, "steps=0"),
        ({"max_seconds": 0, "steps": None}, "positive, finite time budget"),
        ({"max_seconds": float("inf"), "steps": None}, "positive, finite time budget"),
        ({"model": "not-a-model"}, "neither a shipped model"),
        # Each of these reached torch or OpenCV before and came back as their text.
        ({"batch_size": 0}, "batch_size=0 must be between 1 and 256"),
        ({"patch_size": 0}, "patch_size=0 must be between 32"),
        ({"patch_size": 8}, "patch_size=8 must be between 32"),
        ({"patch_size": 64.5}, "patch_size=64.5 must be a whole number"),
        # Not a multiple of the 16-px pooling cell: it trained on stretched features.
        ({"patch_size": 40}, r"patch_size=40 must be a multiple of 16 .*e\.g\. 48"),
        ({"validation_fraction": 1.5}, "validation_fraction=1.5 must be a share"),
        ({"patience": 0}, "patience=0"),
    ],
)
def test_bad_training_arguments(painted_sample, kwargs, message):
    sample, painted = painted_sample
    args = {"steps": 2} | kwargs
    model = args.pop("model", "voronoi-unet")
    with pytest.raises(ValueError, match=message):
        nf.fit(sample.image, painted, model, **args)


def test_predicting_between_yields_does_not_change_how_training_runs(painted_sample):
    sample, painted = painted_sample
    run = nf.finetune(sample.image, painted, "voronoi-unet", bn_mode="adapt", steps=6, **small())
    started = next(e for e in run if isinstance(e, Started))
    model = started.model
    before = state(model)
    for event in run:
        if isinstance(event, Step):
            nf.predict(model, sample.image[:64, :64])  # a live preview leaves eval mode
    stats = [k for k in before if "running_mean" in k]
    # adapt mode still updated the BatchNorm statistics during the steps
    assert any(not torch.equal(before[k], state(model)[k]) for k in stats)


def test_finished_reports_the_kept_epoch_and_its_score(painted_sample):
    events = list(
        nf.finetune(
            painted_sample[0].image,
            painted_sample[1],
            steps=3 * STEPS_PER_EPOCH,
            augmentation=None,
            fold_in=False,  # after a fold-in the score is an earlier epoch's (test_fold_in.py)
            **small(),
        )
    )
    finished = events[-1]
    ends = {e.epoch: e for e in events if isinstance(e, EpochEnd)}
    assert finished.best_epoch in ends
    assert finished.best_score == ends[finished.best_epoch].validation_score
    assert ends[max(ends)].best_score == finished.best_score


def test_steps_say_how_much_of_this_runs_budget_is_left(painted_sample):
    events = list(
        nf.finetune(
            painted_sample[0].image, painted_sample[1], max_seconds=3, augmentation=None, **small()
        )
    )
    started = next(e for e in events if isinstance(e, Started))
    steps = [e for e in events if isinstance(e, Step)]
    assert started.max_seconds == 3 and started.device == "cpu"
    lefts = [s.time_left for s in steps]
    assert all(0 <= left <= 3 for left in lefts)
    assert lefts == sorted(lefts, reverse=True)
    assert all(abs(s.elapsed + s.time_left - 3) < 1e-6 for s in steps if s.time_left > 0)


def test_painted_classes_must_be_classes_not_ids(painted_sample):
    sample, painted = painted_sample
    gap = np.where(painted == 2, 7, painted).astype(np.int32)
    with pytest.raises(ValueError, match="classes 1, 7 are painted but 3, 4, 5, 6 are not"):
        nf.fit(sample.image, gap, "voronoi-unet", steps=1)
    with pytest.raises(ValueError, match="2, 3, 4, 5, 6 are not"):
        nf.fit(sample.image, gap, "voronoi-unet", strategy="scratch", steps=1)
    stray = painted.astype(np.int32)
    stray[0, 0] = 5000
    with pytest.raises(ValueError, match=r"value 5000 [(]1 px[)].*grain or cell ids"):
        nf.fit(sample.image, stray, "voronoi-unet", steps=1)
    grains = nf.voronoi_grains((192, 192), 30, seed=0)
    with pytest.raises(ValueError, match="grain or cell ids"):
        nf.fit(grains.image, grains.grains, "voronoi-unet", steps=1)
    # A class the start model knows may be left out of a round's painting.
    three, _ = nf.fit(
        sample.image, np.where(painted == 2, 3, painted), "voronoi-unet", steps=1, **small()
    )
    assert three.n_classes == 3


def test_thin_strips_and_rgba_images_train_and_predict():
    rng = np.random.default_rng(0)
    strip = rng.random((16, 1024)).astype(np.float32)
    labels = np.zeros(strip.shape, np.uint8)
    labels[:, :100], labels[:, 300:400] = 1, 2
    model, _ = nf.fit(strip, labels, "voronoi-unet", steps=2, **small())  # AdaBN on 16-px rows
    assert nf.predict(model, strip).shape == (2, 16, 1024)
    rgba = np.dstack([rng.random((64, 64, 3)), np.ones((64, 64))]).astype(np.float32)
    square = np.zeros((64, 64), np.uint8)
    square[5:20, 5:20], square[40:60, 40:60] = 1, 2
    coloured, _ = nf.fit(rgba, square, "voronoi-unet", steps=2, validation_fraction=0, **small())
    assert coloured.in_channels == 3
    np.testing.assert_array_equal(nf.predict(coloured, rgba), nf.predict(coloured, rgba[..., :3]))


def test_the_model_records_the_augmentation_of_its_last_run(painted_sample):
    image, painting = painted_sample[0].image, painted_sample[1]
    flipped, _ = nf.fit(image, painting, steps=2, augmentation="directional", **small())
    recorded = AugmentationPipeline.from_yaml(flipped.augmentation)
    assert recorded.preset == "directional" and recorded.active
    # trained again with none: the record says none, not the first run's flips
    plain, _ = nf.fit(image, painting, flipped, steps=2, augmentation=None, **small())
    assert flipped.augmentation is not None and plain.augmentation is None
