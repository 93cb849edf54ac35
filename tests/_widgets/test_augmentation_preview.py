import gc

import numpy as np
import pytest
from qtpy.QtCore import QTimer
from widget_messages import capture_messages

from napari_finetune._widgets import augmentation_preview as module
from napari_finetune._widgets._preview_layers import clear_mosaic
from napari_finetune._widgets._viewer_state import viewer_state
from napari_finetune._widgets.augmentation_preview import AugmentationPreviewWidget
from napari_finetune.augment import AugmentationPipeline


@pytest.fixture
def messages(monkeypatch):
    return capture_messages(monkeypatch, module)


def run_preview(widget, qtbot):
    widget.preview.clicked.emit()
    qtbot.waitUntil(lambda: widget._worker is None, timeout=60_000)


def test_defaults_pick_the_painted_sample(painted):
    w = AugmentationPreviewWidget(painted)
    assert w.image_layer.value is painted.layers["grains"]
    assert w.labels_layer.value is painted.layers["grains painted"]


def test_one_click_on_preview_creates_the_views(painted, qtbot, messages):
    w = AugmentationPreviewWidget(painted)
    before = painted.layers["grains painted"].data.copy()
    w.n_views.value = 5
    run_preview(w, qtbot)
    names = [layer.name for layer in painted.layers]
    assert names[:2] == ["grains", "grains painted"]
    assert {"grains augmented", "grains painted augmented", "augmentation captions"} <= set(names)
    grid = painted.layers["grains augmented"].data
    masks = painted.layers["grains painted augmented"].data
    assert grid.shape == masks.shape
    # original + 5 views in a 3 x 2 grid of 512 px tiles with gaps
    assert grid.shape[0] > 2 * 512 and grid.shape[1] > 3 * 512
    captions = list(painted.layers["augmentation captions"].features["caption"])
    assert len(captions) == 6 and captions[0] == "original"
    assert "5 views" in w.status.value
    # the user's painted layer is untouched; outputs are never offered as inputs
    np.testing.assert_array_equal(painted.layers["grains painted"].data, before)
    assert [name for name, _ in w._image_choices()] == ["grains"]
    assert messages["error"] == []


def test_preview_again_replaces_its_own_layers(painted, qtbot):
    w = AugmentationPreviewWidget(painted)
    run_preview(w, qtbot)
    count = len(painted.layers)
    w.seed.value = 3
    run_preview(w, qtbot)
    assert len(painted.layers) == count


def test_clearing_the_preview_costs_napari_one_garbage_collection(painted, qtbot, monkeypatch):
    # napari collects garbage after every layer removal (0.2 s with torch loaded)
    w = AugmentationPreviewWidget(painted)
    run_preview(w, qtbot)
    before = len(painted.layers)
    collections = []
    with monkeypatch.context() as patch:  # undone here: napari's teardown collects for real
        patch.setattr(gc, "collect", lambda *a: collections.append(a) or 0)
        assert clear_mosaic(painted)
    assert before - len(painted.layers) >= 2  # the mosaic, its masks and captions went
    assert len(collections) == 1


def test_forbidden_transform_is_refused_with_the_physical_reason(painted, messages):
    w = AugmentationPreviewWidget(painted)
    w.preset.value = "directional"
    assert not w.toggles["Rotate"].value
    w.toggles["VerticalFlip"].value = True
    assert not w.toggles["VerticalFlip"].value  # switched back off
    assert not w.pipeline.setting("VerticalFlip").enabled
    assert "thermal gradient" in w.status.value
    assert len(messages["warning"]) == 1 and "thermal gradient" in messages["warning"][0]
    assert "Forbidden" in w.toggles["Rotate"].tooltip
    # a legal one goes through
    w.toggles["ElasticTransform"].value = True
    assert w.pipeline.setting("ElasticTransform").enabled


def test_unsynchronized_demo_reports_low_iou(painted, qtbot):
    w = AugmentationPreviewWidget(painted)
    w.probabilities["Rotate"].value = 1.0
    w.unsynchronized.value = True
    run_preview(w, qtbot)
    wrong = painted.layers["grains painted unsynchronized (wrong)"]
    right = painted.layers["grains painted augmented"]
    assert wrong.visible and not right.visible
    assert "mean IoU" in w.status.value
    iou = float(w.status.value.split("mean IoU ")[1].split(":")[0])
    assert iou < 0.9


def test_shape_mismatch_names_both_layers(painted, messages):
    painted.add_labels(np.zeros((100, 120), np.uint8), name="other labels")
    w = AugmentationPreviewWidget(painted)
    w.labels_layer.value = painted.layers["other labels"]
    w.preview.clicked.emit()
    assert len(messages["error"]) == 1
    assert "'grains'" in messages["error"][0] and "'other labels'" in messages["error"][0]
    assert not any("augmented" in layer.name for layer in painted.layers)


