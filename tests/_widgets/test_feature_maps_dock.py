"""The Feature maps dock: stage maps over the image, kernels beside it, the playground."""

import threading

import numpy as np
import torch
from widget_messages import capture_messages

from napari_finetune._widgets import _kernel_playground as playground_module
from napari_finetune._widgets import feature_maps as module
from napari_finetune._widgets._model_choice import CURRENT
from napari_finetune._widgets.feature_maps import FeatureMapsWidget
from napari_finetune.inference.feature_maps import channel_contrast, feature_maps
from napari_finetune.models.checkpoint_tensors import tensor_digest
from napari_finetune.models.registry import load_model


def user_layers(viewer):
    """Names and data copies of the layers the user had."""
    return {layer.name: np.array(layer.data) for layer in viewer.layers}


def untouched(viewer, before):
    for name, data in before.items():
        np.testing.assert_array_equal(viewer.layers[name].data, data)


def run(widget, button, qtbot):
    button.clicked.emit()
    qtbot.waitUntil(lambda: widget._worker is None, timeout=60_000)


def test_stage_maps_overlay_the_image_and_kernels_sit_beside_it(painted, qtbot, monkeypatch):
    shown = capture_messages(monkeypatch, module)
    before = user_layers(painted)
    w = FeatureMapsWidget(painted)
    assert w.image_layer.value.name == "grains" and w.models.source.value == "world-unet"
    w.stage.value = "encoder 2"
    run(w, w.show_maps, qtbot)
    assert shown["error"] == [], w.status.value
    maps = painted.layers["grains encoder 2 features"]
    assert maps.data.shape == (32, 128, 128) and maps.data.dtype == np.float32
    assert maps.data.min() >= 0 and maps.data.max() <= 1 and maps.contrast_limits == [0, 1]
    # one cell per 4 x 4 pixels, centred on them
    np.testing.assert_allclose(maps.scale, (1, 4, 4))
    np.testing.assert_allclose(maps.translate, (0, 1.5, 1.5))
    assert maps.metadata["napari_finetune"]["role"] == "feature maps"
    assert "encoder 2: 1/4 resolution, 32 channels" in w.status.value
    run(w, w.show_kernels, qtbot)
    kernels = painted.layers["world-unet first-layer kernels"]
    assert kernels.rgb and kernels.data.shape == (7, 15, 4)  # 8 kernels, 4 to a row
    assert kernels.translate[-1] > 512  # right of the 512-px image, not over it
    assert len(painted.layers["world-unet first-layer kernels (numbers)"].data) == 8
    untouched(painted, before)
    assert set(w._image_choices()) == {
        ("grains", painted.layers["grains"])
    }  # outputs are not inputs


def test_the_playground_applies_a_kernel_and_refuses_a_bad_cell(painted, qtbot, monkeypatch):
    shown = capture_messages(monkeypatch, playground_module)
    before = user_layers(painted)
    w = FeatureMapsWidget(painted)
    w.playground.grid.preset.value = "Sobel y"  # live: applied once typing pauses
    qtbot.waitUntil(lambda: "grains kernel response" in painted.layers, timeout=30_000)
    qtbot.waitUntil(lambda: not w.playground.busy, timeout=30_000)
    response = painted.layers["grains kernel response"]
    assert response.data.shape == (512, 512) and response.colormap.name == "PiYG"
    low, high = response.contrast_limits
    assert low == -high  # white is 0
    assert "Most like your kernel: learned kernel" in w.playground.status.value
    kept, names = response.data.copy(), [layer.name for layer in painted.layers]

    w.playground.grid.cells[2][3].value = "abc"  # row 2, column 3 of the 3x3 grid in the 5x5 cells
    assert w.playground.grid.preset.value == "custom"
    qtbot.waitUntil(lambda: "not applied" in w.playground.status.value, timeout=10_000)
    assert "row 2, column 3: 'abc' is not a number" in w.playground.status.value
    assert "e0503c" in w.playground.grid.cells[2][3].native.styleSheet()  # outlined
    assert shown["warning"] == []  # while typing: said in the dock only
    w.playground.apply.clicked.emit()
    assert shown["warning"] == ["Feature maps: row 2, column 3: 'abc' is not a number."]
    np.testing.assert_array_equal(response.data, kept)  # nothing else changed
    assert [layer.name for layer in painted.layers] == names

    w.playground.grid.cells[2][3].value = "1/2"
    qtbot.waitUntil(lambda: "Response of the kernel" in w.playground.status.value, timeout=10_000)
    qtbot.waitUntil(lambda: not w.playground.busy, timeout=10_000)
    assert w.playground.grid.cells[2][3].native.styleSheet() == ""
    assert not np.array_equal(painted.layers["grains kernel response"].data, kept)
    w.playground.grid.kernel_size.value = 5  # a custom kernel keeps its centre, the new ring is 0
    assert w.playground.grid.texts()[0] == ["0"] * 5 and w.playground.grid.texts()[2][3] == "1/2"
    untouched(painted, before)


