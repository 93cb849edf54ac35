import numpy as np
import pytest
import torch

from napari_finetune.data.normalize import Normalization
from napari_finetune.training.domain import (
    DomainAlignment,
    SourcePatches,
    feature_vectors,
    learned_the_wider_world,
    mmd,
    reversal_strength,
)


def test_mmd_is_small_for_one_distribution_and_large_for_shifted_ones():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(200, 8, generator=generator)
    b = torch.randn(200, 8, generator=generator)
    same, near, far = mmd(a, b), mmd(a, b + 0.5), mmd(a, b + 2.0)
    assert same < near < far and far > 10 * same
    assert mmd(a, a) < same  # the biased estimate: only the finite-sample bias is left


def test_feature_vectors_are_per_location_and_capped():
    features = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    vectors = feature_vectors(features, 1000, torch.Generator().manual_seed(0))
    assert vectors.shape == (40, 3)
    assert torch.equal(vectors[0], features[0, :, 0, 0])
    assert feature_vectors(features, 7, torch.Generator().manual_seed(0)).shape == (7, 3)


def test_reversal_ramps_from_zero_toward_one():
    values = [reversal_strength(p) for p in (0.0, 0.1, 0.5, 1.0)]
    assert values[0] == 0 and values == sorted(values) and 0.99 < values[-1] <= 1


def test_dann_trains_the_classifier_and_reverses_the_encoders_gradient():
    alignment = DomainAlignment("dann", source=None, bottleneck_channels=4, seed=0)
    source = torch.randn(2, 4, 3, 3, requires_grad=True)
    target = torch.randn(2, 4, 3, 3) + 1
    loss = alignment.loss(source, target, progress=1.0)
    loss.backward()
    # Descending the reversed gradient makes the domains *harder* to tell apart.
    with torch.no_grad():
        moved = source - 10.0 * source.grad
        after = alignment.loss(moved, target, 1.0)
    assert after > loss
    assert all(p.grad is not None for p in alignment.classifier.parameters())


def test_source_patches_are_normalised_crops_with_the_models_channels():
    patches = SourcePatches(Normalization(), channels=3, patch_size=64, seed=0)
    batch = patches.batch(3)
    assert batch.shape == (3, 3, 64, 64)
    assert torch.equal(batch[:, 0], batch[:, 2])  # grey rendering shown as RGB
    again = SourcePatches(Normalization(), channels=3, patch_size=64, seed=0).batch(3)
    assert torch.equal(batch, again)
    assert np.isfinite(batch.numpy()).all()


def test_the_source_is_the_world_the_start_model_was_pretrained_on(monkeypatch):
    import napari_finetune as nf
    from napari_finetune.synth.strokes import paint_strokes
    from napari_finetune.training import objectives

    world = SourcePatches(Normalization(), channels=1, patch_size=64, seed=0, world=True)
    grains = SourcePatches(Normalization(), channels=1, patch_size=64, seed=0)
    assert not np.array_equal(world.pool[0], grains.pool[0])
    # Read from the pretraining records, which fine-tuned descendants carry on.
    assert learned_the_wider_world(nf.load_model("world-unet").history)
    assert not learned_the_wider_world(nf.load_model("voronoi-unet").history)
    assert not learned_the_wider_world([])

    class Rendered(Exception):
        pass

    def source(*args):
        raise Rendered(args[-1])

    monkeypatch.setattr(objectives, "SourcePatches", source)
    image = nf.voronoi_grains((96, 96), 8, seed=0)
    labels = paint_strokes(image, 6, 2, seed=0)
    for name, expected in (("world-unet", True), ("voronoi-unet", False)):
        with pytest.raises(Rendered) as rendered:
            nf.fit(image.image, labels, name, adaptation="dann", steps=1, seed=0)
        assert rendered.value.args[0] is expected
