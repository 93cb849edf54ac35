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


def test_a_chosen_fine_tune_model_that_goes_is_said_not_silently_switched(make_napari_viewer):
    from napari_finetune._widgets._model_choice import CURRENT
    from napari_finetune._widgets.feature_maps import FeatureMapsWidget
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
    from napari_finetune.models.registry import DEFAULT_MODEL, load_model

    viewer = make_napari_viewer()
    dock = FineTuneWidget(viewer)
    viewer.window.add_dock_widget(dock, name="Fine-tune")
    dock.session.model = load_model(DEFAULT_MODEL)
    maps = FeatureMapsWidget(viewer)
    maps.models.source.value = CURRENT  # the user's own choice
    dock.session.model = None
    maps.show_maps.clicked.emit()  # refreshes the menus first, then would run
    assert maps._worker is None  # not run with another model than the one chosen
    assert maps.models.source.value == DEFAULT_MODEL
    assert "Fine-tune dock's model is gone" in maps.status.value
    assert f"{DEFAULT_MODEL} (shipped)" in maps.status.value