def test_before_after_shows_the_pretrained_start_beside_the_fine_tuned_maps(
    painted, qtbot, monkeypatch
):
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

    shown = capture_messages(monkeypatch, module)
    shipped = load_model("world-unet")
    tuned = shipped.copy()
    start = {"kind": "shipped", "name": "world-unet"}
    tuned.provenance = [
        {"run": 1, "start": {**start, "sha256": tensor_digest(shipped.net.state_dict())}}
    ]
    with torch.no_grad():
        tuned.net.encoder_stages[1][1][0].weight.mul_(0.5)
    dock = FineTuneWidget(painted)
    painted.window.add_dock_widget(dock, name="Fine-tune")
    w = FeatureMapsWidget(painted)
    assert w.models.source.value == "world-unet"  # the dock has no model yet
    dock.session.model = tuned
    w._refresh()
    assert w.models.source.value == CURRENT
    w.stage.value = "encoder 1"
    run(w, w.compare, qtbot)
    assert shown["error"] == [], w.status.value
    left = painted.layers["grains encoder 1 features (pretrained)"]
    right = painted.layers["grains encoder 1 features (fine-tuned)"]
    assert left.data.shape == right.data.shape == (16, 256, 256)
    np.testing.assert_allclose(right.translate, (0, 0.5, 0.5))  # over the image
    np.testing.assert_allclose(left.translate, (0, 0.5, 0.5 - 512 * 1.05))  # left of it
    assert not np.allclose(left.data, right.data)
    assert "Left: the pretrained start" in w.status.value
    captions = painted.layers["grains encoder 1 features (captions)"]
    assert list(captions.features["caption"]) == ["pretrained start", "fine-tuned: encoder 1"]
    assert painted.layers.selection.active is right

    tuned.provenance = []  # a model without a training record cannot be compared
    run(w, w.compare, qtbot)
    # A model error names the model, not the image layer.
    assert "Not shown: the Fine-tune dock's model: the model has no training" in w.status.value
    assert shown["error"][-1].startswith("Feature maps: the Fine-tune dock's model: ")


def test_a_stack_shows_the_plane_in_view(make_napari_viewer, qtbot):
    import napari_finetune as nf

    viewer = make_napari_viewer()
    planes = np.stack([nf.voronoi_grains((64, 96), 8, seed=s).image for s in range(3)])
    viewer.add_image(planes, name="stack")
    viewer.dims.set_current_step(0, 2)
    w = FeatureMapsWidget(viewer)
    w.stage.value = "decoder 3"
    run(w, w.show_maps, qtbot)
    maps = viewer.layers["stack decoder 3 features"]
    assert maps.data.shape == (8, 1, 64, 96)  # channels, the one plane, rows, cols
    np.testing.assert_allclose(maps.translate, (0, 2, 0, 0))
    assert "on 'stack' plane 2" in w.status.value
    assert maps.axis_labels[0] == "channel"
    # The maps are those of the plane in view, not of another plane.
    model = load_model("world-unet")
    maps_of = {k: feature_maps(model, planes[k], "decoder 3").maps for k in (0, 2)}
    np.testing.assert_allclose(maps.data[:, 0], channel_contrast(maps_of[2])[0], atol=1e-4)
    assert not np.allclose(maps.data[:, 0], channel_contrast(maps_of[0])[0], atol=1e-2)


def test_a_lazy_plane_is_read_in_the_worker_and_a_huge_one_is_refused(
    make_napari_viewer, qtbot, monkeypatch
):
    import dask
    import dask.array as da

    import napari_finetune as nf

    shown = capture_messages(monkeypatch, module)
    played = capture_messages(monkeypatch, playground_module)
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((32, 32), np.uint8), name="painted")
    w = FeatureMapsWidget(viewer)
    run(w, w.show_kernels, qtbot)  # no image to place them beside: a labels layer will not do
    assert w.status.value == "Open an image to place the kernels beside it."

    image = nf.voronoi_grains((64, 64), 8, seed=0).image
    in_gui_thread = []

    def noted(block):
        in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return block

    lazy = da.from_array(image, chunks=32).map_blocks(noted, dtype=image.dtype)
    viewer.add_image(lazy, name="lazy", contrast_limits=(0, 1), visible=False)  # napari reads none
    assert w.image_layer.value.name == "lazy"
    in_gui_thread.clear()
    with dask.config.set(scheduler="synchronous"):  # blocks computed in the thread that asks
        run(w, w.show_maps, qtbot)
        w.playground.apply.clicked.emit()
        qtbot.waitUntil(lambda: not w.playground.busy, timeout=30_000)
    assert shown["error"] == played["error"] == [], w.status.value
    assert "lazy kernel response" in viewer.layers and "lazy encoder 0 features" in viewer.layers
    assert in_gui_thread == [False] * 8  # 4 chunks for the maps, 4 for the kernel

    def never(block):
        raise AssertionError("a pixel of the huge image was read")

    huge = da.zeros((30_000, 30_000), np.uint8, chunks=10_000).map_blocks(never, dtype=np.uint8)
    viewer.add_image(huge, name="huge", contrast_limits=(0, 1), visible=False)
    w.image_layer.value = viewer.layers["huge"]
    w.show_maps.clicked.emit()
    assert w._worker is None
    assert w.status.value.startswith("Not shown: layer 'huge': its planes are 30000 × 30000 px")
    assert "add a crop of it as a new layer" in w.status.value
    assert shown["error"][-1].startswith("Feature maps: layer 'huge': its planes")
    w.playground.apply.clicked.emit()
    assert not w.playground.busy
    assert w.playground.status.value.startswith("Kernel not applied: layer 'huge': its planes")
    assert "huge kernel response" not in viewer.layers


