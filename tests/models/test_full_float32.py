"""Prediction on CUDA turns TF32 off while it runs and puts the user's flags back."""

import threading

import pytest
import torch

from napari_finetune.models.full_float32 import full_float32


def _flags():
    # Where the new API exists the pass sets it, and PyTorch then refuses legacy reads.
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        precision = (
            torch.backends.cudnn.conv.fp32_precision,
            torch.backends.cuda.matmul.fp32_precision,
        )
        return tuple(value == "tf32" for value in precision)
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


@pytest.mark.skipif(
    not hasattr(torch.backends.cuda.matmul, "fp32_precision"), reason="PyTorch before 2.9"
)
def test_a_user_of_the_new_tf32_api_gets_ieee_inside_and_their_setting_back():
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    before = matmul.fp32_precision, conv.fp32_precision
    try:
        matmul.fp32_precision = "tf32"  # only a flag: no GPU needed to set it
        conv.fp32_precision = "tf32"
        with full_float32(torch.device("cuda")):
            assert (matmul.fp32_precision, conv.fp32_precision) == ("ieee", "ieee")
        assert (matmul.fp32_precision, conv.fp32_precision) == ("tf32", "tf32")
    finally:
        matmul.fp32_precision, conv.fp32_precision = before
