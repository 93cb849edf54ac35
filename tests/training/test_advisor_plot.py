"""Where the strategy comparison's legend goes: inside the scores plot, or below both."""

import pytest
from matplotlib.figure import Figure

from napari_finetune.training.advisor_plot import draw_comparison
from napari_finetune.training.advisor_result import RunResult, StrategyComparison


def comparison(*candidates):
    runs = [
        RunResult(strategy, 1.0, pixels, seed, 0.8 + 0.01 * seed, start=start)
        for strategy, start in candidates
        for pixels in (100, 200)
        for seed in (0, 1)
    ]
    return StrategyComparison(tuple(runs), 50, "regions")


@pytest.mark.parametrize(
    ("candidates", "below"),
    [
        ((("scratch", ""), ("head", ""), ("finetune", ""), ("gradual", "")), False),
        # Two long names ("finetune from voronoi-unet") would cover the curves.
        ((("finetune", "voronoi-unet"), ("finetune", "world-unet")), True),
        (tuple((s, start) for s in ("head", "finetune", "gradual") for start in "ab"), True),
    ],
)
def test_the_legend_sits_inside_only_for_a_few_short_names(candidates, below):
    figure = Figure()
    draw_comparison(figure, comparison(*candidates))
    scores = figure.axes[0]
    assert (scores.get_legend() is None) == below
    assert len(figure.legends) == int(below)
    shown = figure.legends[0] if below else scores.get_legend()
    names = {r.candidate for r in comparison(*candidates).runs}
    assert {t.get_text() for t in shown.get_texts()} == names


def test_runs_without_pseudo_labels_are_hollow_and_the_loss_curves_show_one_choice():
    runs = [
        RunResult(
            "finetune",
            1.0,
            pixels,
            seed,
            0.8,
            history=[{"epoch": 1, "train_loss": 0.5, "validation_loss": 0.4}],
            pseudo_labels=pseudo,
        )
        for pseudo in ("off", "on")
        for pixels in (100, 200)
        for seed in (0, 1)
    ]
    figure = Figure()
    draw_comparison(figure, StrategyComparison(tuple(runs), 50, "regions"))
    scores, losses = figure.axes
    by_name = {line.get_label(): line for line in scores.get_lines()}
    off, on = by_name["finetune (no pseudo-labels)"], by_name["finetune (pseudo-labels)"]
    assert off.get_color() == on.get_color()  # one strategy, one colour...
    assert off.get_markerfacecolor() != off.get_color()  # ...hollow without pseudo-labels
    assert on.get_markerfacecolor() == on.get_color()
    # Training and validation loss of the first choice (off), plus the two legend keys.
    assert len([line for line in losses.get_lines() if line.get_xydata().size]) == 2


def test_one_pseudo_label_choice_draws_no_hollow_markers():
    # The dock's own choice (off, clicked by the user) for every run: nothing to tell apart.
    runs = [
        RunResult("head", 1.0, pixels, seed, 0.8, pseudo_labels="off")
        for pixels in (100, 200)
        for seed in (0, 1)
    ]
    figure = Figure()
    draw_comparison(figure, StrategyComparison(tuple(runs), 50, "regions"))
    (line,) = [
        line
        for line in figure.axes[0].get_lines()
        if line.get_label() == "head (no pseudo-labels)"
    ]
    assert line.get_markerfacecolor() == line.get_color()


def test_a_loss_curve_of_one_epoch_shows_as_dots_longer_ones_as_lines():
    def run(seed, epochs):
        losses = {"train_loss": 0.5, "validation_loss": 0.4}
        history = [{"epoch": e, **losses} for e in range(1, epochs + 1)]
        return RunResult("head", 1.0, 200, seed, 0.8, history=history)

    for epochs, marker in ((1, "o"), (3, "None")):
        figure = Figure()
        runs = (run(0, epochs), run(1, epochs))
        draw_comparison(figure, StrategyComparison(runs, 50, "regions"))
        drawn = [line for line in figure.axes[1].get_lines() if line.get_xydata().size]
        assert [line.get_marker() for line in drawn] == [marker, marker]  # training, validation
