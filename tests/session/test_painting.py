"""Classes, colours and brush of a new painting layer."""

from napari_finetune import _sample_data
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.painting import (
    PALETTE,
    new_painting,
    paint_first,
    painting_brush_size,
    painting_classes,
    painting_legend,
)


def test_without_a_model_the_grain_classes_in_the_painted_sample_colours():
    classes = painting_classes(None)
    assert {v: c.name for v, c in classes.items()} == {1: "grain interior", 2: "boundary"}
    # the same colours as the painted sample, so a new painting looks like it
    assert classes[1].colour == _sample_data.INTERIOR_COLOUR
    assert classes[2].colour == _sample_data.PAINTED_BOUNDARY_COLOUR
    assert _sample_data.BOUNDARY_COLOUR not in [c for c, _ in PALETTE]  # truth stays apart
    assert painting_legend(classes) == "1 = grain interior (cyan), 2 = boundary (magenta)"


def test_the_current_models_classes_name_the_values_each_in_a_distinct_colour():
    model = SegmentationModel.create(n_classes=4)
    model.classes = {1: "ferrite", 2: "pearlite", 3: "boundary", 4: "inclusion"}
    classes = painting_classes(model)
    assert [c.name for c in classes.values()] == ["ferrite", "pearlite", "boundary", "inclusion"]
    assert len({c.colour for c in classes.values()}) == 4
    many = SegmentationModel.create(n_classes=len(PALETTE) + 2)
    assert len(painting_classes(many)) == len(PALETTE) + 2  # colours repeat, no error


def test_brush_is_about_a_percent_of_the_shorter_side_within_bounds():
    assert painting_brush_size((512, 512)) == 5
    assert painting_brush_size((3, 2048, 1024)) == 10  # a stack: the plane counts
    assert painting_brush_size((64, 64)) == 3
    assert painting_brush_size((20_000, 20_000)) == 40


def test_status_says_where_nothing_is_painted_and_how_to_start():
    assert "Fine-tune" in paint_first([])
    assert "'NIST steel'" in paint_first(["NIST steel"])
    assert "New painting layer" in paint_first(["NIST steel"])
    text = new_painting("NIST steel painted", painting_classes(None))
    assert "'NIST steel painted'" in text and "2 = boundary (magenta)" in text


def test_renaming_keeps_the_names_of_values_beyond_those_given():
    from napari_finetune.session.painting import renamed_classes

    had = {1: "matrix", 2: "γ′", 3: "carbide", "note": "not a value"}
    renamed = renamed_classes(had, {1: "γ", 2: "γ′ large"})
    assert {k: c.name for k, c in renamed.items()} == {1: "γ", 2: "γ′ large", 3: "carbide"}
    assert renamed[3].colour_name == "lime"  # each value keeps its place in the palette
    assert {k: c.name for k, c in renamed_classes({"1": "a", "2": "b"}, None).items()} == {
        1: "a",
        2: "b",
    }
