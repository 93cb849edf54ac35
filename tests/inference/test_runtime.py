"""The inference backends: ONNX Runtime agrees with PyTorch and follows the weights."""

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune._sample_data import sample_data_dir
from napari_finetune.data.io import read_image
from napari_finetune.inference import runtime
from napari_finetune.inference.runtime import logits_function, resolve_backend

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def steel():
    """A real micrograph (NIST etched steel, shipped with the plugin), grey."""
    image = read_image(sample_data_dir() / "nist_steel" / "image.png")
    return image if image.ndim == 2 else image[..., :3].mean(axis=-1)


def as_trained(model, image):
    """Probabilities from the network as trained: unfused, default layout (the reference)."""
    from napari_finetune.inference.predict import predict_plane

    return predict_plane(model, model.normalization(image[..., None]), backend=None)


@pytest.mark.parametrize("shape", [(16, 16), (97, 251), (300, 200), (515, 1037)])
def test_both_backends_equal_the_network_as_trained_on_random_images(model, shape):
    image = np.random.default_rng(1).random(shape).astype(np.float32) * 4000
    reference = as_trained(model, image)
    for backend in ("onnxruntime", "torch"):
        assert np.abs(nf.predict(model, image, backend=backend) - reference).max() < 1e-4


def test_onnxruntime_equals_torch_on_a_real_micrograph(model, steel):
    fast = nf.predict(model, steel, backend="onnxruntime")
    eager = nf.predict(model, steel, backend="torch")
    assert np.abs(fast - eager).max() < 1e-4
    assert np.abs(fast - as_trained(model, steel)).max() < 1e-4
    fast_unc = nf.uncertainty(model, steel, backend="onnxruntime")
    eager_unc = nf.uncertainty(model, steel, backend="torch")
    assert np.abs(fast_unc - eager_unc).max() < 1e-4


def test_test_time_augmentation_runs_on_onnxruntime(model):
    image = nf.voronoi_grains((96, 96), 8, seed=3).image
    fast = nf.uncertainty(model, image, method="tta", backend="onnxruntime")
    eager = nf.uncertainty(model, image, method="tta", backend="torch")
    assert np.abs(fast - eager).max() < 1e-4


def test_a_session_follows_weight_changes(model):
    """After a training step the fast path must use the new weights, not the cached ones."""
    changed = model.copy()
    image = nf.voronoi_grains((64, 64), 6, seed=4).image
    before = nf.predict(changed, image)
    with torch.no_grad():
        changed.net.head.bias += torch.tensor([2.0, -2.0])
    after = nf.predict(changed, image)
    assert np.abs(after - before).max() > 0.1
    np.testing.assert_allclose(after, nf.predict(changed, image, backend="torch"), atol=1e-4)


def test_a_session_follows_batchnorm_statistics(model):
    """AdaBN changes buffers, not parameters: the cache key must include them."""
    changed = model.copy()
    image = nf.voronoi_grains((64, 64), 6, seed=5).image
    before = nf.predict(changed, image)
    with torch.no_grad():
        changed.net.encoder_stages[0][1].running_mean += 0.5
    after = nf.predict(changed, image)
    assert np.abs(after - before).max() > 1e-3
    np.testing.assert_allclose(after, nf.predict(changed, image, backend="torch"), atol=1e-4)


def test_sessions_are_reused_while_weights_stay(model, monkeypatch):
    image = nf.voronoi_grains((64, 64), 6, seed=6).image
    nf.predict(model, image)
    built = []
    original = runtime._new_session
    monkeypatch.setattr(runtime, "_new_session", lambda *a: built.append(1) or original(*a))
    nf.predict(model, image)
    nf.uncertainty(model, image)
    assert built == []


def test_prediction_leaves_the_model_as_it_was(model):
    trained = model.copy()
    trained.net.train()
    before = {k: v.clone() for k, v in trained.net.state_dict().items()}
    nf.predict(trained, nf.voronoi_grains((64, 64), 6, seed=7).image)
    after = trained.net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_unknown_backend_is_refused_in_words(model):
    with pytest.raises(ValueError, match="backend='tensorrt' is unknown"):
        nf.predict(model, np.zeros((32, 32), np.float32), backend="tensorrt")


def test_auto_needs_no_extra_package_and_a_missing_onnxruntime_is_named(monkeypatch):
    monkeypatch.setattr(runtime, "onnxruntime_available", lambda: False)
    assert resolve_backend("auto") == "torch"
    with pytest.raises(ValueError, match="onnxruntime is not installed"):
        nf.predict(nf.load_model("voronoi-unet"), np.zeros((32, 32)), backend="onnxruntime")


def test_torch_backend_runs_a_prepared_copy_and_leaves_the_network_alone(model):
    prepared = logits_function(model, "torch")
    assert prepared is not model.net
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in prepared.modules())
    first = prepared.encoder_stages[0][0].weight
    assert first.is_contiguous(memory_format=torch.channels_last)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.net.modules())
    assert logits_function(model, "torch") is prepared  # cached while the weights stay


@pytest.mark.parametrize("method", ["mc_dropout", "mutual_information"])
def test_dropout_methods_leave_the_users_network_in_evaluation_mode(model, method):
    image = nf.voronoi_grains((64, 64), 6, seed=8).image
    model.net.eval()
    first = nf.uncertainty(model, image, method=method, samples=4)
    assert not any(m.training for m in model.net.modules())
    np.testing.assert_array_equal(first, nf.uncertainty(model, image, method=method, samples=4))
