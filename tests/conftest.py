"""Fixtures for every test: no test writes into the user's own folders."""

import gc
import sys

import pytest

# napari_finetune.session.autosave.FOLDER_VARIABLE, spelt out: importing the
# package here would load torch before any test is collected.
FOLDER_VARIABLE = "NAPARI_FINETUNE_AUTOSAVE_DIR"


TESTS_BETWEEN_FREEZES = 25
_tests_since_freeze = TESTS_BETWEEN_FREEZES - 1  # the first freeze: after the first test
# The real collector: a test may have replaced gc.collect (to count napari's
# collections) until its monkeypatch is undone, after this fixture's teardown.
_collect = gc.collect


@pytest.fixture(autouse=True)
def _freeze_what_outlives_the_tests():
    """Every 25 tests, collect garbage and move what survives out of the collector's way.

    napari 0.9 runs a full garbage collection whenever layers are removed (once
    per closed viewer at least), and with torch, napari and the suite's modules
    loaded each one walks every long-lived object (310,000 after the imports
    alone: 0.12 s a collection, more as the suite goes on). ``gc.freeze`` moves
    the survivors to the permanent generation, which collections skip: the
    widget tests ran in 300 s instead of 385 s. Each time, the frozen objects
    are unfrozen and collected first, so what was alive at the last freeze
    (module-scoped fixtures, caches) and has died since is freed, finalisers
    run. Autouse, so it tears down after napari's viewer fixture, whose check
    that every closed viewer was collected runs first.
    """
    yield
    global _tests_since_freeze
    _tests_since_freeze += 1
    if _tests_since_freeze >= TESTS_BETWEEN_FREEZES:
        _tests_since_freeze = 0
        gc.unfreeze()
        _collect()
        gc.freeze()


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
