"""Deep stacks: a round reads and predicts the planes that matter; Predict goes plane by plane."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.predict import predict
from napari_finetune.session import (
    LabellingSession,
    Pair,
    Prediction,
    RoundFinished,
    RoundOptions,
    StatusLine,
    lazy_rule,
    previews,
)
from napari_finetune.session.deep_stack_prediction import PlanesPredicted, predict_stack
from napari_finetune.session.lazy_rule import is_deep_stack
from napari_finetune.session.pairs import read_pairs
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Preparing, Started

da = pytest.importorskip("dask.array")

SHAPE = (160, 192)
PLANES = 6


@pytest.fixture(autouse=True)
def deep_from_four_planes(monkeypatch):
    """Stacks of 4 or more of these planes count as deep (the real rule: 64 Mpx in all)."""
    monkeypatch.setattr(lazy_rule, "LAZY_PIXELS", 4 * SHAPE[0] * SHAPE[1])


@pytest.fixture(scope="module")
def stack():
    samples = [nf.voronoi_grains(SHAPE, 14, seed=s) for s in range(PLANES)]
    image = np.stack([s.image for s in samples])
    labels = np.zeros(image.shape, np.uint8)
    for z in (1, 4):  # painted on two planes only
        labels[z] = paint_strokes(samples[z], n_boundary_strokes=4, n_interior_strokes=5, seed=z)
    return image, labels


def plane_reads(image, reads, broken=None):
    """``image`` as a Dask stack of one chunk a plane, each plane read noted (or refused)."""

    def noted(block, block_info=None):
        z = block_info[0]["chunk-location"][0]
        if z == broken:
            raise OSError("the network share went away")
        reads.append(z)
        return block

    lazy = da.from_array(image, chunks=(1, *image.shape[1:]))
    return lazy.map_blocks(noted, dtype=image.dtype)


def test_a_stack_is_deep_from_the_lazy_rules_pixel_count_in_all(monkeypatch):
    monkeypatch.undo()  # the shipped rule: 8192² px in all
    assert is_deep_stack((64, 1024, 1024)) and not is_deep_stack((63, 1024, 1024))
    assert is_deep_stack((16, 2048, 2048, 3), rgb=True)
    assert not is_deep_stack((15, 2048, 2048, 3), rgb=True)
    assert is_deep_stack((64, 1024, 1024, 1))  # a grey channel axis of 1 is no plane count
    # One image is never a stack, however large (it goes band by band).
    assert not is_deep_stack((8192, 8192)) and not is_deep_stack((1, 8192, 8192))
    # Planes along the first axis only: a leading axis of 1 before them is not read away.
    assert not is_deep_stack((1, 64, 1024, 1024))


def test_a_round_on_a_deep_lazy_stack_reads_and_predicts_its_painted_planes_and_the_one_in_view(
    stack, monkeypatch
):
    monkeypatch.setattr(previews, "PREVIEW_MIN_INTERVAL", 0.0)  # previews read their plane too
    image, labels = stack
    reads = []
    lazy = plane_reads(image, reads)
    session = LabellingSession([Pair(lazy, labels, "fib-sem", plane=2)])
    reads.clear()  # Dask may call `noted` once to learn the output's kind
    status, said, events = StatusLine(), None, []
    for event in session.train_round(RoundOptions(steps=6, augmentation=None)):
        events.append(event)
        said = status.describe(event) or said
    # Nothing reads the planes never painted nor in view: not training, previews or maps.
    assert set(reads) == {1, 2, 4}
    # The painted planes: once to train on, once more to predict them at the end.
    assert reads.count(1) == 2 and reads.count(4) == 2
    stages = [e.stage for e in events if isinstance(e, Preparing)]
    assert "reading the 2 painted plane(s) of 'fib-sem'" in stages
    assert not any(stage == "reading 'fib-sem'" for stage in stages)  # never read whole
    finals = [e for e in events if isinstance(e, Prediction) and e.final]
    assert [e.plane for e in finals] == [1, 2, 4]
    for event in finals:  # each plane as predict gives it on that plane alone
        assert event.probabilities.shape == (2, *SHAPE)
        want = predict(session.model, image[event.plane])
        np.testing.assert_allclose(event.probabilities, want, atol=1e-6)
    (done,) = [e for e in events if isinstance(e, PlanesPredicted)]
    assert done.planes == (1, 2, 4) and done.total == PLANES
    assert isinstance(events[-1], RoundFinished)
    assert said.startswith("Round 1 done")
    assert said.endswith(
        "'fib-sem': 3 of its 6 planes predicted (the painted ones and the one in view: the "
        "stack is too deep to predict whole after every round); Predict does every plane, "
        "one by one."
    )


def test_a_stack_under_the_rule_is_still_read_and_predicted_whole(stack):
    image, labels = stack
    reads = []
    lazy = plane_reads(image[:3], reads)  # 3 planes: not deep
    (pair,) = [Pair(lazy, labels[:3], "short", plane=0)]
    reads.clear()
    events = read_pairs([pair])
    assert next(events) == Preparing("reading 'short'", 0.0)
    with pytest.raises(StopIteration) as done:
        next(events)
    (read,) = done.value.value
    assert isinstance(read.image, np.ndarray) and sorted(reads) == [0, 1, 2]
    # A deep one stays lazy: the round reads the planes it needs, when it needs them.
    deep = Pair(plane_reads(image, reads), labels, "deep", plane=0)
    reads.clear()
    events = read_pairs([deep])
    with pytest.raises(StopIteration) as done:
        next(events)
    assert done.value.value[0] is deep and reads == []


def test_predict_goes_through_a_deep_stack_from_the_plane_in_view_and_stops_when_closed(stack):
    image, _ = stack
    model = nf.SegmentationModel.create()
    reads = []
    run = predict_stack(model, plane_reads(image, reads), "fib-sem", plane=3)
    reads.clear()
    first, second = next(run), next(run)
    assert (first.plane, second.plane) == (3, 0) and first.final and second.final
    np.testing.assert_allclose(first.probabilities, predict(model, image[3]), atol=1e-6)
    run.close()  # Stop: nothing more is read
    assert reads == [3, 0]
    events = list(predict_stack(model, image, "fib-sem", plane=9))  # past the end: the last
    planes = [e.plane for e in events if isinstance(e, Prediction)]
    assert planes == [5, 0, 1, 2, 3, 4]
    assert events[-1] == PlanesPredicted("fib-sem", tuple(range(PLANES)), PLANES, model)
    assert events[-1].describe() == "'fib-sem': all 6 planes predicted, one by one."


def test_a_deep_stack_plane_that_cannot_be_read_is_named_and_the_model_kept(stack):
    image, labels = stack
    lazy = plane_reads(image, [], broken=4)
    session = LabellingSession([Pair(lazy, labels, "fib-sem", plane=0)])
    before = session.model
    with pytest.raises(ValueError, match=r"^image 'fib-sem' could not be read: the network"):
        list(session.train_round(RoundOptions(steps=2, suggestions=None)))
    assert session.model is before
    run = predict_stack(nf.SegmentationModel.create(), lazy, "fib-sem", plane=4)
    with pytest.raises(ValueError, match=r"^image 'fib-sem' could not be read: the network"):
        next(run)


def test_a_lazy_deep_stack_trains_as_the_same_stack_in_memory(stack):
    image, _ = stack
    labels = np.zeros(image.shape, np.uint8)
    truth = nf.voronoi_grains(SHAPE, 14, seed=0).boundaries.astype(np.uint8) + 1
    # The same boxes on planes 1 and 4: 3 planes apart, so validation may hold out one
    # and train on the other (read as neighbours, they would be held out together).
    for z in (1, 4):
        for y, x in ((4, 4), (4, 150), (120, 80)):
            box = (slice(y, y + 24), slice(x, x + 24))
            labels[z][box] = truth[box]
    options = RoundOptions(steps=6, augmentation=None, live_previews=False, suggestions=None)

    def round_on(data):
        session = LabellingSession([Pair(data, labels, "fib-sem", plane=0)])
        events = list(session.train_round(options))
        (started,) = [e for e in events if isinstance(e, Started)]
        finals = [e for e in events if isinstance(e, Prediction) and e.final]
        finals = {e.plane: e.probabilities for e in finals}
        return started, finals

    lazy_started, lazy_finals = round_on(plane_reads(image, []))
    started, finals = round_on(image)
    # The planes keep their indices: the same pixels are held out, the same model comes out.
    assert lazy_started.n_validation_pixels == started.n_validation_pixels > 0
    assert sorted(lazy_finals) == sorted(finals) == [0, 1, 4]
    for z, probabilities in finals.items():
        np.testing.assert_array_equal(lazy_finals[z], probabilities)


def test_a_comparison_trains_on_every_painted_plane_and_reads_no_other(stack):
    from napari_finetune.session.advisor_pick import MeasuredOn, compare_measured, measured_on
    from napari_finetune.training.advisor import ComparisonFinished, ComparisonStarted

    image, labels = stack
    reads = []
    lazy = plane_reads(image, reads)
    # The plane in view (0) is unpainted: a comparison of it alone had nothing to run on.
    pair = Pair(lazy, labels.copy(), "stack", plane=0)
    options = {"strategies": ("head",), "seeds": (0, 1), "seconds": 1.0, "fractions": (1.0,)}
    events = list(compare_measured("world-unet", None, None, [pair], **options))
    assert sorted(set(reads)) == [1, 4]
    assert any(isinstance(e, Preparing) for e in events)
    measured = next(e for e in events if isinstance(e, MeasuredOn))
    started = next(e for e in events if isinstance(e, ComparisonStarted))
    # Every painted pixel of both planes either trains or scores the runs.
    assert started.held_out_pixels + started.painted_pixels[-1] == np.count_nonzero(labels)
    assert isinstance(events[-1], ComparisonFinished)
    assert len(events[-1].comparison.runs) == 2
    # Use hashes the layer's own lazy stack to the same digest, reading its painted planes.
    reads.clear()
    assert measured_on("world-unet", None, [lazy], [labels]) == measured
    assert sorted(set(reads)) == [1, 4]
    repainted = labels.copy()
    repainted[2, 5, 5] = 1  # a stroke on another plane: the pick no longer applies
    assert measured_on("world-unet", None, [lazy], [repainted]) != measured


def test_a_comparison_beside_an_unpainted_deep_stack_reads_none_of_it(stack):
    from napari_finetune.session.advisor_pick import MeasuredOn, compare_measured, measured_on
    from napari_finetune.training.advisor import ComparisonFinished

    image, labels = stack
    reads, idle = [], []
    painted = Pair(plane_reads(image, reads), labels.copy(), "painted stack", plane=0)
    lazy = plane_reads(image, idle)
    unpainted = Pair(lazy, np.zeros_like(labels), "unpainted stack", plane=3)
    options = {"strategies": ("head",), "seeds": (0, 1), "seconds": 1.0, "fractions": (1.0,)}
    events = list(compare_measured("world-unet", None, None, [painted, unpainted], **options))
    assert isinstance(events[-1], ComparisonFinished)
    assert set(idle) <= {3}  # at most its plane in view, as unlabelled data
    measured = next(e for e in events if isinstance(e, MeasuredOn))
    both = [labels, np.zeros_like(labels)]
    assert measured_on("world-unet", None, [plane_reads(image, []), lazy], both) == measured
