"""*Predict*'s labels are computed where the probabilities are: never in the viewer's thread."""

import importlib
import threading

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets._result_layers import show_prediction
from napari_finetune.models import SegmentationModel
from napari_finetune.session import Prediction, lazy_rule

da = pytest.importorskip("dask.array")
# The module (the package exports its predict function under the same name).
predict_module = importlib.import_module("napari_finetune.inference.predict")

WAIT_MS = 120_000
SHAPE = (96, 112)


@pytest.fixture
def argmax_threads(monkeypatch):
    """The thread of every labels-from-probabilities call made from now on."""
    threads, real = [], predict_module.labels_from_probabilities

    def recorded(probabilities):
        threads.append(threading.current_thread())
        return real(probabilities)

    monkeypatch.setattr(predict_module, "labels_from_probabilities", recorded)
    return threads


def dock_predicting(viewer, data, qtbot):
    layer = viewer.add_image(data, name="em", contrast_limits=(0, 1))
    dock = module.FineTuneWidget(viewer)
    dock.session.model = SegmentationModel.create(widths=(4, 8, 16, 32))  # thin: fast
    dock.files.predict_on.value = layer
    dock.files.predict_button.clicked.emit()
    qtbot.waitUntil(lambda: dock.files.predict_button.text == "Predict", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dock.files.predict_button.enabled, timeout=WAIT_MS)
    return dock


def test_predict_on_an_image_takes_its_labels_from_the_worker(
    make_napari_viewer, qtbot, argmax_threads
):
    viewer = make_napari_viewer()
    image = nf.voronoi_grains(SHAPE, 8, seed=1).image
    dock = dock_predicting(viewer, image, qtbot)
    assert dock.status.value.startswith("Predicted 'em'")
    assert len(argmax_threads) == 1
    assert argmax_threads[0] is not threading.main_thread()
    # The labels of the probabilities shown (class 2's map of two classes), where the
    # untrained model is not too unsure for float noise to decide.
    shown = np.asarray(viewer.layers["em probabilities"].data)
    clear = np.abs(shown - 0.5) > 1e-3
    assert clear.mean() > 0.9
    got = viewer.layers["em prediction"].data
    np.testing.assert_array_equal(got[clear], (shown[clear] > 0.5) + 1)


def test_predict_on_a_deep_stack_takes_every_planes_labels_from_the_worker(
    make_napari_viewer, qtbot, argmax_threads, monkeypatch
):
    monkeypatch.setattr(lazy_rule, "LAZY_PIXELS", 4 * SHAPE[0] * SHAPE[1])  # 5 planes: deep
    viewer = make_napari_viewer()
    stack = np.stack([nf.voronoi_grains(SHAPE, 8, seed=s).image for s in range(5)])
    dock = dock_predicting(viewer, da.from_array(stack, chunks=(1, *SHAPE)), qtbot)
    assert "all 5 planes predicted" in dock.status.value
    assert len(argmax_threads) == 5
    assert threading.main_thread() not in argmax_threads
    assert viewer.layers["em prediction"].data.shape == stack.shape


def test_a_predictions_layer_shows_the_labels_it_carries(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros(SHAPE, np.float32), name="em")
    probabilities = np.zeros((2, *SHAPE), np.float32)
    probabilities[0] = 1.0  # everything class 1 by its probabilities …
    carried = np.full(SHAPE, 2, np.uint8)  # … but the labels the worker made say 2
    show_prediction(viewer, Prediction("em", probabilities, True, labels=carried), None, {})
    np.testing.assert_array_equal(viewer.layers["em prediction"].data, carried)
    made = Prediction("em", probabilities, True)  # made without: computed on the spot
    np.testing.assert_array_equal(made.labels, np.ones(SHAPE, np.uint8))
