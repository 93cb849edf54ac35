"""The wider synthetic world's sample-data commands, without a viewer."""

import importlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from napari_finetune import _sample_data

MANIFEST = Path(_sample_data.__file__).with_name("napari.yaml")
# sample key -> (command, layer names and types, whether the image is RGB)
EXPECTED = {
    "twins": (
        _sample_data.twinned_grains,
        [
            ("twinned grains", "image"),
            ("twinned grains ids", "labels"),
            ("twinned grains boundaries", "labels"),
            ("twinned grains twin boundaries", "labels"),
        ],
        False,
    ),
    "second_phases": (
        _sample_data.second_phase_grains,
        [
            ("second phases", "image"),
            ("second phases ids", "labels"),
            ("second phases boundaries", "labels"),
            ("second phases regions", "labels"),
        ],
        False,
    ),
    "tint_etch": (
        _sample_data.tint_etched_grains,
        [
            ("tint-etched grains", "image"),
            ("tint-etched grains ids", "labels"),
            ("tint-etched grains boundaries", "labels"),
        ],
        True,
    ),
    "ebsd_ipf": (
        _sample_data.ebsd_ipf_map,
        [
            ("EBSD IPF map", "image"),
            ("EBSD IPF map ids", "labels"),
            ("EBSD IPF map boundaries", "labels"),
        ],
        True,
    ),
    "em_membranes": (
        _sample_data.em_membrane_cells,
        [
            ("EM cells", "image"),
            ("EM cells ids", "labels"),
            ("EM cells membranes", "labels"),
            ("EM cells organelles", "labels"),
        ],
        False,
    ),
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_command_returns_image_and_exact_truth_labels(key):
    command, expected, rgb = EXPECTED[key]
    layers = command()
    assert [(kwargs["name"], kind) for _, kwargs, kind in layers] == expected
    image, image_kwargs, _ = layers[0]
    assert image.dtype == np.float32
    assert image.ndim == (3 if rgb else 2)
    assert image_kwargs.get("rgb", False) == rgb
    assert "synthetic" in image_kwargs["metadata"]["napari_finetune"]
    for data, kwargs, _ in layers[1:]:
        assert data.shape == image.shape[:2]
        assert np.issubdtype(data.dtype, np.integer) and data.max() >= 1
        assert "truth" in kwargs["metadata"]["napari_finetune"]


def test_manifest_lists_every_new_sample_with_its_command():
    contributions = yaml.safe_load(MANIFEST.read_text())["contributions"]
    python_names = {c["id"]: c["python_name"] for c in contributions["commands"]}
    samples = {s["key"]: s["command"] for s in contributions["sample_data"]}
    for key, (command, _, _) in EXPECTED.items():
        module, name = python_names[samples[key]].split(":")
        assert getattr(importlib.import_module(module), name) is command


def test_second_phase_regions_keep_the_documented_codes():
    layers = _sample_data.second_phase_grains()
    regions, kwargs, _ = layers[-1]
    assert set(np.unique(regions)) <= {1, 2, 3}
    assert kwargs["features"]["class"] == ["matrix", "precipitate", "lamellar colony"]


def test_ebsd_sample_says_which_augmentation_preset_to_use():
    (_, kwargs, _), *_ = _sample_data.ebsd_ipf_map()
    assert kwargs["metadata"]["napari_finetune"]["preset"] == "ebsd"


@pytest.mark.parametrize("key", list(EXPECTED))
def test_napari_builds_every_layer(key):
    layers_module = pytest.importorskip("napari.layers")
    command, expected, rgb = EXPECTED[key]
    built = [layers_module.Layer.create(*layer) for layer in command()]
    assert [type(layer).__name__ for layer in built] == [kind.capitalize() for _, kind in expected]
    assert built[0].rgb == rgb
