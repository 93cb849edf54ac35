"""One device choice for training, prediction and uncertainty (models/device.py).

These machines have no GPU: the CUDA and MPS answers are checked with PyTorch's
own availability functions patched, and every path that must refuse a missing
GPU is checked to refuse it in words before any work.
"""

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune import cli
from napari_finetune.models import device as dev
from napari_finetune.models.device import (
    available_devices,
    device_choices_here,
    resolve_device,
    training_autocast_dtype,
)
from napari_finetune.session import RoundOptions

no_gpu = pytest.mark.skipif(
    torch.cuda.is_available() or dev._mps_available(), reason="this machine has a GPU"
)


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)


@no_gpu
def test_auto_is_the_cpu_on_a_machine_without_a_gpu():
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device(None) == torch.device("cpu")
    assert available_devices() == ["cpu"]
    assert device_choices_here() == ["auto", "cpu"]


def test_auto_prefers_cuda_then_mps(two_gpus, monkeypatch):
    assert resolve_device("auto") == torch.device("cuda", 0)
    assert available_devices() == ["cuda:0", "cuda:1", "cpu"]
    assert device_choices_here() == ["auto", "cuda", "cpu"]
    assert resolve_device("cuda") == torch.device("cuda", 0)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(dev, "_mps_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    assert device_choices_here() == ["auto", "mps", "cpu"]


def test_a_gpu_index_past_the_last_is_refused(two_gpus):
    with pytest.raises(ValueError, match=r"has 2 CUDA GPU\(s\), cuda:0 to cuda:1"):
        resolve_device("cuda:2")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tpu", "device 'tpu' is unknown: choose one of auto, cpu, cuda, mps"),
        ("gpu", "device 'gpu' is unknown"),
        ("", "device '' is unknown"),
    ],
)
def test_unknown_devices_are_refused_with_the_choices(name, message):
    with pytest.raises(ValueError, match=message):
        resolve_device(name)


@no_gpu
def test_missing_cuda_and_mps_are_said_in_words():
    why = "without CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
    with pytest.raises(ValueError, match=f"device 'cuda' was asked for, but .*{why}.*cpu"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="MPS is not available here"):
        resolve_device("mps")


def test_training_autocasts_only_on_cuda_gpus_with_bfloat16(monkeypatch):
    assert training_autocast_dtype(torch.device("cpu")) is None
    assert training_autocast_dtype(torch.device("mps")) is None
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert training_autocast_dtype(torch.device("cuda", 0)) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert training_autocast_dtype(torch.device("cuda", 0)) is None


def test_predict_and_uncertainty_on_the_cpu_equal_the_default(model):
    image = nf.voronoi_grains((96, 80), 8, seed=2).image
    assert np.array_equal(nf.predict(model, image, device="cpu"), nf.predict(model, image))
    assert np.array_equal(nf.uncertainty(model, image, device="cpu"), nf.uncertainty(model, image))
    assert next(model.net.parameters()).device.type == "cpu"  # the model is not moved


@no_gpu
@pytest.mark.parametrize("method", ["entropy", "mc_dropout"])
def test_a_missing_gpu_is_refused_before_predicting(model, method):
    image = np.zeros((64, 64), np.float32)
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        nf.predict(model, image, device="cuda")
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        nf.uncertainty(model, image, method=method, device="cuda")


def test_onnxruntime_runs_on_the_cpu_only(model, two_gpus):
    pytest.importorskip("onnxruntime")
    with pytest.raises(ValueError, match="runs on the CPU only, not on cuda:0"):
        nf.predict(model, np.zeros((64, 64), np.float32), backend="onnxruntime", device="cuda")


@no_gpu
def test_training_refuses_a_missing_gpu_before_any_work():
    sample = nf.voronoi_grains((64, 64), 4, seed=0)
    events = nf.finetune(sample.image, sample.classes, device="cuda")
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        next(events)
    with pytest.raises(ValueError, match="device 'mps' was asked for"):
        RoundOptions(device="mps")


def test_training_records_its_device_and_precision():
    sample = nf.voronoi_grains((96, 96), 8, seed=0)
    events = list(
        nf.finetune(
            sample.image,
            sample.classes,
            steps=2,
            batch_size=2,
            patch_size=64,
            validation_fraction=0,
            device="cpu",
        )
    )
    started = next(e for e in events if isinstance(e, nf.training.Started))
    assert started.device == "cpu"
    record = events[-1].model.provenance[-1]
    assert (record["device"], record["precision"]) == ("cpu", "float32")


@no_gpu
@pytest.mark.parametrize("job", [["pretrain", "--minutes", "0.01"], ["demo", "--seconds", "1"]])
def test_cli_jobs_refuse_a_missing_gpu_with_exit_2(tmp_path, capsys, job):
    output = tmp_path / "out.png"
    assert cli.main([*job, "--output", str(output), "--device", "cuda"]) == 2
    assert "device 'cuda' was asked for" in capsys.readouterr().err
    assert not output.exists()


@no_gpu
def test_folder_and_large_image_runs_refuse_a_missing_gpu_before_writing(tmp_path, model, capsys):
    import tifffile

    folder = tmp_path / "in"
    folder.mkdir()
    tifffile.imwrite(folder / "a.tif", nf.voronoi_grains((64, 64), 4, seed=0).image)
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        nf.predict_folder(model, folder, tmp_path / "out", device="cuda")
    with pytest.raises(ValueError, match="device 'cuda' was asked for"):
        nf.predict_lazy(model, folder / "a.tif", tmp_path / "a.zarr", device="cuda")
    args = ["predict", str(folder), "--output", str(tmp_path / "out"), "--device", "cuda"]
    assert cli.main(args) == 2
    assert "device 'cuda' was asked for" in capsys.readouterr().err
    assert not any((tmp_path / "out").glob("*.tif")) and not (tmp_path / "a.zarr").exists()
    # The default: where the model's weights are (the CPU here).
    summary = nf.predict_folder(model, folder, tmp_path / "out", device="cpu")
    assert summary.ok and (tmp_path / "out" / "a_prediction.tif").is_file()


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
def test_a_model_trained_on_a_gpu_predicts_exports_and_travels(tmp_path):
    sample = nf.voronoi_grains((128, 128), 10, seed=0)
    model, _ = nf.fit(
        sample.image, sample.classes, steps=3, batch_size=2, patch_size=64, device="cuda"
    )
    assert next(model.net.parameters()).device.type == "cuda"
    on_gpu = nf.predict(model, sample.image)
    on_cpu = nf.predict(model, sample.image, device="cpu")
    # float32 both, TF32 off (full_float32): bench_device.py measured 1.3e-6 on an H200.
    assert np.abs(on_gpu - on_cpu).max() < 1e-4
    assert next(model.net.parameters()).device.type == "cuda"  # not moved
    nf.export_onnx(model, tmp_path / "m.onnx")  # traced on the CPU
    pytest.importorskip("onnxruntime")
    runtime = nf.predict(model, sample.image, backend="onnxruntime")
    assert np.abs(runtime - on_cpu).max() < 1e-4
    from napari_finetune.models import save_model
    from napari_finetune.models.registry import load_model

    loaded = load_model(save_model(model, tmp_path / "m.ckpt"))  # CPU tensors in the file
    assert next(loaded.net.parameters()).device.type == "cpu"
