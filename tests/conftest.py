"""Fixtures for every test: no test writes into the user's own folders."""

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
    """
    yield make_napari_viewer
    theme = sys.modules.get("napari.utils.theme")
    for registered in theme._themes.values() if theme is not None else ():
        emitter = registered.events.canvas
        for callback in list(emitter.callbacks):
            if getattr(callback, "__qualname__", "") == "Window._connect_theme.<locals>.<lambda>":
                emitter.disconnect(callback)


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
