"""The strategy advisor: its plan (held-out regions, nested subsets), runs, and verdict."""

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune import cli
from napari_finetune.models.model import SegmentationModel
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Finished, advisor
from napari_finetune.training.advisor import (
    ComparisonFinished,
    ComparisonStarted,
    RunDone,
    RunProgress,
    compare_strategies,
)
from napari_finetune.training.advisor_candidates import candidate_name
from napari_finetune.training.advisor_plan import painted_regions, plan_comparison
from napari_finetune.training.advisor_result import (
    RunResult,
    StrategyComparison,
)
from napari_finetune.training.advisor_starts import (
    other_shipped_starts,
    short_run_caution,
    start_label,
)
from napari_finetune.training.held_out_regions import RegionCounts
from napari_finetune.training.held_out_score import f1_of


@pytest.fixture(scope="module")
def painted():
    sample = nf.voronoi_grains((384, 384), 40, seed=1)
    return sample.image, paint_strokes(sample, seed=2)


def test_every_subset_keeps_the_same_held_out_pixels_and_nests(painted):
    image, labels = painted
    plan = plan_comparison(image, labels, (0.25, 0.5, 1.0), seed=0)
    (held,) = plan.held_out
    assert plan.grouping == "regions" and held.any()
    assert plan.held_out_pixels == int((held & (labels > 0)).sum())
    trained = []
    for subset in plan.subsets:
        (lab,) = subset.labels
        # The held-out pixels are in every subset's labels, with their painted classes...
        np.testing.assert_array_equal(lab[held], labels[held])
        train = (lab > 0) & ~held
        # ...and training pixels are painted pixels, never held-out ones.
        np.testing.assert_array_equal(lab[train], labels[train])
        assert subset.painted_pixels == int(train.sum())
        assert set(np.unique(lab[train])) == {1, 2}  # even the smallest has both classes
        trained.append(train)
    assert all((a & ~b).sum() == 0 for a, b in itertools.pairwise(trained))
    assert [s.painted_pixels for s in plan.subsets] == sorted(
        {s.painted_pixels for s in plan.subsets}
    )
    assert trained[-1].sum() + plan.held_out_pixels == (labels > 0).sum()


def test_too_few_regions_says_how_many_more_to_paint():
    labels = np.zeros((128, 128), np.uint8)
    labels[10:20, 10:20], labels[90:100, 90:100] = 1, 2
    with pytest.raises(ValueError, match="only 2 painted regions: paint at least 2 more"):
        plan_comparison(np.random.default_rng(0).random((128, 128)), labels)
    assert len(painted_regions([labels])) == 2


def test_the_engine_validates_on_exactly_the_pixels_it_is_given(painted):
    image, labels = painted
    plan = plan_comparison(image, labels, (1.0,))
    events = list(
        nf.finetune(
            image,
            plan.subsets[0].labels[0],
            steps=2,
            batch_size=2,
            patch_size=64,
            held_out=plan.held_out[0],
        )
    )
    finished = events[-1]
    assert isinstance(finished, Finished)
    assert finished.history[-1]["validation_pixels"] == plan.held_out_pixels
    assert finished.history[-1]["train_pixels"] == plan.subsets[0].painted_pixels
    with pytest.raises(ValueError, match="mask of image 0 has shape"):
        next(nf.finetune(image, labels, held_out=np.zeros((3, 3), bool)))


def run(strategy, pixels, seed, score, regions=6):
    """A run scored ``score`` on ``regions`` held-out regions, each of that score."""
    hit = round(100 * score) if score is not None else 0
    counts = tuple(RegionCounts(100, {1: [hit, 100, hit, 100]}) for _ in range(regions))
    return RunResult(strategy, 1.0, pixels, seed, score, regions=counts if score else ())


