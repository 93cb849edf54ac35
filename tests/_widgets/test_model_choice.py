"""The Feature maps dock's model picker keeps the last two models loaded, not every one."""

from types import SimpleNamespace

from napari_finetune._widgets import _model_choice as module
from napari_finetune._widgets._model_choice import KEPT_MODELS, ModelChoice


def test_only_the_last_two_models_are_kept(qtbot, monkeypatch):
    loads = []

    def load(name):
        loads.append(name)
        return SimpleNamespace(name=name)

    monkeypatch.setattr(module, "load_model", load)
    choice = ModelChoice(SimpleNamespace(window=None), lambda: None)
    first = choice._load("a.ckpt", 1)
    assert choice._load("a.ckpt", 1) is first and loads == ["a.ckpt"]
    choice._load("b.ckpt", 1)
    choice._load("a.ckpt", 1)  # used again: now the newest
    choice._load("c.ckpt", 1)  # b goes, the least recently used
    assert KEPT_MODELS == 2 and list(choice._loaded) == [("a.ckpt", 1), ("c.ckpt", 1)]
    choice._load("a.ckpt", 2)  # the file changed: its old model goes with it
    assert list(choice._loaded) == [("c.ckpt", 1), ("a.ckpt", 2)]
    assert loads == ["a.ckpt", "b.ckpt", "c.ckpt", "a.ckpt"]
