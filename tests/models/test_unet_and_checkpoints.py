import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from napari_finetune.models import (
    CheckpointError,
    SegmentationModel,
    UNet,
    UNetConfig,
    load_checkpoint,
    load_model,
    save_model,
)


@pytest.mark.parametrize("shape", [(64, 64), (37, 53), (100, 17), (16, 16)])
def test_any_image_size_gives_logits_of_that_size(shape):
    net = UNet(UNetConfig(n_classes=3)).eval()
    with torch.no_grad():
        out = net(torch.randn(2, 1, *shape))
    assert out.shape == (2, 3, *shape)


def test_parameter_groups_are_depth_ordered_and_cover_every_parameter_once():
    net = UNet()
    groups = net.parameter_groups()
    names = [name for name, _ in groups]
    assert names == [
        "encoder.0",
        "encoder.1",
        "encoder.2",
        "encoder.3",
        "encoder.4",
        "decoder",
        "head",
    ]
    grouped = [id(p) for _, params in groups for p in params]
    assert len(grouped) == len(set(grouped)) == len(list(net.parameters()))


def test_dropout_lives_in_the_decoder_only():
    net = UNet()
    for stage in net.encoder_stages:
        assert not any(isinstance(m, torch.nn.Dropout2d) for m in stage.modules())
    assert sum(isinstance(m, torch.nn.Dropout2d) for m in net.decoder_stages.modules()) == 4


def test_grey_to_rgb_adaptation_keeps_the_response():
    torch.manual_seed(0)
    net = UNet().eval()
    grey = torch.rand(1, 1, 48, 48)
    with torch.no_grad():
        before = net(grey)
        net.adapt_input_channels(3)
        after = net(grey.repeat(1, 3, 1, 1))
    assert net.config.in_channels == 3
    torch.testing.assert_close(before, after, atol=1e-5, rtol=1e-4)


def test_new_head_for_a_different_number_of_classes():
    net = UNet()
    net.replace_head(4)
    assert net.config.n_classes == 4
    assert net(torch.randn(1, 1, 32, 32)).shape[1] == 4


def test_checkpoint_round_trip_keeps_weights_and_metadata(tmp_path):
    torch.manual_seed(1)
    model = SegmentationModel.create(n_classes=3)
    model.history = [{"epoch": 1, "validation_score": 0.5}]
    model.augmentation = "preset: equiaxed\n"
    model.classes = {1: "grain", 2: "boundary", 3: "pore"}
    path = save_model(model, tmp_path / "sub" / "m.ckpt")
    loaded = load_checkpoint(path)
    assert loaded.classes == model.classes and loaded.history == model.history
    assert loaded.augmentation == model.augmentation
    assert loaded.net.config == model.net.config
    x = torch.randn(1, 1, 40, 40)
    model.net.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.net(x), loaded.net(x))


def test_corrupt_foreign_and_missing_files_give_clear_errors(tmp_path):
    corrupt = tmp_path / "corrupt.ckpt"
    save_model(SegmentationModel.create(), corrupt)
    corrupt.write_bytes(corrupt.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a napari-finetune model"):
        load_checkpoint(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError):
        load_checkpoint(text)
    with pytest.raises(CheckpointError, match=r"model file .*missing\.ckpt does not exist\."):
        load_model(tmp_path / "missing.ckpt")
    with pytest.raises(CheckpointError, match="neither a shipped model"):
        load_model("voronoi-unte")  # a misspelt name, not a file


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_a_checkpoint_cannot_execute_code_on_load(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.ckpt"
    torch.save(
        {"format": "napari-finetune checkpoint", "x": _Payload(str(marker))},
        evil,
        pickle_protocol=pickle.DEFAULT_PROTOCOL,
    )
    with pytest.raises(CheckpointError):
        load_checkpoint(evil)
    assert not marker.exists()


def test_mismatched_weights_are_reported(tmp_path):
    model = SegmentationModel.create()
    state = model.net.state_dict()
    state.pop("head.weight")
    path = tmp_path / "m.ckpt"
    save_file(dict(state), str(path), metadata=load_header(save_model(model, path)))
    with pytest.raises(CheckpointError, match=r"lacks the weights head\.weight"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("name", "task"), [("voronoi-unet", "pretrain"), ("world-unet", "pretrain (wider world)")]
)
def test_shipped_models_load_without_network(name, task):
    model = load_model(name)
    assert model.name == name and model.n_classes == 2 and model.in_channels == 1
    assert model.classes == {1: "grain interior", 2: "boundary"}
    assert not model.net.training
    assert any(h.get("task") == "pretrain evaluation" for h in model.history)
    assert {h["task"] for h in model.history if "step" in h} == {task}


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_loading_and_saving_start_no_thread_team_in_the_calling_thread(tmp_path):
    # The widget loads and saves models in napari's GUI thread. A multi-threaded
    # op there leaves an OpenMP team behind that slows training in worker threads,
    # so loading and saving must not start one (a fresh process: pytest's own may
    # already have a team).
    script = f"""
import os
import napari_finetune as nf
from napari_finetune.models import load_checkpoint, save_model
threads = lambda: len(os.listdir("/proc/self/task"))
before = threads()
model = nf.load_model("voronoi-unet")
save_model(model, {str(tmp_path / "m.ckpt")!r})
load_checkpoint({str(tmp_path / "m.ckpt")!r})
after_io = threads()
model.copy()  # a deep copy does start one: the check below can see a team
import torch
print(after_io - before, threads() - before, torch.get_num_threads())
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    io_threads, copy_threads, torch_threads = map(int, run.stdout.split())
    assert io_threads == 0
    if torch_threads > 1:  # the subprocess's own: OMP_NUM_THREADS may say 1
        assert copy_threads >= 1


def load_header(path):
    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata()


def test_the_shipped_names_the_command_line_knows_are_the_registry():
    from napari_finetune.choices import SHIPPED_MODELS
    from napari_finetune.models.registry import DEFAULT_MODEL, REGISTRY

    assert tuple(REGISTRY) == SHIPPED_MODELS
    assert SHIPPED_MODELS[0] == DEFAULT_MODEL == "world-unet"