def test_a_pick_is_clear_only_when_ranges_do_not_overlap():
    clear = StrategyComparison(
        (run("head", 100, 0, 0.80), run("head", 100, 1, 0.82)) * 1
        + (run("finetune", 100, 0, 0.90), run("finetune", 100, 1, 0.91))
        + (run("finetune", 10, 0, 0.10),),  # a smaller subset never decides
        500,
        "regions",
    )
    pick = clear.recommendation()
    assert (pick.strategy, pick.clear, pick.close) == ("finetune", True, ())
    assert pick.median == pytest.approx(0.905) and "use finetune" in pick.text
    close = StrategyComparison(
        (
            run("head", 100, 0, 0.88),
            run("head", 100, 1, 0.92),
            run("finetune", 100, 0, 0.90),
            run("finetune", 100, 1, 0.91),
            run("scratch", 100, 0, 0.5),
            run("scratch", 100, 1, 0.6),
        ),
        500,
        "regions",
    )
    pick = close.recommendation()
    assert pick.strategy == "finetune" and not pick.clear and pick.close == ("head",)
    assert "ranges overlap with head 0.900" in pick.text
    with pytest.raises(ValueError, match="no run was scored"):
        StrategyComparison((run("head", 1, 0, None),), 0, "regions").recommendation()


def compared(*runs):
    """A comparison of ``(strategy, seed, hits per region...)`` runs, one hit per region."""
    results = []
    for strategy, seed, *hits in runs:
        counts = tuple(RegionCounts(100, {1: [h, 100, h, 100]}) for h in hits)
        score = sum(hits) / (100 * len(hits))
        results.append(RunResult(strategy, 1.0, 100, seed, score, regions=counts))
    return StrategyComparison(tuple(results), 400, "regions")


def test_a_lead_that_one_held_out_region_carries_is_a_lean_not_clear():
    # Seeds apart (0.775 vs 0.69) but "head" is ahead on three regions of four.
    leaning = [("finetune", 0, 99, 70, 70, 71), ("finetune", 1, 99, 71, 70, 70)]
    leaning += [("head", 0, 50, 75, 75, 75), ("head", 1, 51, 75, 75, 75)]
    pick = compared(*leaning).recommendation()
    assert pick.strategy == "finetune" and pick.close == () and pick.unsure == ("head",)
    assert not pick.clear
    assert "stays ahead of head in" in pick.text and "a lean, not a verdict" in pick.text
    # Ahead on every one of five regions: clear, as before.
    sure = [("finetune", 0, 90, 91, 92, 90, 90), ("finetune", 1, 89, 90, 93, 91, 90)]
    sure += [("head", 0, 80, 85, 88, 70, 80), ("head", 1, 81, 84, 90, 72, 80)]
    pick = compared(*sure).recommendation()
    assert pick.clear and pick.unsure == () and "use finetune" in pick.text
    # One within seed noise, another doubted by the regions: both are said.
    gradual = [("gradual", 0, 99, 70, 70, 71), ("gradual", 1, 98, 70, 70, 70)]
    pick = compared(*leaning, *gradual).recommendation()
    assert (pick.close, pick.unsure) == (("gradual",), ("head",)) and not pick.clear
    assert "overlap with gradual" in pick.text and "stays ahead of head in" in pick.text


def test_a_lead_on_too_few_held_out_regions_is_at_most_a_lean():
    # The minimum painting holds out one region: every redraw is that region, so
    # the lead "holds" in all draws whatever it is (here 0.003).
    one = [("finetune", 0, 90.3), ("finetune", 1, 90.4), ("head", 0, 90.0), ("head", 1, 90.0)]
    pick = compared(*one).recommendation()
    assert pick.strategy == "finetune" and pick.close == () and pick.unsure == ()
    assert not pick.clear and "use finetune" not in pick.text
    assert "rests on 1 held-out region:" in pick.text and "Paint more regions" in pick.text
    # Four regions, ahead on every one: still too few to judge the lead.
    four = [("finetune", 0, 90, 91, 92, 90), ("finetune", 1, 89, 90, 93, 91)]
    four += [("head", 0, 80, 85, 88, 70), ("head", 1, 81, 84, 90, 72)]
    pick = compared(*four).recommendation()
    assert not pick.clear and "a lean" in pick.text and "rests on 4 held-out regions" in pick.text


