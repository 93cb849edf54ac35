"""Prediction on CUDA turns TF32 off while it runs and puts the user's flags back."""

import threading

import pytest
import torch

from napari_finetune.models.full_float32 import full_float32


def _flags():
    return torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32


def test_tf32_is_off_inside_and_the_users_flags_come_back(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", True)
    with full_float32(torch.device("cuda")):
        assert _flags() == (False, False)
        with full_float32(torch.device("cuda", 0)):
            assert _flags() == (False, False)
        assert _flags() == (False, False)  # the outer pass still runs
    assert _flags() == (True, True)


def test_the_cpu_leaves_the_flags_alone(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    with full_float32(torch.device("cpu")):
        assert torch.backends.cudnn.allow_tf32


def test_concurrent_passes_restore_only_when_the_last_one_ends(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    entered, release = threading.Event(), threading.Event()

    def other_pass():
        with full_float32(torch.device("cuda")):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=other_pass)
    thread.start()
    entered.wait(10)
    with full_float32(torch.device("cuda")):
        pass
    assert _flags() == (False, False)  # the other thread's pass is still running
    release.set()
    thread.join(10)
    assert _flags() == (True, False)


def test_an_error_inside_still_restores_the_flags(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    with pytest.raises(RuntimeError), full_float32(torch.device("cuda")):
        raise RuntimeError("out of memory")
    assert torch.backends.cudnn.allow_tf32
