"""The end of a run names each held-out class's score: a mean over phases hides a weak one."""

from types import SimpleNamespace

import numpy as np

from napari_finetune.session.status import finished_text
from napari_finetune.training import Finished
from napari_finetune.training.held_out_score import region_counts, summarize

NAMES = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}


def three_phases():
    """One held-out region per phase; the rare phase 3 is predicted as phase 2."""
    held = np.zeros((90, 90), np.uint8)
    held[5:25, 5:25], held[35:55, 35:55], held[70:80, 70:80] = 1, 2, 3
    predicted = np.ones((90, 90), np.uint8)
    predicted[30:90, 30:90] = 2
    return summarize(region_counts(predicted, held, held, set()), {1, 2, 3})


def test_the_end_of_a_run_gives_each_held_out_class_its_score_by_name():
    score = three_phases()
    done = Finished(SimpleNamespace(classes=NAMES), [], "time budget", 7, 60.0, score.score, score)
    text = finished_text(done)
    assert text.startswith("Done (time budget, 60 s): kept epoch 7; validation F1 0.630")
    assert (
        "on 900 px in 3 regions; per class: matrix 1.00, secondary γ′ 0.89, tertiary γ′ 0.00"
        in text
    )


def test_after_a_fold_in_the_classes_are_those_of_the_validated_epoch():
    score = three_phases()
    done = Finished(
        SimpleNamespace(classes=NAMES),
        [],
        "completed",
        9,
        60.0,
        score.score,
        score,
        6,
        validated_epoch=6,
    )
    assert "; at epoch 6, validation F1 0.630" in finished_text(done)
    assert "tertiary γ′ 0.00" in finished_text(done)


def test_without_a_model_or_with_one_class_held_out_the_mean_stands_alone():
    score = three_phases()
    alone = finished_text(Finished(None, [], "completed", 7, 60.0, score.score, score))
    assert "per class" not in alone and "validation F1 0.630" in alone
    held = np.zeros((60, 60), np.uint8)
    held[5:20, 5:20], held[30:45, 30:45], held[5:20, 40:55] = 1, 1, 1
    one = summarize(region_counts(held.copy(), held, held, set()), {1})
    text = finished_text(
        Finished(SimpleNamespace(classes=NAMES), [], "completed", 2, 9.0, 1.0, one)
    )
    assert "per class" not in text and "validation F1 1.000" in text


def test_a_class_missing_from_the_held_out_pixels_is_named_too():
    held = np.zeros((120, 120), np.uint8)
    held[5:20, 5:20], held[50:65, 50:65], held[95:110, 5:20] = 1, 2, 1  # 3 regions, far apart
    painted = held.copy()
    painted[95:110, 95:110] = 3  # phase 3 painted, all of it in training
    score = summarize(region_counts(held.copy(), held, painted, set()), {1, 2, 3})
    assert score.caution == (
        "class 3 is not among the held-out pixels: the score ignores it"  # the record's words
    )
    done = Finished(SimpleNamespace(classes=NAMES), [], "completed", 4, 30.0, score.score, score)
    assert finished_text(done).endswith(
        "per class: matrix 1.00, secondary γ′ 1.00; tertiary γ′ is not among the held-out "
        "pixels: the score ignores it."
    )
    # Another caution first (too little held out) is kept as it is.
    few = summarize(region_counts(held.copy(), held, painted, set())[:2], {1, 2, 3})
    assert "too little held out" in few.describe(NAMES)
