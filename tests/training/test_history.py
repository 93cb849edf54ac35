"""The rounds curve read from a model's history and run records."""

from napari_finetune.training.history import rounds


def epoch(run, k, score, pixels=(900, 100)):
    return {
        "run": run,
        "epoch": k,
        "validation_score": score,
        "train_pixels": pixels[0],
        "validation_pixels": pixels[1],
    }


def test_a_round_scores_the_weights_its_run_kept_not_its_best_epoch():
    history = [
        {"task": "pretrain", "step": 10},
        *(epoch(1, k, s) for k, s in enumerate((0.70, 0.90, 0.80), start=1)),
        *(epoch(2, k, s, (1900, 300)) for k, s in enumerate((0.85, 0.88), start=1)),
    ]
    # Run 1 kept epoch 3 (0.80: the newest, not clearly worse); run 2 held nothing out.
    provenance = [
        {"run": 1, "result": {"validation_score": 0.80}},
        {"run": 2, "result": {"validation_score": None}},
    ]
    got = rounds(history, provenance)
    assert [(r.run, r.painted_pixels, r.validation_score, r.epochs) for r in got] == [
        (1, 1000, 0.80, 3),
        (2, 2200, None, 2),
    ]


def test_runs_recorded_before_the_kept_score_fall_back_to_their_best_epoch():
    history = [epoch(1, 1, 0.7), epoch(1, 2, 0.9), epoch(1, 3, None)]
    assert rounds(history, [{"run": 1, "result": {"steps": 75}}])[0].validation_score == 0.9
    assert rounds(history)[0].validation_score == 0.9
    assert rounds([{"task": "pretrain", "step": 5}]) == []


def test_a_damaged_run_record_falls_back_to_the_epochs():
    history = [epoch(1, 1, 0.7), epoch(1, 2, 0.9), epoch(2, 1, 0.6)]
    for damaged in (
        {"run": [1], "result": {"validation_score": 0.5}},
        {"run": 1, "result": "validation_score"},
        {"run": 1, "result": {"validation_score": "0.5"}},
        {"run": 1, "result": {"validation_score": True}},
        "not a record",
    ):
        got = rounds(history, [damaged, {"run": 2, "result": {"validation_score": 0.55}}])
        assert [r.validation_score for r in got] == [0.9, 0.55]


def test_a_round_says_after_which_epoch_its_held_out_pixels_trained():
    folded = {**epoch(1, 2, 0.9), "folded_in": True}
    history = [epoch(1, 1, 0.8), folded, epoch(1, 3, None), epoch(2, 1, 0.7)]
    assert [r.folded_after for r in rounds(history)] == [2, None]
