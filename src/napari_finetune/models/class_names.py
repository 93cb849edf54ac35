"""The names of a model's classes: given by the user, or kept from the start model.

A name is more than a caption. Validation scores a class whose name says it is
thin (``'boundary'``, ``'membrane'``, …) with a tolerance band
(:func:`~napari_finetune.training.held_out_score.thin_classes`); predictions,
exports and the phase-fraction columns of the measurements carry the names.
A painting of three phases fine-tuned from a grain model must therefore not
inherit ``'boundary'`` for its second phase: the user names the classes
(the dock's *classes* field, ``fit(..., class_names=…)``, ``fit --classes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral

from napari_finetune.models.model import DEFAULT_CLASSES

# Names are shown in legends, layer hovers and CSV headers: keep them short.
MAX_NAME = 40


def check_class_names(names: Mapping[int, str]) -> dict[int, str]:
    """The names as ``{value: name}``, checked.

    Parameters
    ----------
    names : mapping
        Painted value (1, 2, …) -> name.

    Returns
    -------
    dict
        The names by value, in value order, stripped of surrounding spaces.

    Raises
    ------
    ValueError
        A value that is not a whole number ≥ 1, a name that is empty, too long
        or not text, or two classes with the same name.
    """
    checked: dict[int, str] = {}
    for value, name in dict(names).items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"class names: {value!r} is not a painted value (1, 2, …).")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"class names: class {value} needs a name (got {name!r}).")
        if len(name.strip()) > MAX_NAME:
            raise ValueError(
                f"class names: the name of class {value} is longer than {MAX_NAME} characters."
            )
        checked[int(value)] = name.strip()
    seen: dict[str, int] = {}
    for value, name in sorted(checked.items()):
        if name.lower() in seen:
            raise ValueError(
                f"class names: classes {seen[name.lower()]} and {value} are both "
                f"called '{name}': give each class its own name."
            )
        seen[name.lower()] = value
    return dict(sorted(checked.items()))


def parse_class_names(text: str) -> dict[int, str]:
    """Names typed as ``'matrix, secondary γ′, tertiary γ′'``: classes 1, 2, 3 in order.

    Raises
    ------
    ValueError
        No name at all, an empty name between two commas, or a repeated name
        (:func:`check_class_names`).
    """
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise ValueError(
            "class names: give one name per painted value, separated by commas "
            "(e.g. 'grain interior, boundary')."
        )
    for k, part in enumerate(parts, 1):
        if not part:
            raise ValueError(f"class names: class {k} has no name (two commas in a row?).")
    return check_class_names(dict(enumerate(parts, 1)))


def class_names_text(names: Mapping[int, str]) -> str:
    """``'grain interior, boundary'``: what :func:`parse_class_names` reads back."""
    return ", ".join(name for _, name in sorted(names.items()))


def name_classes(
    start: Mapping[int, str], n_classes: int, given: Mapping[int, str] | None = None
) -> dict[int, str]:
    """The names of a trained model's classes 1..``n_classes``.

    A given name wins; otherwise the start model's, then the shipped grain
    classes' (1 grain interior, 2 boundary), then ``'class k'``. Given names
    of classes beyond ``n_classes`` (nobody painted them) are left out.

    Raises
    ------
    ValueError
        Names that :func:`check_class_names` refuses, or a given name that a
        class without one keeps from the start model (two classes of one name).
    """
    given = check_class_names(given) if given else {}
    names = {
        k: given.get(k) or start.get(k) or DEFAULT_CLASSES.get(k, f"class {k}")
        for k in range(1, n_classes + 1)
    }
    # A kept name may be one the user gave another class: two classes of one name.
    for k, name in names.items():
        twins = [j for j, other in given.items() if other.lower() == name.lower()]
        twin = next((j for j in twins if j != k and j <= n_classes), None)
        if k not in given and twin is not None:
            raise ValueError(
                f"class names: class {twin} is called '{given[twin]}', the name class {k} keeps "
                f"from the start model: name class {k} too."
            )
    return names