def test_a_model_file_must_be_chosen_first(painted, monkeypatch):
    shown = capture_messages(monkeypatch, module)
    names = [layer.name for layer in painted.layers]
    w = FeatureMapsWidget(painted)
    w.models.source.value = "file"
    assert not w.models.file.native.isHidden()  # the file picker shows
    w.show_maps.clicked.emit()
    assert w._worker is None
    assert w.status.value == (
        "Not shown: choose a model file (a .ckpt checkpoint or an exported .zip)."
    )
    assert len(shown["error"]) == 1 and [layer.name for layer in painted.layers] == names


def test_the_status_names_the_model_the_job_ran_with_and_menus_wait(painted, qtbot, monkeypatch):
    capture_messages(monkeypatch, module)
    w = FeatureMapsWidget(painted)
    w.stage.value = "encoder 1"
    w.show_maps.clicked.emit()
    # While it runs the model and stage menus wait: the status names what ran.
    assert not w.models.source.enabled and not w.stage.enabled
    w.models.source.value = "voronoi-unet"  # a change that slips through still is not named
    qtbot.waitUntil(lambda: w._worker is None, timeout=60_000)
    assert "of world-unet on 'grains'" in w.status.value
    assert w.models.source.enabled and w.stage.enabled


def test_a_broken_model_file_is_named_as_the_model_not_the_layer(
    painted, qtbot, monkeypatch, tmp_path
):
    shown = capture_messages(monkeypatch, module)
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")
    w = FeatureMapsWidget(painted)
    w.models.source.value = "file"
    w.models.file.value = broken
    run(w, w.show_maps, qtbot)
    assert w.status.value.startswith("Not shown: model file broken.ckpt: ")
    assert "layer 'grains'" not in w.status.value and len(shown["error"]) == 1


def test_a_new_model_refreshes_the_playground_comparison(painted, qtbot, monkeypatch):
    capture_messages(monkeypatch, playground_module)
    w = FeatureMapsWidget(painted)
    w.playground.grid.preset.value = "Sobel y"
    qtbot.waitUntil(lambda: "Most like your kernel" in w.playground.status.value, timeout=30_000)
    qtbot.waitUntil(lambda: not w.playground.busy, timeout=30_000)
    w.playground.live.value = False
    w.models.source.value = "voronoi-unet"
    assert w.playground.status.value.startswith("Model changed: Apply kernel")


def test_a_nan_pixel_is_refused_naming_the_layer(make_napari_viewer, qtbot, monkeypatch):
    shown = capture_messages(monkeypatch, playground_module)
    viewer = make_napari_viewer()
    data = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    data[3, 3] = np.nan
    viewer.add_image(data, name="holey")
    w = FeatureMapsWidget(viewer)
    w.playground.apply.clicked.emit()
    qtbot.waitUntil(lambda: not w.playground.busy, timeout=30_000)
    assert w.playground.status.value == (
        "Kernel not applied: layer 'holey': image contains NaN or infinite values."
    )
    assert "holey kernel response" not in viewer.layers and len(shown["error"]) == 1


def test_a_grey_image_with_a_channel_axis_of_1_is_one_plane(
    make_napari_viewer, qtbot, monkeypatch
):
    # (rows, cols, 1) was read as a stack of planes of cols × 1 px (the core refused it whole),
    # though predict reads it as grey: its response is that of the grey image.
    import napari_finetune as nf

    shown = capture_messages(monkeypatch, playground_module)
    viewer = make_napari_viewer()
    image = nf.voronoi_grains((64, 96), 8, seed=0).image
    viewer.add_image(image, name="flat")
    viewer.add_image(image[..., None], name="axis")
    w = FeatureMapsWidget(viewer)
    w.playground.live.value = False
    w.playground.grid.preset.value = "Sobel y"
    for name in ("flat", "axis"):
        w.image_layer.value = viewer.layers[name]
        w.playground.apply.clicked.emit()
        qtbot.waitUntil(lambda: not w.playground.busy, timeout=30_000)
    assert shown["error"] == [] and shown["warning"] == [], w.playground.status.value
    assert w.playground.status.value.startswith("Response of the kernel on 'axis'.")
    response = viewer.layers["axis kernel response"].data
    np.testing.assert_array_equal(response, viewer.layers["flat kernel response"].data)
