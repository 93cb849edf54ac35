import numpy as np
import pytest

from napari_finetune import _sample_data

PLUGIN = "napari-finetune"
EXPECTED = {
    "equiaxed": [
        ("equiaxed grains", "Image"),
        ("equiaxed grains ids", "Labels"),
        ("equiaxed grains boundaries", "Labels"),
    ],
    "directional": [
        ("columnar grains", "Image"),
        ("columnar grains ids", "Labels"),
        ("columnar grains boundaries", "Labels"),
    ],
    "target_domain": [
        ("SEM grains", "Image"),
        ("SEM grains ids", "Labels"),
        ("SEM grains boundaries", "Labels"),
    ],
    "painted": [("grains", "Image"), ("grains painted", "Labels")],
    "nist_steel": [("NIST steel", "Image"), ("NIST steel boundaries", "Labels")],
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_every_sample_opens_in_napari_with_expected_layers(make_napari_viewer, key):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, key)
    found = [(layer.name, type(layer).__name__) for layer in viewer.layers]
    assert found == EXPECTED[key]
    image = viewer.layers[0].data
    for layer in viewer.layers[1:]:
        assert layer.data.shape == image.shape[:2]
        assert layer.data.max() >= 1


def test_painted_sample_is_sparse_strokes_of_both_classes(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "painted")
    painted = viewer.layers["grains painted"].data
    assert (painted > 0).mean() < 0.05
    assert set(np.unique(painted)) == {0, 1, 2}


def test_nist_steel_is_the_real_image_with_calibration():
    (image, image_kwargs, _), (labels, labels_kwargs, _) = _sample_data.nist_steel()
    assert image.shape == (600, 800) and image.dtype == np.uint8
    assert image_kwargs["scale"] == labels_kwargs["scale"] == (0.2252, 0.2252)
    # hand-traced boundaries are about a tenth of the pixels
    assert 0.05 < labels.mean() < 0.2
    folder = _sample_data.sample_data_dir() / "nist_steel"
    assert "NIST" in (folder / "LICENSE-NIST.md").read_text()


def test_synthetic_samples_record_their_parameters():
    layers = _sample_data.directional_grains()
    params = layers[0][1]["metadata"]["napari_finetune"]["synthetic"]
    assert params["morphology"] == "elongated" and params["grain_count"] == 40
