"""The labelling session drives training rounds and suggestions headless (no Qt)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.session import (
    CURRENT,
    SCRATCH,
    LabellingSession,
    Pair,
    Prediction,
    RoundFinished,
    RoundOptions,
    StatusLine,
    SuggestionOptions,
    Suggestions,
    previews,
    suggest_strategy,
)
from napari_finetune.session.labelling import PREVIOUS_KEPT, ROUND_STOPPED
from napari_finetune.session.policy import FEW_PAINTED_PX
from napari_finetune.session.previews import LivePreviews
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import EpochEnd, Finished, Preparing, Started, Step


@pytest.fixture(scope="module")
def two_pairs():
    pairs = []
    for k, seed in enumerate((3, 4)):
        sample = nf.voronoi_grains((160, 192), 14, seed=seed)
        strokes = paint_strokes(sample, n_boundary_strokes=4, n_interior_strokes=5, seed=seed)
        pairs.append(Pair(sample.image, strokes, f"image {k}"))
    return pairs


def quick(**kwargs):
    options = {
        "steps": 8,
        "augmentation": None,
        "suggestions": SuggestionOptions(n=3, size=32),
    }
    return RoundOptions(**(options | kwargs))


def test_two_pairs_two_rounds_each_pair_gets_its_own_map_and_boxes(two_pairs):
    session = LabellingSession(two_pairs)
    first = list(session.train_round(quick()))
    kinds = [type(e) for e in first]
    begins = kinds.index(Started)
    assert begins >= 1 and set(kinds[:begins]) == {Preparing}  # set-up first, then the run
    assert isinstance(first[-1], RoundFinished)
    finals = [e for e in first if isinstance(e, Prediction) and e.final]
    assert [p.target for p in finals] == ["image 0", "image 1"]
    found = {e.target: e for e in first if isinstance(e, Suggestions)}
    assert set(found) == {"image 0", "image 1"}
    for pair in two_pairs:
        maps = found[pair.name]
        assert maps.uncertainty.shape == pair.image.shape
        # each map is the model's own uncertainty on that image, not a copy of another's
        np.testing.assert_allclose(maps.uncertainty, nf.uncertainty(session.model, pair.image))
        assert len(maps.boxes) == 3 and maps.scores == sorted(maps.scores, reverse=True)
        for y0, x0, y1, x1 in maps.boxes:
            assert not pair.labels[y0:y1, x0:x1].any()  # never on paint
    assert not np.array_equal(found["image 0"].uncertainty, found["image 1"].uncertainty)
    ranking = first[-1].ranking
    assert len(ranking) == 6 and {b.target for b in ranking} == {"image 0", "image 1"}
    assert [b.score for b in ranking] == sorted((b.score for b in ranking), reverse=True)

    # the annotator paints the best box with class 1, then a warm-started round
    best = ranking[0]
    k = int(best.target.split()[-1])
    labels = two_pairs[k].labels.copy()
    y0, x0, y1, x1 = best.box
    labels[y0:y1, x0:x1] = 1
    repainted = [*two_pairs]
    repainted[k] = Pair(two_pairs[k].image, labels, best.target)
    session.set_pairs(repainted)
    before = session.model
    second = session.run_round(quick(start=CURRENT))
    assert session.model is second.model and second.model is not before
    assert [r.run for r in second.rounds] == [1, 2]
    assert second.rounds[1].painted_pixels > second.rounds[0].painted_pixels
    # Each round's point is the score its run reported for the weights it kept.
    assert second.rounds[1].validation_score == second.finished.best_score
    assert second.rounds[0].validation_score == first[-1].finished.best_score
    assert all(b.box != best.box or b.target != best.target for b in second.ranking)


def test_unpainted_pairs_get_suggestions_but_add_nothing_to_training(two_pairs):
    blank = Pair(two_pairs[1].image, np.zeros_like(two_pairs[1].labels), "blank")
    session = LabellingSession([two_pairs[0], blank])
    events = list(session.train_round(quick()))
    started = next(e for e in events if isinstance(e, Started))
    assert started.n_train_pixels + started.n_validation_pixels == two_pairs[0].painted_pixels
    assert {e.target for e in events if isinstance(e, Suggestions)} == {"image 0", "blank"}


def test_the_session_trains_exactly_what_fit_trains(two_pairs):
    session = LabellingSession(two_pairs)
    result = session.run_round(quick(suggestions=None, final_predictions=False))
    model, _ = nf.fit(
        [p.image for p in two_pairs],
        [p.labels for p in two_pairs],
        DEFAULT_MODEL,
        strategy=suggest_strategy(session.painted_pixels).strategy,
        steps=8,
        augmentation=None,
    )
    image = two_pairs[0].image
    np.testing.assert_array_equal(nf.predict(result.model, image), nf.predict(model, image))


def test_closing_a_round_after_an_epoch_keeps_its_best_model(two_pairs):
    session = LabellingSession(two_pairs)
    events = session.train_round(RoundOptions(max_seconds=600, augmentation=None))
    for event in events:
        if isinstance(event, EpochEnd):
            break
    events.close()
    assert session.model is not None and not session.model.net.training
    assert session.outcome == ROUND_STOPPED
    assert session.suggestions == []


def test_a_round_stopped_before_any_epoch_or_failing_keeps_the_previous_model(
    two_pairs, monkeypatch
):
    session = LabellingSession(two_pairs)
    first = session.run_round(quick(suggestions=None)).model
    weights = {k: v.clone() for k, v in first.net.state_dict().items()}
    events = session.train_round(quick(start=CURRENT, steps=None, max_seconds=600))
    for event in events:
        if isinstance(event, Step) and event.step == 3:
            break
    events.close()
    assert session.model is first and session.outcome == PREVIOUS_KEPT
    for name, tensor in first.net.state_dict().items():
        assert torch.equal(tensor, weights[name]), name

    def broken(self, model):
        raise RuntimeError("preview failed")

    monkeypatch.setattr(LivePreviews, "preview", broken)
    monkeypatch.setattr(LivePreviews, "due", lambda self: True)  # fails at the first step
    with pytest.raises(RuntimeError, match="preview failed"):
        session.run_round(quick(start=CURRENT, steps=60))
    assert session.model is first and session.outcome == PREVIOUS_KEPT
    # Nothing at all to go back to: still no model, not a half-trained one.
    fresh = LabellingSession(two_pairs)
    events = fresh.train_round(quick(steps=None, max_seconds=600))
    assert isinstance(next(events), Preparing)  # progress from the first second
    events.close()
    assert fresh.model is None and fresh.outcome == PREVIOUS_KEPT


def test_strategy_advice_follows_the_painted_amount():
    assert suggest_strategy(FEW_PAINTED_PX - 1).strategy == "head"
    advice = suggest_strategy(FEW_PAINTED_PX)
    assert advice.strategy == "finetune" and f"{FEW_PAINTED_PX:,} painted px" in advice.explanation


def test_start_from_scratch_forces_the_scratch_strategy(two_pairs):
    session = LabellingSession(two_pairs)
    events = session.train_round(quick(start=SCRATCH, strategy="head"))
    assert next(e for e in events if isinstance(e, Started)).strategy == "scratch"
    events.close()


def test_bad_requests_fail_before_training_with_clear_messages(two_pairs, tmp_path):
    session = LabellingSession(two_pairs)
    with pytest.raises(ValueError, match="no current model"):
        session.train_round(quick(start=CURRENT))
    with pytest.raises(ValueError, match=r"missing\.ckpt does not exist"):
        session.train_round(quick(start=tmp_path / "missing.ckpt"))
    with pytest.raises(ValueError, match="chosen twice"):
        session.set_pairs([two_pairs[0], two_pairs[0]])
    blank = Pair(two_pairs[0].image, np.zeros_like(two_pairs[0].labels), "blank")
    with pytest.raises(ValueError, match="no painted pixels"):
        LabellingSession([blank]).train_round(quick())
    with pytest.raises(ValueError, match="strategy='fast'"):
        RoundOptions(strategy="fast")
    with pytest.raises(ValueError, match="mc_dropout"):
        SuggestionOptions(method="psychic")
    with pytest.raises(ValueError, match="no plane 5"):
        Pair(np.zeros((3, 32, 32)), np.zeros((3, 32, 32), np.uint8), "stack", plane=5)


def test_a_stack_gets_previews_and_suggestions_on_its_plane_in_view(two_pairs):
    image = np.stack([two_pairs[0].image, two_pairs[1].image])
    labels = np.zeros(image.shape, np.uint8)
    labels[0] = two_pairs[0].labels
    session = LabellingSession([Pair(image, labels, "stack", plane=1)])
    events = list(session.train_round(quick()))
    (found,) = [e for e in events if isinstance(e, Suggestions)]
    assert found.plane == 1 and found.uncertainty.shape == image.shape[1:]
    (final,) = [e for e in events if isinstance(e, Prediction) and e.final]
    assert final.probabilities.shape == (2, *image.shape)


def test_lazy_images_are_read_once_where_the_round_runs_not_where_it_is_asked_for(
    two_pairs, monkeypatch
):
    da = pytest.importorskip("dask.array")
    monkeypatch.setattr(previews, "PREVIEW_MIN_INTERVAL", 0.0)  # previews read the plane too
    image = np.stack([two_pairs[0].image, two_pairs[1].image])
    labels = np.zeros(image.shape, np.uint8)
    labels[0] = two_pairs[0].labels
    blank = np.zeros(image.shape[1:], np.uint8)
    reads = []

    def noted(block):
        reads.append(block.shape)
        return block

    def lazy(array):  # one chunk per plane, each read noted
        chunks = (1, *array.shape[1:]) if array.ndim == 3 else array.shape
        return da.from_array(array, chunks=chunks).map_blocks(noted, dtype=array.dtype)

    def round_on(stack, other):
        pairs = [Pair(stack, labels, "stack", plane=1), Pair(other, blank, "unpainted")]
        return LabellingSession(pairs).train_round(quick())

    stack, other = lazy(image), lazy(two_pairs[1].image)
    reads.clear()  # Dask may call `noted` once to learn the output's kind
    lazy_round = round_on(stack, other)
    assert reads == []  # asking for the round (the dock does, on its GUI thread) reads nothing
    events = list(lazy_round)
    # Each plane once, in the thread that ran the round: training, live previews, the
    # final predictions and the suggestions all use that read.
    assert len(reads) == 3
    expected = list(round_on(image, two_pairs[1].image))

    def finals(run):
        return [e.probabilities for e in run if isinstance(e, Prediction) and e.final]

    for got, want in zip(finals(events), finals(expected), strict=True):
        np.testing.assert_array_equal(got, want)


def test_status_line_shows_time_left_of_this_rounds_budget(two_pairs):
    session = LabellingSession(two_pairs)
    status, lines = StatusLine(), []
    for event in session.train_round(quick(steps=None, max_seconds=2, suggestions=None)):
        text = status.describe(event)
        if isinstance(event, Step):
            lines.append(text)
        elif isinstance(event, Preparing):
            assert text.startswith("Preparing: ") and not lines
        elif isinstance(event, Started):
            assert "2 s" in text and "cpu" in text
        elif isinstance(event, Finished):
            assert text.startswith("Done (time budget")
            # The score comes with what it rests on (or says nothing was held out).
            assert "validation" in text
        elif isinstance(event, RoundFinished):
            assert text.startswith("Round 1 done")
    lefts = [float(line.split(" s left")[0].split("· ")[-1]) for line in lines]
    assert lefts and max(lefts) <= 2


def test_the_core_imports_no_qt_napari_or_magicgui():
    code = (
        "import sys, napari_finetune, napari_finetune.session, napari_finetune.cli\n"
        "gui = [m for m in sys.modules if m.split('.')[0] in ('napari', 'qtpy', 'magicgui')]\n"
        "assert not gui, gui\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_errors_about_a_painted_image_name_it_not_its_index():
    image = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    labels = np.zeros((64, 64), np.uint8)
    labels[5:20, 5:20], labels[30:40, 30:40] = 1, 2
    broken = image.copy()
    broken[3, 3] = np.nan
    pairs = [
        Pair(image, np.zeros_like(labels), "row one, unpainted"),
        Pair(image, labels, "steel A"),
        Pair(broken, labels, "steel B"),
    ]
    options = RoundOptions(steps=2, live_previews=False, suggestions=None)
    with pytest.raises(ValueError, match="image 'steel B' contains NaN"):
        LabellingSession(pairs).run_round(options)
    colour = [Pair(image, labels, "grey one"), Pair(np.stack([image] * 3, -1), labels, "rgb one")]
    with pytest.raises(ValueError, match="image 'grey one' is grey but 'rgb one' is colour"):
        LabellingSession(colour).train_round(options)


def test_a_lazy_image_that_cannot_be_read_is_named_and_the_model_kept(two_pairs):
    da = pytest.importorskip("dask.array")

    def gone(block):
        raise OSError("the network share went away")

    image = two_pairs[0].image
    lazy = da.from_array(image, chunks=image.shape).map_blocks(gone, dtype=image.dtype)
    session = LabellingSession([Pair(lazy, two_pairs[0].labels, "mosaic")])
    before = session.model
    with pytest.raises(ValueError, match="image 'mosaic' could not be read: the network share"):
        list(session.train_round(quick()))
    assert session.outcome == PREVIOUS_KEPT and session.model is before


def test_reading_a_lazy_image_is_said_and_a_stop_before_it_reads_nothing(two_pairs):
    da = pytest.importorskip("dask.array")
    reads = []

    def noted(block):
        reads.append(block.shape)
        return block

    image = two_pairs[0].image
    lazy = da.from_array(image, chunks=image.shape).map_blocks(noted, dtype=image.dtype)
    session = LabellingSession([Pair(lazy, two_pairs[0].labels, "mosaic")])
    before = session.model
    reads.clear()  # Dask may call `noted` once to learn the output's kind
    events = session.train_round(quick())
    first = next(events)
    assert isinstance(first, Preparing) and first.stage == "reading 'mosaic'"
    events.close()  # Stop, while the status line says what is read
    assert reads == []
    assert session.outcome == PREVIOUS_KEPT and session.model is before