def test_a_stopped_comparison_judges_where_every_candidate_ran_all_seeds():
    plan = (("scratch", "head", "finetune"), (0, 1), (10, 20, 40))
    runs = []
    for pixels, scores in ((10, (0.5, 0.7, 0.8)), (20, (0.55, 0.75, 0.85))):
        for seed in (0, 1):
            runs += [run(s, pixels, seed, v) for s, v in zip(plan[0], scores, strict=True)]
    # Stopped in the last subset after scratch's first seed: alone there, it "wins".
    runs.append(run("scratch", 40, 0, 0.95))
    pick = StrategyComparison(tuple(runs), 500, "regions", None, *plan).recommendation()
    assert pick.strategy == "finetune" and pick.painted_pixels == 20 and pick.complete
    assert not pick.clear and pick.missing == ("scratch", "head", "finetune")
    assert "on 20 of the 40 painted px" in pick.text and "use finetune" not in pick.text
    assert "Stopped before scratch, head, finetune ran every seed on all 40" in pick.text
    # Without the plan the runs say the same: every candidate and seed ran somewhere.
    assert StrategyComparison(tuple(runs), 500, "regions").recommendation().painted_pixels == 20
    # Stopped within the first subset: the best so far, not a pick to use.
    first = [run("scratch", 10, 0, 0.5), run("head", 10, 0, 0.7)]
    pick = StrategyComparison(tuple(first), 500, "regions", None, *plan).recommendation()
    assert not pick.complete and not pick.clear and "not a pick" in pick.text


def test_transfer_gap_is_the_best_pretrained_minus_scratch_per_subset():
    runs = (
        run("scratch", 10, 0, 0.5),
        run("head", 10, 0, 0.8),
        run("finetune", 10, 0, 0.9),
        run("scratch", 40, 0, 0.85),
        run("finetune", 40, 0, 0.9),
    )
    gaps = StrategyComparison(runs, 0, "regions").transfer_gap()
    assert gaps == {10: pytest.approx(0.4), 40: pytest.approx(0.05)}