def test_pickers_follow_added_renamed_and_removed_layers(painted):
    w = AugmentationPreviewWidget(painted)

    def shown_names():
        combo = w.image_layer.native
        return [combo.itemText(i) for i in range(combo.count())]

    layer = painted.add_image(np.zeros((64, 64)), name="new image")
    assert layer in w.image_layer.choices and "new image" in shown_names()
    layer.name = "renamed"
    assert "renamed" in shown_names() and "new image" not in shown_names()
    painted.layers.remove(layer)
    assert layer not in w.image_layer.choices and "renamed" not in shown_names()


def test_saved_pipeline_is_shared_and_loads_back(painted, tmp_path, monkeypatch, messages):
    w = AugmentationPreviewWidget(painted)
    w.preset.value = "eels"
    w.toggles["ElasticTransform"].value = True
    w.probabilities["ElasticTransform"].value = 0.7
    assert viewer_state(painted).augmentation == w.pipeline  # the fine-tune widget reads this
    path = tmp_path / "eels.yaml"
    monkeypatch.setattr(AugmentationPreviewWidget, "_ask_path", lambda self, save: str(path))
    w.save.clicked.emit()
    assert AugmentationPipeline.load(path) == w.pipeline
    saved = w.pipeline
    w.preset.value = "custom"
    w.load.clicked.emit()
    assert w.pipeline == saved and w.preset.value == "eels"
    assert w.probabilities["ElasticTransform"].value == pytest.approx(0.7)
    # a foreign file is refused with a message and changes nothing
    (tmp_path / "junk.yaml").write_text("hello: world\n")
    monkeypatch.setattr(
        AugmentationPreviewWidget, "_ask_path", lambda self, save: str(tmp_path / "junk.yaml")
    )
    w.load.clicked.emit()
    assert w.pipeline == saved
    assert "not a napari-finetune augmentation pipeline" in messages["error"][0]


