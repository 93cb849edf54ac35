"""At the click the training rows become the core's pairs: paintings copied, images not."""

import threading

import numpy as np
import pytest
from widget_messages import capture_messages

import napari_finetune as nf
from napari_finetune._widgets import fine_tune_dock as module
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.synth.strokes import paint_strokes

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

PLANE = 1


def _stack(planes=3, shape=(96, 112)):
    samples = [nf.voronoi_grains(shape, 10, seed=seed) for seed in range(planes)]
    strokes = np.zeros((planes, *shape), np.uint8)
    strokes[PLANE] = paint_strokes(samples[PLANE], seed=0)
    return np.stack([s.image for s in samples]), strokes


def _lazy(stack, in_gui_thread):
    """``stack`` as a Dask array, one chunk per plane, noting whether each read is the GUI's."""

    def noted(block):
        in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return block

    lazy = da.from_array(stack, chunks=(1, *stack.shape[1:])).map_blocks(noted, dtype=stack.dtype)
    in_gui_thread.clear()  # Dask may call `noted` once to learn the output's kind
    return lazy


def _hidden(viewer, data, name):
    """A hidden image layer: napari reads none of it (the reads counted are the dock's)."""
    return viewer.add_image(data, name=name, visible=False, contrast_limits=(0, 1))


def test_the_click_keeps_the_images_as_they_are_and_copies_the_paintings(make_napari_viewer):
    viewer = make_napari_viewer()
    stack, strokes = _stack()
    in_gui_thread = []
    image = _hidden(viewer, stack, "stack")
    painted = viewer.add_labels(strokes.copy(), name="stack painted")
    lazy = _hidden(viewer, _lazy(stack, in_gui_thread), "lazy")
    lazy_painted = viewer.add_labels(strokes.copy(), name="lazy painted")
    viewer.dims.set_current_step(0, PLANE)
    w = FineTuneWidget(viewer)
    rows = [*w.pairs.rows(), w.pairs.add_row()]
    for row, (layer, labels) in zip(rows, [(image, painted), (lazy, lazy_painted)], strict=True):
        row.image_layer.value, row.labels_layer.value = layer, labels
    in_gui_thread.clear()
    pairs = w.pairs.session_pairs()
    assert [p.name for p in pairs] == ["stack", "lazy"] and {p.plane for p in pairs} == {PLANE}
    # The images as the layers hold them: no copy, and not a plane of the lazy one read.
    assert np.shares_memory(pairs[0].image, image.data)
    assert pairs[1].image is lazy.data and in_gui_thread == []
    # The paintings are copies: strokes painted after the click do not reach the round.
    for pair, labels in zip(pairs, [painted, lazy_painted], strict=True):
        np.testing.assert_array_equal(pair.labels, strokes)
        labels.data[PLANE, :8, :8] = 2
        np.testing.assert_array_equal(pair.labels, strokes)


def test_fine_tune_reads_a_lazy_stack_in_the_worker(make_napari_viewer, qtbot, monkeypatch):
    messages = capture_messages(monkeypatch, module)
    viewer = make_napari_viewer()
    stack, strokes = _stack()
    in_gui_thread = []
    _hidden(viewer, _lazy(stack, in_gui_thread), "lazy")
    viewer.add_labels(strokes, name="lazy painted")
    viewer.dims.set_current_step(0, PLANE)
    w = FineTuneWidget(viewer)
    assert w.pairs.labels_of("lazy") is viewer.layers["lazy painted"]
    w.steps.value = 4
    w.active.n.value = 2
    w.active.size.value = 32  # boxes free of strokes fit in these small planes
    with dask.config.set(scheduler="synchronous"):  # blocks computed in the thread that asks
        in_gui_thread.clear()
        w.train.clicked.emit()
        assert True not in in_gui_thread  # the click read no plane
        qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    assert messages["error"] == []
    # Every plane once, in the worker (the GUI thread then samples the plane in view for
    # the uncertainty layer's style: displayed_brightness, a strided sample by design).
    assert in_gui_thread.count(False) == len(stack)
    prediction = viewer.layers["lazy prediction"].data
    assert prediction.shape == stack.shape and all(plane.any() for plane in prediction)
    assert viewer.layers["lazy uncertainty"].data[PLANE].any()