def test_a_comparison_stops_at_once(painted):
    # Every run of a whole comparison: test_start_models_are_compared_on_the_same_held_out_regions.
    image, labels = painted
    # Stop: closing after the first run ends the comparison there...
    events = compare_strategies(image, labels, strategies=("head",), seconds=1.0)
    seen = []
    for event in events:
        seen.append(event)
        if isinstance(event, RunDone):
            events.close()
    assert sum(isinstance(e, RunDone) for e in seen) == 1
    assert not any(isinstance(e, ComparisonFinished) for e in seen)
    # ...and closing in the middle of a run ends that run at once.
    events = compare_strategies(image, labels, strategies=("head",), seconds=30.0)
    first = next(e for e in events if isinstance(e, RunProgress))
    events.close()
    assert first.index == 1 and first.elapsed < 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategies": ("best",)}, "must be some of scratch, head"),
        ({"seeds": (0,)}, "at least two different seeds"),
        ({"seconds": 0.5}, "too short"),
        ({"fractions": (0, 1)}, "must each be above 0"),
    ],
)
def test_bad_settings_are_refused_at_the_call(painted, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_strategies(*painted, **kwargs)


def test_cli_compare_names_the_pick_last(tmp_path, capsys):
    plot = tmp_path / "compare.png"
    args = ["compare", "--sample", "painted", "--seconds", "1", "--strategies", "head"]
    assert cli.main([*args, "--fractions", "1", "--plot", str(plot)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "recommended strategy: head"
    assert lines[0].startswith("2 runs of 1 s on the painted-strokes sample")
    assert plot.stat().st_size > 10_000
    assert cli.main(["compare", "--images", str(plot)]) == 2
    assert "one --labels file per --images file" in capsys.readouterr().err


def _with_frozen_batchnorm(image, labels):
    return compare_strategies(
        image,
        labels,
        strategies=("scratch", "head"),
        fractions=(1.0,),
        seconds=1.0,
        bn_modes=("auto", "frozen"),
    )


def test_batchnorm_variants_are_candidates_of_their_own(painted):
    image, labels = painted
    events = _with_frozen_batchnorm(image, labels)
    started = next(events)
    events.close()  # the plan is what is tested here; the runs in the slow test below
    assert started.strategies == ("scratch", "head", "head (BN frozen)")
    assert started.runs == 6  # three candidates, two seeds
    with pytest.raises(ValueError, match="bn_modes"):
        compare_strategies(image, labels, bn_modes=("sometimes",))


# Slow: six runs; the candidates' plan is tested above.
@pytest.mark.slow
def test_batchnorm_variants_run_in_their_own_batchnorm_mode(painted):
    events = _with_frozen_batchnorm(*painted)
    results = [e.result for e in events if isinstance(e, RunDone)]
    assert {(r.strategy, r.bn_mode) for r in results} == {
        ("scratch", "auto"),
        ("head", "auto"),
        ("head", "frozen"),
    }
    frozen = next(r for r in results if r.bn_mode == "frozen")
    assert frozen.candidate == "head (BN frozen)"


def test_start_models_are_compared_on_the_same_held_out_regions(painted):
    image, labels = painted
    events = compare_strategies(
        image,
        labels,
        "voronoi-unet",
        strategies=("scratch", "head"),
        fractions=(1.0,),
        seconds=1.0,
        other_starts=("world-unet",),
        # Without pseudo-labels: with them, both starts keep the sample's F1 of 1.0.
        pseudo_labels=("off",),
    )
    started = next(events)
    assert isinstance(started, ComparisonStarted)
    # scratch has no start model: it runs once, not once per start.
    assert started.strategies == (
        "scratch (no pseudo-labels)",
        "head from voronoi-unet (no pseudo-labels)",
        "head from world-unet (no pseudo-labels)",
    )
    assert started.runs == 6
    seen = list(events)
    progress = {e.candidate for e in seen if isinstance(e, RunProgress)}
    assert progress <= set(started.strategies)
    shares = [e.progress for e in seen if isinstance(e, RunProgress)]
    assert shares == sorted(shares) and 0 < shares[-1] <= 1
    results = [e.result for e in seen if isinstance(e, RunDone)]
    assert len(results) == 6 and all(0 <= r.score <= 1 for r in results)
    assert {(r.strategy, r.start, r.seed) for r in results} == {
        (s, start, k)
        for s, start in (("scratch", ""), ("head", "voronoi-unet"), ("head", "world-unet"))
        for k in (0, 1)
    }
    assert isinstance(seen[-1], ComparisonFinished)
    assert seen[-1].comparison.recommendation().strategy in ("scratch", "head")
    assert {(r.strategy, r.start) for r in results} == {
        ("scratch", ""),
        ("head", "voronoi-unet"),
        ("head", "world-unet"),
    }
    # Different pretrained weights from the same seed: different runs.
    by_start = {r.start: r.score for r in results if r.seed == 0 and r.strategy == "head"}
    assert by_start["voronoi-unet"] != by_start["world-unet"]
    # Each run keeps its counts per held-out region, the same regions for all: a
    # lead can be judged region by region.
    assert len({len(r.regions) for r in results}) == 1 and len(results[0].regions) >= 3
    assert all(f1_of(list(r.regions)) == pytest.approx(r.score) for r in results)
    comparison = seen[-1].comparison
    table = comparison.table()
    assert set(table["start"]) == {"–", "voronoi-unet", "world-unet"}
    pick = comparison.recommendation()
    named = f"{pick.strategy} from {pick.start}" if pick.start else pick.strategy
    assert pick.candidate == f"{named} (no pseudo-labels)"
    assert pick.text.startswith(pick.candidate + ": held-out F1")


def test_other_shipped_starts_and_a_start_given_twice(painted):
    assert other_shipped_starts("voronoi-unet") == ("world-unet",)
    assert other_shipped_starts("world-unet") == ("voronoi-unet",)
    # From scratch the pretrained strategies start from the default: the others are offered.
    assert other_shipped_starts(None) == ("voronoi-unet",)
    # A checkpoint of the user's own: every shipped model is another start.
    assert other_shipped_starts(Path("mine.ckpt")) == ("world-unet", "voronoi-unet")
    assert start_label(Path("runs/mine.ckpt")) == "mine"
    # A model in memory keeps the name of the shipped one it was fine-tuned from:
    # beside those shipped weights it is "your model", not a second world-unet.
    image, labels = painted
    tuned, _ = nf.fit(image, labels, "world-unet", steps=2, seed=0)
    assert tuned.name == "world-unet"
    events = compare_strategies(
        image, labels, tuned, strategies=("head",), fractions=(1.0,), other_starts=("world-unet",)
    )
    assert next(events).strategies == ("head from your model", "head from world-unet")
    events.close()
    with pytest.raises(ValueError, match="start model world-unet is given twice"):
        compare_strategies(
            np.zeros((64, 64)),
            np.zeros((64, 64), np.uint8),
            "world-unet",
            other_starts=("world-unet",),
        )


def test_a_model_in_memory_is_named_by_its_name():
    assert start_label(SegmentationModel(None, {}, name="run3.ckpt")) == "run3.ckpt"


# Slow: four runs; the comparison from two starts: the core test above
@pytest.mark.slow
def test_cli_compare_also_from_names_the_start_model(capsys):
    args = ["compare", "--sample", "painted", "--seconds", "1", "--strategies", "head"]
    assert cli.main([*args, "--fractions", "1", "--also-from", "voronoi-unet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("4 runs of 1 s on the painted-strokes sample: head from ")
    assert lines[-1] in (
        "recommended strategy: head with --model voronoi-unet",
        "recommended strategy: head with --model world-unet",
    )


def test_cli_compare_also_from_an_unknown_model_is_refused(capsys):
    args = ["compare", "--sample", "painted", "--seconds", "1", "--strategies", "head"]
    assert cli.main([*args, "--also-from", "nothing-unet"]) == 2
    assert "'nothing-unet' is neither a shipped model" in capsys.readouterr().err


def test_runs_too_short_for_a_new_output_layer_are_said_with_the_pick(painted):
    image, labels = painted
    three = labels.copy()
    three[300:340, 300:340] = 3  # a third class: the 2-class start model gets a new head
    events = compare_strategies(image, three, strategies=("head",), fractions=(1.0,), seconds=1.0)
    started = next(events)
    assert started.caution.startswith("your painting has 3 classes and the start model was ")
    assert "Give each run 30 s or more" in started.caution
    finished = list(events)[-1]
    assert finished.comparison.recommendation().text.endswith("Caution: " + started.caution)
    # Long enough runs, or the start model's own classes: nothing to say.
    events = compare_strategies(image, three, strategies=("head",), fractions=(1.0,), seconds=30)
    assert next(events).caution is None
    events.close()
    events = compare_strategies(image, labels, strategies=("head",), fractions=(1.0,), seconds=1)
    assert next(events).caution is None
    events.close()
    assert short_run_caution(3, [("", None)], 1.0) is None  # from scratch only: no head reused


def test_pseudo_label_choices_are_candidates_of_their_own(painted):
    image, labels = painted
    events = compare_strategies(
        image, labels, strategies=("scratch", "finetune"), pseudo_labels=("off", "on")
    )
    started = next(events)
    events.close()
    # scratch once, with the first choice; the pretrained strategy both ways.
    assert started.strategies == (
        "scratch (no pseudo-labels)",
        "finetune (no pseudo-labels)",
        "finetune (pseudo-labels)",
    )
    assert started.runs == 3 * 2 * 3  # three candidates, two seeds, three shares
    assert candidate_name("finetune", "frozen", "voronoi-unet", "on") == (
        "finetune from voronoi-unet (BN frozen, pseudo-labels)"
    )
    with pytest.raises(ValueError, match="pseudo_labels \\['sometimes'\\] must be some of auto"):
        compare_strategies(image, labels, pseudo_labels=("sometimes",))
    # One string, not a tuple: said as such, not as its letters.
    with pytest.raises(ValueError, match="pseudo_labels='on' is one string: give a tuple"):
        compare_strategies(image, labels, pseudo_labels="on")


def test_each_run_trains_with_its_pseudo_label_choice_and_the_cli_names_the_pick(
    monkeypatch, capsys
):
    asked = []
    real = advisor.finetune

    def spy(*args, **kwargs):
        asked.append(kwargs["semi_supervised"])
        return real(*args, **kwargs)

    monkeypatch.setattr(advisor, "finetune", spy)
    args = ["compare", "--sample", "painted", "--seconds", "1", "--strategies", "head"]
    assert cli.main([*args, "--fractions", "1", "--pseudo-labels", "off", "on"]) == 0
    assert asked == [False, True, False, True]  # per seed: off, then on
    out = capsys.readouterr().out
    assert "head (no pseudo-labels) on" in out and "head (pseudo-labels) on" in out
    last = out.strip().splitlines()[-1]
    assert last in (
        "recommended strategy: head with --semi-supervised on",
        "recommended strategy: head with --semi-supervised off",
    )
    # By default every run trains as fit would: the whole painting decides, once
    # (strokes: on), so that every share of it trains alike.
    asked.clear()
    assert cli.main([*args, "--fractions", "0.25", "1"]) == 0
    assert asked == [True] * 4
    assert capsys.readouterr().out.strip().endswith("recommended strategy: head")


def test_runs_with_pseudo_labels_learn_from_the_unpainted_images_as_a_round_does(
    painted, monkeypatch
):
    given = []
    real = advisor.finetune

    def spy(*args, **kwargs):
        given.append((kwargs["semi_supervised"], kwargs.get("unlabelled")))
        return real(*args, **kwargs)

    monkeypatch.setattr(advisor, "finetune", spy)
    image, labels = painted
    other = nf.voronoi_grains((128, 128), 8, seed=5).image  # nobody painted it
    colour = np.repeat(other[..., None], 3, axis=-1)  # another kind: left out, as a round does
    images = [image, other, colour]
    unpainted = [labels, np.zeros(other.shape, labels.dtype), np.zeros(other.shape, labels.dtype)]
    events = compare_strategies(
        images,
        unpainted,
        strategies=("head",),
        fractions=(1.0,),
        seconds=1.0,
        pseudo_labels=("off", "on"),
    )
    assert any(isinstance(e, ComparisonFinished) for e in events)
    assert [semi for semi, _ in given] == [False, True, False, True]
    for semi, unlabelled in given:
        if semi:  # the grey image nobody painted, itself
            assert len(unlabelled) == 1 and unlabelled[0] is images[1]
        else:
            assert unlabelled is None


def test_the_pick_says_its_pseudo_labels():
    def scored(pseudo, seed, score):
        return RunResult("finetune", 1.0, 100, seed, score, pseudo_labels=pseudo)

    comparison = StrategyComparison(
        (
            scored("off", 0, 0.80),
            scored("off", 1, 0.81),
            scored("on", 0, 0.90),
            scored("on", 1, 0.91),
        ),
        400,
        "regions",
    )
    pick = comparison.recommendation()
    assert (pick.candidate, pick.strategy, pick.pseudo_labels) == (
        "finetune (pseudo-labels)",
        "finetune",
        "on",
    )
    assert list(comparison.table()["strategy"]) == [
        "finetune (no pseudo-labels)",
        "finetune (pseudo-labels)",
    ]


def test_auto_pseudo_labels_follow_each_candidates_head_as_a_run_does():
    from types import SimpleNamespace

    from napari_finetune.training.advisor import pseudo_labels_of

    two = SimpleNamespace(n_classes=2)
    starts = [("world-unet", two), ("voronoi-unet", SimpleNamespace(n_classes=3))]

    def of(strategy, start=0, pseudo="auto", strokes=True):  # strokes of 2 classes
        candidate = SimpleNamespace(strategy=strategy, start=start, pseudo_labels=pseudo)
        return pseudo_labels_of(candidate, starts, strokes, 2)

    assert of("finetune") is True  # the start's own head
    assert of("scratch") is False  # a new head knows nothing of the classes
    assert of("finetune", start=1) is False  # another class count: a new head too
    assert of("scratch", pseudo="on") is True and of("finetune", pseudo="off") is False
    assert of("finetune", strokes=False) is False  # boxes: off whatever the head


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
def test_the_plan_of_a_deep_stack_writes_only_its_painted_planes():
    def resident_mb():
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    image = np.zeros((200, 1024, 1024), np.uint8)  # 200 MB each, zero pages until written
    labels = np.zeros((200, 1024, 1024), np.uint8)
    rng = np.random.default_rng(0)
    for z in (40, 120):
        for k in range(6):
            y, x = rng.integers(0, 960, 2)
            labels[z, y : y + 40, x : x + 40] = 1 + k % 2
    before = resident_mb()
    plan = plan_comparison([image], [labels])
    # Three subsets of a whole stack each were 600 MB more; the painted planes are a few.
    assert resident_mb() - before < 100
    assert len(plan.subsets) == 3
    for subset in plan.subsets:  # each a share of the painting, its held-out pixels put back
        [kept] = subset.labels
        assert set(np.flatnonzero(kept.reshape(200, -1).any(axis=1))) <= {40, 120}
        assert np.all(kept[kept > 0] == labels[kept > 0])
    assert np.array_equal(plan.subsets[-1].labels[0], labels)  # 100 %: the whole painting