def test_large_preview_runs_in_a_worker(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    rng = np.random.default_rng(0)
    viewer.add_image(rng.random((2048, 2048), dtype=np.float32), name="big")
    viewer.add_labels(rng.integers(0, 3, (2048, 2048), dtype=np.uint8), name="big labels")
    w = AugmentationPreviewWidget(viewer)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    w.preview.clicked.emit()
    assert not w.preview.enabled  # returns at once, button off while rendering
    qtbot.waitUntil(lambda: w._worker is None, timeout=120_000)
    timer.stop()
    assert w.preview.enabled
    assert "big augmented" in viewer.layers
    assert len(ticks) >= 5  # the event loop kept running


def preview_layer_names(viewer):
    return [layer.name for layer in viewer.layers if "augment" in layer.name]


def test_a_new_modality_clears_the_old_preview(painted, qtbot):
    w = AugmentationPreviewWidget(painted)
    w.probabilities["Rotate"].value = 1.0
    run_preview(w, qtbot)
    assert preview_layer_names(painted)
    w.preset.value = "directional"  # forbids the rotations the tiles show
    assert preview_layer_names(painted) == []
    assert [layer.name for layer in painted.layers] == ["grains", "grains painted"]
    assert "cleared" in w.status.value
    w.preset.value = "eels"  # nothing left to clear: not claimed
    assert "cleared" not in w.status.value
    assert not clear_mosaic(painted)


def test_a_legal_toggle_replaces_the_refusal(painted, messages):
    w = AugmentationPreviewWidget(painted)
    w.preset.value = "directional"
    w.toggles["VerticalFlip"].value = True
    assert w.status.value.startswith("Refused: VerticalFlip")
    w.toggles["ElasticTransform"].value = True
    assert w.status.value == "ElasticTransform on."
    w.toggles["VerticalFlip"].value = True
    w.probabilities["ElasticTransform"].value = 0.4
    assert w.status.value == "ElasticTransform: probability 0.40."
    assert len(messages["warning"]) == 2  # one per refusal, none for the legal changes


def test_file_failures_say_what_failed(painted, tmp_path, monkeypatch, messages):
    w = AugmentationPreviewWidget(painted)
    (tmp_path / "junk.yaml").write_text("hello: world\n")
    for name in ("junk.yaml", "missing.yaml"):
        monkeypatch.setattr(
            AugmentationPreviewWidget, "_ask_path", lambda self, save, n=name: str(tmp_path / n)
        )
        w.load.clicked.emit()
        assert w.status.value.startswith("Not loaded: "), w.status.value
    monkeypatch.setattr(
        AugmentationPreviewWidget, "_ask_path", lambda self, save: str(tmp_path / "f" / "p.yaml")
    )
    (tmp_path / "f").write_text("a file where a folder would be")
    w.save.clicked.emit()
    assert w.status.value.startswith("Not saved: "), w.status.value
    assert len(messages["error"]) == 3
    assert not any("Not previewed" in m for m in messages["error"])


def _screen_rectangle(viewer, screenshot, layer, corner, shape):
    """(top, left, bottom, right) in screenshot pixels of a tile of ``layer``."""
    camera = getattr(viewer, "scene", viewer).camera
    centre, zoom = np.asarray(camera.center[-2:]), camera.zoom
    half = np.array(screenshot.shape[:2]) / 2
    ends = [
        (np.asarray(layer.data_to_world(np.add(corner, delta))) - centre) * zoom + half
        for delta in ((0, 0), shape)
    ]
    return (*ends[0], *ends[1])


def test_captions_stay_above_their_own_tile(make_napari_viewer, qtbot):
    painted = make_napari_viewer(show=True)  # a hidden canvas draws no text
    painted.open_sample("napari-finetune", "painted")
    w = AugmentationPreviewWidget(painted)
    w.toggles["ElasticTransform"].value = True
    w.toggles["GaussNoise"].value = True
    w.n_views.value = 8  # long captions, small tiles at the overview zoom
    run_preview(w, qtbot)
    grid = painted.layers["grains augmented"]
    captions = painted.layers["augmentation captions"]
    assert captions.text.scaling  # sized in image pixels: they shrink with their tile
    for layer in painted.layers:
        layer.visible = layer is captions
    painted.reset_view()
    shot = painted.screenshot(canvas_only=True, flash=False)
    red, green, blue = (shot[..., k].astype(int) for k in range(3))
    text = (red > 120) & (green > 120) & (blue < 80)
    assert text.sum() > 200  # the captions were drawn
    rows, columns = np.nonzero(text)
    tiles = [_screen_rectangle(painted, shot, grid, c, (512, 512)) for c in captions.data]
    for top, left, bottom, right in tiles:
        inside = (
            (rows > top + 1) & (rows < bottom - 1) & (columns > left + 1) & (columns < right - 1)
        )
        assert not inside.any(), "a caption runs over a tile"
    lefts, rights = {t[1] for t in tiles}, {t[3] for t in tiles}
    in_a_column = np.zeros(columns.shape, bool)
    for left, right in zip(sorted(lefts), sorted(rights), strict=True):
        in_a_column |= (columns >= left - 2) & (columns <= right + 2)
    assert in_a_column.all(), "a caption runs into the gap or the next column"


def test_preview_on_a_calibrated_image_keeps_its_units(steel, qtbot, monkeypatch):
    import napari._vispy.canvas as vispy_canvas

    shown = []
    monkeypatch.setattr(vispy_canvas, "show_warning", shown.append)
    image = steel.layers["NIST steel"]
    w = AugmentationPreviewWidget(steel)
    w.toggles["RandomRotate90"].value = False  # the sample is not square
    w.n_views.value = 2
    run_preview(w, qtbot)
    ours = [steel.layers[name] for name in preview_layer_names(steel)]
    assert len(ours) == 3  # image, mask, captions
    for layer in ours:
        assert layer.units == image.units
        np.testing.assert_allclose(layer.scale, image.scale)
        # right of the original, 1.1 of its width away
        np.testing.assert_allclose(layer.translate, (0, 800 * 1.1 * image.scale[1]))
    assert steel.layers.extent.units is not None
    steel.screenshot(canvas_only=True, flash=False)  # a draw checks the units
    assert not [m for m in shown if "Inconsistent units" in m]


def test_zoom_is_offered_off_by_default_and_says_what_it_does(painted, qtbot):
    w = AugmentationPreviewWidget(painted)
    zoom = w.toggles["Affine"]
    assert zoom.text == "Affine (zoom)" and "magnification" in zoom.tooltip
    assert not zoom.value and not w.pipeline.setting("Affine").enabled
    zoom.value = True
    w.probabilities["Affine"].value = 1.0
    w.n_views.value = 2
    run_preview(w, qtbot)
    captions = list(painted.layers["augmentation captions"].features["caption"])
    assert all("zoom ×" in c for c in captions[1:])


def test_a_layer_removed_while_rendering_is_not_shown(painted, qtbot, messages):
    w = AugmentationPreviewWidget(painted)
    w.preview.clicked.emit()
    painted.layers.remove("grains painted")  # the worker has its planes already
    qtbot.waitUntil(lambda: w._worker is None, timeout=60_000)
    assert w.status.value == "'grains painted' was removed; not shown."
    assert "grains augmented" not in painted.layers and messages["error"] == []


def test_a_lazy_image_is_read_in_the_worker(make_napari_viewer, qtbot, messages):
    import threading

    import dask
    import dask.array as da

    viewer = make_napari_viewer()
    rng = np.random.default_rng(0)
    in_gui_thread = []

    def noted(block):
        in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return block

    image = rng.random((128, 128), dtype=np.float32)
    lazy = da.from_array(image, chunks=64).map_blocks(noted, dtype=image.dtype)
    viewer.add_image(lazy, name="lazy", visible=False)  # hidden: napari reads none
    w = AugmentationPreviewWidget(viewer)
    in_gui_thread.clear()
    with dask.config.set(scheduler="synchronous"):  # blocks computed in the thread that asks
        run_preview(w, qtbot)
    assert messages["error"] == [] and in_gui_thread == [False] * 4
    assert "lazy augmented" in viewer.layers
