"""An image that records its modality preset (the EBSD sample) trains with it by default."""

import numpy as np

from napari_finetune._widgets.fine_tune_dock import FineTuneWidget
from napari_finetune.augment.recorded_preset import recorded_preset, suggest_preset


def test_the_ebsd_sample_trains_with_the_ebsd_preset_until_the_user_picks(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", "ebsd_ipf")
    dock = FineTuneWidget(viewer)
    dock.pairs.rows()[0].image_layer.value = viewer.layers["EBSD IPF map"]
    dock._suggest_strategy()
    assert dock.augmentation.value == "ebsd"
    assert dock.augmentation_info.value == (
        "The preset recorded with 'EBSD IPF map' (pick another to override)."
    )
    assert dock.settings.options(None, None).augmentation == "ebsd"
    # Trained on another image, the dock's own choice goes back to the default.
    grey = viewer.add_image(viewer.layers["EBSD IPF map"].data[..., 0], name="SEM")
    dock.pairs.rows()[0].image_layer.value = grey
    dock._suggest_strategy()
    assert dock.augmentation.value == "equiaxed" and not dock.augmentation_info.visible
    dock.pairs.rows()[0].image_layer.value = viewer.layers["EBSD IPF map"]
    dock._suggest_strategy()
    dock.augmentation.value = "equiaxed"  # the user's choice stands from now on
    dock._suggest_strategy()
    assert dock.augmentation.value == "equiaxed"


def test_advice_from_what_the_images_record():
    assert recorded_preset({"napari_finetune": {"preset": "eels"}}) == "eels"
    for metadata in ({}, None, {"napari_finetune": {"preset": "sem"}}, {"napari_finetune": 3}):
        assert recorded_preset(metadata) is None
    assert suggest_preset({"a": None}).preset is None
    assert suggest_preset({"a": "ebsd", "b": None, "c": "ebsd"}).explanation.endswith(
        "recorded with 'a', 'c' (pick another to override)."
    )
    mixed = suggest_preset({"a": "ebsd", "b": "eels"})
    assert mixed.preset is None and "record different presets" in mixed.explanation


def test_the_preview_takes_the_preset_an_image_records_once(make_napari_viewer):
    from napari_finetune._widgets.augmentation_preview import AugmentationPreviewWidget

    viewer = make_napari_viewer()
    viewer.open_sample("napari-finetune", "ebsd_ipf")
    preview = AugmentationPreviewWidget(viewer)
    preview.image_layer.value = viewer.layers["EBSD IPF map"]
    assert preview.pipeline.preset == "ebsd" and preview.preset.value == "ebsd"
    assert preview.status.value.endswith("(recorded with 'EBSD IPF map')")
    preview.preset.value = "custom"  # the user's choice stands while that image is chosen
    viewer.add_image(viewer.layers["EBSD IPF map"].data[..., 0], name="grey")  # a layer event
    assert preview.pipeline.preset == "custom"


def test_a_loaded_model_is_retrained_under_the_preset_it_trained_with(painted):
    import napari_finetune as nf
    from napari_finetune.augment import AugmentationPipeline

    dock = FineTuneWidget(painted)
    model = nf.load_model("voronoi-unet")
    model.augmentation = AugmentationPipeline.from_preset("directional").to_yaml()
    dock.session.model = model
    dock._on_loaded(model)
    assert dock.source.value == "current" and dock.augmentation.value == "directional"
    assert dock.augmentation_info.value.startswith("The preset the current model trained with")
    dock._suggest_strategy()  # no image records a preset: the model's stays
    assert dock.settings.options(None, None).augmentation == "directional"
    dock.augmentation.value = "equiaxed"  # the user's pick stands
    dock._on_loaded(model)
    assert dock.augmentation.value == "equiaxed"


def test_errors_after_training_name_the_image():
    import numpy as np
    import pytest

    import napari_finetune as nf
    from napari_finetune.session import LabellingSession, Pair

    session = LabellingSession()
    session.model = nf.load_model("voronoi-unet")
    image, labels = np.zeros((8, 8), np.float32), np.zeros((8, 8), np.uint8)
    session.set_pairs([Pair(image, labels, name="tiny")])
    with pytest.raises(ValueError, match=r"^image 'tiny': "):
        list(session.suggest())


def test_a_plane_too_large_to_train_on_is_refused_naming_the_layer(make_napari_viewer):
    import dask.array as da
    import pytest

    from napari_finetune.session.lazy_rule import LAZY_PIXELS

    viewer = make_napari_viewer()
    side = int(LAZY_PIXELS**0.5) + 1
    viewer.add_image(da.zeros((side, side), dtype=np.float32, chunks=1024), name="mosaic")
    viewer.add_labels(da.zeros((side, side), dtype=np.uint8, chunks=1024), name="mosaic painted")
    dock = FineTuneWidget(viewer)
    row = dock.pairs.rows()[0]
    row.image_layer.value, row.labels_layer.value = viewer.layers["mosaic"], viewer.layers[-1]
    with pytest.raises(ValueError, match=r"^Image layer 'mosaic': .*train on a crop of it"):
        dock.pairs.session_pairs()
