"""The suite's viewers leave nothing behind (tests/conftest.py): napari's teardown stays fast.

napari collects garbage in full whenever a layer is removed, so every object
an earlier test leaks is walked again by every later viewer's teardown.
The tests run in file order: the first two are steps, the last checks.
"""

import gc
import weakref

import pytest

_RECORDED = []


def _a_viewer_test(make_napari_viewer):
    from napari._app_model import get_app_model

    make_napari_viewer().open_sample("napari-finetune", "painted")
    return get_app_model()


def test_step_a_first_viewer(make_napari_viewer):
    # The suite's first viewer freezes what is alive then, its app model too
    # (tests/conftest.py): the app model to watch is a later test's.
    _a_viewer_test(make_napari_viewer)


def test_step_record_a_viewer_tests_app_model(make_napari_viewer):
    _RECORDED.append(weakref.ref(_a_viewer_test(make_napari_viewer)))


def test_the_earlier_tests_app_model_is_freed_with_its_menus(make_napari_viewer):
    from app_model.backends.qt import QMenuItemAction
    from qtpy.QtWidgets import QApplication

    if not _RECORDED:
        pytest.skip("needs the two steps above to run first, in file order")
    current = _a_viewer_test(make_napari_viewer)
    gc.collect()
    assert _RECORDED[0]() is None
    apps = {action._app for action in QApplication.instance().findChildren(QMenuItemAction)}
    assert apps == {current}
