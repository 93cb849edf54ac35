"""*Compare strategies…* judges averaged views: each run rescored over its views, a verdict."""

import pytest

import napari_finetune as nf
from napari_finetune import cli
from napari_finetune.inference.views import IDENTITY
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training import Finished
from napari_finetune.training.advisor import compare
from napari_finetune.training.advisor_plan import plan_comparison
from napari_finetune.training.advisor_result import RunResult, StrategyComparison
from napari_finetune.training.advisor_views import MIN_VIEWS_LIFT, views_verdict
from napari_finetune.training.held_out_views import held_out_with_views


@pytest.fixture(scope="module")
def painted():
    sample = nf.voronoi_grains((256, 256), 25, seed=1)
    return sample.image, paint_strokes(sample, seed=2)


def test_one_view_gives_the_run_s_own_held_out_score_back(painted):
    image, labels = painted
    plan = plan_comparison(image, labels, (1.0,))
    events = list(
        nf.finetune(
            image, plan.subsets[0].labels[0], steps=12, batch_size=2, held_out=plan.held_out[0]
        )
    )
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.best_score is not None
    subset = plan.subsets[0].labels
    again = held_out_with_views(finished.model, image, subset, plan.held_out, IDENTITY)
    # The same planes, crops and counts as the run's own validation of its kept weights.
    assert again.score == pytest.approx(finished.best_score, abs=1e-9)
    assert again.counts == finished.held_out.counts
    # Its own views: the 8 flips and turns of the equiaxed preset, the same regions.
    viewed = held_out_with_views(finished.model, image, subset, plan.held_out)
    assert len(viewed.counts) == len(again.counts) and 0 <= viewed.score <= 1


def test_runs_are_scored_over_their_views_only_when_asked(painted):
    image, labels = painted
    quick = {"strategies": ("head",), "fractions": (1.0,), "seconds": 1.0}
    viewed = compare(image, labels, average_views=True, **quick)
    assert all(r.views_score is not None and r.views == 8 for r in viewed.runs)
    assert all(len(r.views_regions) == len(r.regions) > 0 for r in viewed.runs)
    pick = viewed.recommendation()
    assert isinstance(pick.average_views, bool) and "Averaged over its 8 views" in pick.text
    plain = compare(image, labels, **quick)
    assert all(r.views_score is None for r in plain.runs)
    pick = plain.recommendation()
    assert pick.average_views is None and "views" not in pick.text


def test_views_are_ticked_only_when_the_held_out_regions_are_sure_of_the_lift(runs_with_views):
    verdict = views_verdict(runs_with_views((90, 91), (92, 92)))
    assert verdict.use is True and verdict.views == 8 and verdict.share == 1.0
    assert verdict.lift == pytest.approx(0.015) and verdict.median == pytest.approx(0.92)
    assert "+0.015 at the median, lower on no seed and ahead in 100% of redrawn" in verdict.text
    assert "tick *average flipped and rotated views*" in verdict.text
    # Surely behind: cleared.
    verdict = views_verdict(runs_with_views((90, 91), (85, 86)))
    assert verdict.use is False and "behind in 100% of redrawn held-out regions" in verdict.text
    # Lower on one seed, or level: not sure, so the box stays as the user set it.
    for plain, viewed in (((90, 91, 90), (93, 90, 93)), ((90, 91), (90, 91))):
        verdict = views_verdict(runs_with_views(plain, viewed))
        assert verdict.use is None and "stays as you set it" in verdict.text
    assert "lower on one seed" in views_verdict(runs_with_views((90, 91), (93, 90))).text
    assert views_verdict(runs_with_views((90, 91), (90, 91))).lift < MIN_VIEWS_LIFT
    # On four held-out regions a lift, however large, is not told from which were held out.
    verdict = views_verdict(runs_with_views((90, 91), (95, 96), regions=4))
    assert verdict.use is None and "on 4 held-out regions that cannot be told" in verdict.text


def test_a_model_trained_without_flips_or_turns_has_nothing_to_average(runs_with_views):
    verdict = views_verdict(runs_with_views((90, 91), (90, 91), views=1))
    assert verdict.use is None and "nothing to average" in verdict.text
    assert views_verdict([RunResult("finetune", 1.0, 900, 0, 0.9)]) is None


def test_the_pick_says_views_for_itself_not_for_another_candidate(runs_with_views):
    # head leads on plain scores; views lift finetune, lower head: the pick is head, cleared.
    head = runs_with_views((95, 95), (90, 90), strategy="head")
    finetune = runs_with_views((90, 91), (96, 97))
    pick = StrategyComparison((*head, *finetune), 400, "regions").recommendation()
    assert pick.strategy == "head" and pick.average_views is False
    assert pick.text.endswith("behind in 100% of redrawn held-out regions: leave them off.")


def test_cli_compare_average_views_says_the_views_last(capsys):
    args = ["compare", "--sample", "painted", "--seconds", "1", "--strategies", "head"]
    assert cli.main([*args, "--fractions", "1", "--average-views"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert any("averaged over 8 views" in line for line in lines if line.startswith("[1/2]"))
    assert lines[-2].startswith("recommended strategy: head")
    assert lines[-1] in (
        "recommended prediction: --average-views",
        "recommended prediction: one view",
    )
