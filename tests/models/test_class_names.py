"""Class names: typed by the user, checked, and given to the model a run trains."""

import pytest

from napari_finetune.models.class_names import (
    check_class_names,
    class_names_text,
    name_classes,
    parse_class_names,
)


def test_typed_names_are_the_classes_in_order_and_read_back():
    names = parse_class_names(" matrix , secondary γ′,tertiary γ′ ")
    assert names == {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}
    assert parse_class_names(class_names_text(names)) == names


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "one name per painted value"),
        (" , ", "one name per painted value"),
        ("matrix,,precipitate", "class 2 has no name"),
        ("matrix, Matrix", "classes 1 and 2 are both called 'Matrix'"),
        ("x" * 41, "longer than 40"),
    ],
)
def test_names_that_cannot_be_read_are_refused_saying_which(text, said):
    with pytest.raises(ValueError, match=said):
        parse_class_names(text)


@pytest.mark.parametrize(
    ("names", "said"),
    [
        ({0: "background"}, "not a painted value"),
        ({1: ""}, "class 1 needs a name"),
        ({2: 7}, "class 2 needs"),
    ],
)
def test_given_mappings_are_checked_too(names, said):
    with pytest.raises(ValueError, match=said):
        check_class_names(names)


def test_given_names_win_the_start_models_fill_in_and_unpainted_ones_are_left_out():
    start = {1: "grain interior", 2: "boundary"}
    assert name_classes(start, 3) == {1: "grain interior", 2: "boundary", 3: "class 3"}
    given = {1: "matrix", 2: "secondary γ′", 4: "never painted"}
    assert name_classes(start, 3, given) == {1: "matrix", 2: "secondary γ′", 3: "class 3"}
    assert name_classes({}, 2) == {1: "grain interior", 2: "boundary"}


def test_a_given_name_that_an_unnamed_class_keeps_from_the_start_is_refused():
    start = {1: "grain interior", 2: "boundary"}
    with pytest.raises(ValueError, match=r"class 1 is called 'Boundary'.*name class 2 too"):
        name_classes(start, 2, {1: "Boundary"})
    # A name given to a class nobody painted clashes with nothing.
    assert name_classes(start, 2, {3: "boundary"}) == start
    assert name_classes(start, 2, {1: "boundary", 2: "interior"}) == {
        1: "boundary",
        2: "interior",
    }


def test_numpy_integer_values_are_painted_values():
    import numpy as np

    assert check_class_names({np.int64(2): "γ′", np.uint8(1): "γ"}) == {1: "γ", 2: "γ′"}


def test_an_empty_field_means_the_names_of_the_start_a_round_would_take(tmp_path):
    from napari_finetune.models import save_model
    from napari_finetune.models.model import SegmentationModel
    from napari_finetune.session import start_class_names

    grains = {1: "grain interior", 2: "boundary"}
    current = SegmentationModel.create(n_classes=3)
    current.classes = {1: "matrix", 2: "γ′", 3: "carbide"}
    assert start_class_names("world-unet", current) == grains
    assert start_class_names("scratch", current) == grains
    assert start_class_names("current", current) == current.classes
    assert start_class_names("current", None) is None
    assert start_class_names(tmp_path / "missing.ckpt", None) is None
    assert start_class_names(save_model(current, tmp_path / "m.ckpt"), None) == current.classes


def test_the_head_a_round_starts_from_has_the_start_models_class_count(tmp_path):
    from napari_finetune.models import save_model
    from napari_finetune.models.model import SegmentationModel
    from napari_finetune.session import StartClasses, start_classes

    current = SegmentationModel.create(n_classes=3)
    current.classes = {1: "matrix", 2: "γ′", 3: "carbide"}
    assert start_classes("world-unet", current).head == 2
    assert start_classes("scratch", current).head == 0  # a fresh head knows no class
    assert start_classes("current", current).head == 3
    # The strategy scratch trains a fresh head from any start; the names stay the start's.
    known = start_classes("current", current)
    assert known == StartClasses(current.classes, 3)
    assert known.head_under("scratch") == 0 and known.head_under("head") == 3
    assert start_classes("current", None) == StartClasses(None, None)
    assert start_classes(tmp_path / "missing.ckpt", None) == StartClasses(None, None)
    assert start_classes(save_model(current, tmp_path / "m.ckpt"), None).head == 3
