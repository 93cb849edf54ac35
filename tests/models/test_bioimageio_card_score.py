"""The model card quotes the validation score of the weights it describes."""

import napari_finetune as nf
from napari_finetune.models.bioimageio_card import model_card


def model_with(history, result):
    model = nf.load_model("voronoi-unet")
    model.history = history
    model.provenance = [{"result": result}]
    return model


def test_the_card_quotes_the_kept_epochs_score_not_the_last_one():
    # Keep-best went back to epoch 2: the last scored epoch (4) is not what is exported.
    history = [
        {"run": 1, "epoch": e, "validation_score": s}
        for e, s in ((1, 0.7), (2, 0.9), (3, 0.6), (4, 0.65))
    ]
    card = model_card(model_with(history, {"validation_score": 0.9, "scored_epoch": 2}))
    assert "held-out validation score (mean F1 over the painted classes) 0.900 at epoch 2" in card
    assert "0.650" not in card


def test_a_last_run_without_held_out_pixels_is_said_not_validated():
    history = [{"run": 1, "epoch": 1, "validation_score": 0.8}, {"run": 2, "epoch": 1}]
    card = model_card(model_with(history, {"validation_score": None}))
    assert "were not validated on held-out pixels" in card and "0.800" not in card


def test_a_model_recorded_before_runs_kept_their_score_quotes_its_history():
    history = [{"run": 1, "epoch": 1, "validation_score": 0.8}]
    card = model_card(model_with(history, {"steps": 10}))
    assert "(mean F1 over the painted classes) 0.800," in card
