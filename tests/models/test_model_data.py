"""Exports say what a model segments and, for a physics preset, what its inputs must be."""

import napari_finetune as nf
from napari_finetune.augment import AugmentationPipeline
from napari_finetune.models.bioimageio_card import model_card
from napari_finetune.models.bioimageio_description import package_config
from napari_finetune.models.model_data import class_list, modality, trained_preset


def test_an_ebsd_model_says_its_inputs_and_what_not_to_do_to_them():
    model = nf.load_model("voronoi-unet")
    assert trained_preset(model) is None and class_list(model) == "grain interior and boundary"
    model.augmentation = AugmentationPipeline.from_preset("ebsd").to_yaml()
    model.classes = {1: "grain", 2: "boundary"}
    assert modality(model) == "EBSD orientation maps (inverse-pole-figure colours)"
    card = model_card(model)
    intended = card.split("## Intended use")[1].split("## Limits")[0]
    assert "grain and boundary in EBSD orientation maps" in intended
    assert "do not flip, rotate or colour-adjust them" in intended
    assert package_config(model, "napari-finetune.ckpt")["preset"] == "ebsd"


def test_phases_are_named_in_the_card():
    model = nf.load_model("voronoi-unet")
    model.classes = {1: "matrix", 2: "secondary γ′"}
    assert "matrix and secondary γ′ in electron or light microscopy" in model_card(model)


def test_a_package_names_its_own_authors_and_licence(tmp_path):
    import zipfile

    import pytest
    import yaml

    from napari_finetune.models.bioimageio_package import export_bioimageio

    model = nf.load_model("voronoi-unet")
    with pytest.raises(ValueError, match="at least one person"):
        export_bioimageio(model, tmp_path / "none.zip", authors=["  "])
    with pytest.raises(ValueError, match="'mine' is not an SPDX licence identifier"):
        export_bioimageio(model, tmp_path / "none.zip", license="mine")
    assert not (tmp_path / "none.zip").exists()
    path = export_bioimageio(
        model, tmp_path / "mine.zip", authors=["A. Metallographer", "B. Lab"], license="CC-BY-4.0"
    )
    with zipfile.ZipFile(path) as archive:
        rdf = yaml.safe_load(archive.read("rdf.yaml"))
        card = archive.read(rdf["documentation"]["source"]).decode()
    assert rdf["authors"] == [{"name": "A. Metallographer"}, {"name": "B. Lab"}]
    assert rdf["license"] == "CC-BY-4.0"
    assert "CC-BY-4.0, by A. Metallographer and B. Lab; made with napari-finetune" in card


def test_many_classes_are_counted_not_all_named():
    model = nf.load_model("voronoi-unet")
    model.classes = {k: f"phase number {k}" for k in range(1, 3)}
    assert class_list(model) == "phase number 1 and phase number 2"
    from types import SimpleNamespace

    many = SimpleNamespace(classes={k: f"phase {k}" for k in range(1, 21)}, n_classes=20)
    assert class_list(many) == "phase 1, phase 2, phase 3, phase 4, phase 5 and 15 more classes"
