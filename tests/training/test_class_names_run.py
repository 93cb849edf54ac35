"""A run names its classes as the user says: validation, provenance and retrain follow."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Started
from napari_finetune.training.held_out_score import thin_classes
from napari_finetune.training.reproduce import reproduce

PHASES = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}


@pytest.fixture(scope="module")
def three_phases():
    """A grain painting with a third class painted inside some grains."""
    sample = nf.voronoi_grains((160, 160), 12, seed=5)
    labels = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=5, seed=5)
    labels[100:110, 20:40][labels[100:110, 20:40] == 1] = 3
    labels[30:36, 100:130] = 3
    return sample.image, labels


def quick(**kwargs):
    return {"steps": 2, "batch_size": 4, "patch_size": 64, "seed": 3} | kwargs


def test_a_phase_painting_from_a_grain_model_keeps_the_users_names(three_phases):
    image, labels = three_phases
    events = nf.finetune(image, labels, "world-unet", class_names=PHASES, **quick())
    started = next(e for e in events if isinstance(e, Started))
    assert started.classes == PHASES
    *_, finished = events
    model = finished.model
    assert model.classes == PHASES
    # Nothing is validated as a thin class: no tolerance band around the second phase.
    assert thin_classes(model.classes) == set()
    assert model.provenance[-1]["options"]["class_names"] == {
        "1": "matrix",
        "2": "secondary γ′",
        "3": "tertiary γ′",
    }


def test_without_names_the_start_models_names_stay_as_before(three_phases):
    image, labels = three_phases
    model, _ = nf.fit(image, labels, "world-unet", **quick())
    assert model.classes == {1: "grain interior", 2: "boundary", 3: "class 3"}
    assert thin_classes(model.classes) == {2}
    assert "class_names" not in model.provenance[-1]["options"]


def test_retrain_repeats_the_names_and_older_records_keep_the_starts(three_phases, repeat_options):
    image, labels = three_phases
    model, _ = nf.fit(image, labels, "world-unet", class_names={2: "precipitate"}, **quick())
    assert model.classes[2] == "precipitate"
    assert repeat_options(model, [image], [labels])["class_names"] == {2: "precipitate"}
    record = model.provenance[-1]["options"]
    del record["class_names"]  # a record from before names
    assert repeat_options(model, [image], [labels])["class_names"] is None
    # Records that cannot be repeated say so, before any training.
    record["class_names"] = ["matrix"]  # edited by hand
    with pytest.raises(ValueError, match="the record's class names"):
        reproduce(model, [image], [labels])
    record["class_names"], record["patch_size"] = {"1": "matrix"}, 40  # an older version's run
    with pytest.raises(ValueError, match=r"patches of 40 px.*cannot be repeated"):
        reproduce(model, [image], [labels])


def test_bad_names_are_said_before_any_work(three_phases):
    image, labels = three_phases
    events = nf.finetune(image, labels, "world-unet", class_names={1: "a", 2: "A"}, **quick())
    with pytest.raises(ValueError, match="both called"):
        next(events)
    with pytest.raises(ValueError, match="not a painted value"):
        nf.fit(image, labels, "world-unet", class_names={0: "void"}, **quick())


def test_a_session_round_passes_the_names_and_previews_carry_them(three_phases):
    from napari_finetune.session import LabellingSession, Pair, Prediction, RoundOptions

    image, labels = three_phases
    session = LabellingSession([Pair(image, labels, "phases")])
    options = RoundOptions(steps=2, class_names=PHASES, suggestions=None, seed=3)
    finals = [e for e in session.train_round(options) if isinstance(e, Prediction)]
    assert session.model.classes == PHASES
    assert finals and all(e.classes == PHASES for e in finals)
    assert np.ndim(finals[0].probabilities) == 3
    with pytest.raises(ValueError, match="class 1 needs a name"):
        RoundOptions(class_names={1: " "})


def test_live_previews_name_the_classes_of_the_model_in_training(three_phases, monkeypatch):
    # The session has no model yet in a first round: the preview's names are the run's.
    from napari_finetune.session import LabellingSession, Pair, Prediction, RoundOptions
    from napari_finetune.session.previews import LivePreviews

    monkeypatch.setattr(LivePreviews, "due", lambda self: True)
    image, labels = three_phases
    session = LabellingSession([Pair(image, labels, "phases")])
    options = RoundOptions(steps=1, class_names=PHASES, suggestions=None, final_predictions=False)
    live = [e for e in session.train_round(options) if isinstance(e, Prediction)]
    assert live and not live[0].final and live[0].classes == PHASES


def test_from_scratch_the_chosen_start_names_the_classes(three_phases):
    image, labels = three_phases
    named = nf.load_model("world-unet")
    named.classes = {1: "ferrite", 2: "pearlite"}
    model, _ = nf.fit(image, labels, named, strategy="scratch", **quick())
    assert model.classes == {1: "ferrite", 2: "pearlite", 3: "class 3"}


def test_every_comparison_run_names_the_classes_as_the_first_start(three_phases, monkeypatch):
    from napari_finetune.training import advisor

    handed = []

    def fake_finetune(*args, **kwargs):
        handed.append(kwargs["class_names"])
        raise RuntimeError("enough")

    monkeypatch.setattr(advisor, "finetune", fake_finetune)
    image, labels = three_phases
    named = nf.load_model("world-unet")
    named.classes = {1: "ferrite", 2: "pearlite"}
    events = advisor.compare_strategies(
        image, labels, named, strategies=("head",), other_starts=("voronoi-unet",)
    )
    next(events)  # ComparisonStarted
    with pytest.raises(RuntimeError, match="enough"):
        next(events)
    assert handed == [{1: "ferrite", 2: "pearlite"}]


def test_a_class_the_start_model_knows_and_the_painting_skips_keeps_its_head_row():
    import torch

    from napari_finetune.models.registry import load_model
    from napari_finetune.training.start import resolve_model

    start = load_model("voronoi-unet")  # classes 1 interior, 2 boundary
    model, head_kept = resolve_model(start, "finetune", 1, {1, 3})  # a new class 3, 2 unpainted
    assert not head_kept and model.n_classes == 3 and model.classes[2] == start.classes[2]
    assert torch.equal(model.net.head.weight[:2], start.net.head.weight)
    assert torch.equal(model.net.head.bias[:2], start.net.head.bias)
    # Every class painted: the new head is fresh, as before (it learns them all).
    model, _ = resolve_model(start, "finetune", 1, {1, 2, 3})
    assert not torch.equal(model.net.head.weight[:2], start.net.head.weight)
