"""Fixtures for every test: no test writes into the user's own folders."""

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
