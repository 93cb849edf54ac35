"""Fixtures for every test: no test writes into the user's own folders."""

import gc
import sys

import pytest

# napari_finetune.session.autosave.FOLDER_VARIABLE, spelt out: importing the
# package here would load torch before any test is collected.
FOLDER_VARIABLE = "NAPARI_FINETUNE_AUTOSAVE_DIR"


@pytest.fixture(autouse=True)
def _autosave_into_a_temporary_folder(tmp_path_factory, monkeypatch):
    """Fine-tune docks autosave paintings: here, not in the user data folder.

    A folder of its own (not ``tmp_path``), so tests that list ``tmp_path`` see
    only what they wrote.
    """
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path_factory.mktemp("autosave")))


@pytest.fixture
def make_napari_viewer(make_napari_viewer):
    """napari's viewer factory, whose closed windows the garbage collector can free.

    napari 0.9 connects a lambda per window to every theme's ``canvas`` event and
    never disconnects it (``Window._disconnect_theme`` disconnects a new lambda),
    so every closed window stayed reachable from the theme registry, with its
    viewer, layers, docks and models: over the suite the heap grew from 0.6 to
    2.2 million objects. The lambdas are dropped here, before napari's own
    teardown closes the windows and collects them.

    napari's test support also gives every test a new app model, and two
    global holders kept each one alive with its menus, commands and closures
    (about 5 000 objects a test, 1.5 million over the widget tests): npe2's
    plugin contexts keep the disposers of every app's registrations, and Qt
    keeps the menu actions, which app-model parents to the QApplication. Each
    full collection walks the whole heap, and napari collects fully whenever a
    layer is removed, so a viewer's teardown grew from 0.4 s to 1.4 s over the
    widget tests. Both are let go here; and the first viewer's setup freezes
    what is alive then (``gc.freeze``: mostly what the imports made, torch,
    napari and Qt, ~450 000 objects that live as long as the process; that
    test's app model too, kept for good), so later full collections skip it.
    """
    _freeze_the_imports_once()
    _release_earlier_app_models()
    yield make_napari_viewer
    _drop_app_model_disposers()
    theme = sys.modules.get("napari.utils.theme")
    for registered in theme._themes.values() if theme is not None else ():
        emitter = registered.events.canvas
        for callback in list(emitter.callbacks):
            if getattr(callback, "__qualname__", "") == "Window._connect_theme.<locals>.<lambda>":
                emitter.disconnect(callback)


_FROZEN = []


def _freeze_the_imports_once():
    """Move every object alive now out of the collector's reach, the first time only.

    Only once, before the first viewer: what a test makes later is collected as
    usual (tests that check an object is freed see it freed).
    """
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN.append(True)


def _release_earlier_app_models():
    """Unparent the menu actions of earlier tests' app models from the QApplication."""
    from app_model.backends.qt import QMenuItemAction
    from napari._app_model import get_app_model
    from qtpy.QtWidgets import QApplication

    current = get_app_model()
    for action in QApplication.instance().findChildren(QMenuItemAction):
        if action._app is not current:
            action.setParent(None)  # Python now owns it: freed with its app model


def _drop_app_model_disposers():
    """Forget every app-model disposer npe2's plugin contexts hold (npe2's own stay).

    Only references are dropped: napari's teardown discards the test's app
    model as a whole, so nothing needs unregistering from it. A test that
    disabled a plugin would leave its menus in the app model of that test
    (none does).
    """
    from npe2 import PluginManager

    for context in PluginManager.instance()._contexts.values():
        context._disposables = {
            dispose
            for dispose in context._disposables
            if not getattr(dispose, "__module__", "").startswith("app_model")
        }


@pytest.fixture
def tiff_opens(monkeypatch):
    """The files every ``tifffile.TiffFile`` is opened on, tifffile's own readers' too."""
    import tifffile

    opened = []
    init = tifffile.TiffFile.__init__

    def counting(self, file, *args, **kwargs):
        opened.append(file)
        init(self, file, *args, **kwargs)

    monkeypatch.setattr(tifffile.TiffFile, "__init__", counting)
    return opened


@pytest.fixture(scope="module")
def model():
    """The shipped ``voronoi-unet``, loaded once per test module (each module its own copy).

    A module that needs another model defines its own ``model``; the folder-run tests
    share one for their session (``tests/batch/conftest.py``).
    """
    import napari_finetune as nf  # imported here: torch loads only when a test asks

    return nf.load_model("voronoi-unet")
