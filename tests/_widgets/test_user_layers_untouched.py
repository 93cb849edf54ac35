"""A layer of the user's that has an output's name is never updated nor removed."""

import numpy as np
from napari.layers import Labels, Shapes

from napari_finetune._widgets._grain_layers import remove_results
from napari_finetune._widgets._layers import output_metadata, output_named
from napari_finetune._widgets._result_layers import show_prediction
from napari_finetune.session import Prediction


def test_a_prediction_saved_reopened_and_corrected_by_hand_is_left_alone(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((32, 32), np.float32), name="grains")
    corrected = np.zeros((32, 32), np.uint8)
    corrected[4:9, 4:9] = 2  # the user's strokes on a reopened 'grains prediction.tif'
    mine = viewer.add_labels(corrected.copy(), name="grains prediction")
    probabilities = np.zeros((2, 32, 32), np.float32)
    probabilities[0] = 1
    classes = {1: "interior", 2: "boundary"}
    show_prediction(viewer, Prediction("grains", probabilities, False), None, classes)
    ours = output_named(viewer, "grains prediction", Labels)
    assert ours is not mine and ours.name == "grains prediction [1]"
    show_prediction(viewer, Prediction("grains", probabilities, True), None, classes)
    assert output_named(viewer, "grains prediction", Labels) is ours  # updated in place
    np.testing.assert_array_equal(mine.data, corrected)
    assert mine in viewer.layers and (ours.data == 1).all()
    # The probabilities name the classes too (Measure grains names the phases by them).
    from napari.layers import Image

    from napari_finetune.session.class_metadata import class_names_of

    probabilities_layer = output_named(viewer, "grains probabilities", Image)
    assert class_names_of(probabilities_layer.metadata) == classes
    # The grains dock's clean-up removes only its own layers.
    user_shapes = viewer.add_shapes(name="grains E112 pattern")
    plugin_grains = viewer.add_labels(
        np.zeros((32, 32), np.int32), name="grains grains", metadata=output_metadata("grains")
    )
    remove_results(viewer, "grains")
    assert user_shapes in viewer.layers and plugin_grains not in viewer.layers
    assert output_named(viewer, "grains E112 pattern", Shapes) is None
