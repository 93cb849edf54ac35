"""*Predict* before any training uses the start model chosen, and says which."""

from pathlib import Path

from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL
from napari_finetune.session import CURRENT, SCRATCH, predicted, prediction_model


def test_the_current_model_wins_then_the_start_model_then_the_shipped_default():
    current = SegmentationModel.create(n_classes=2)
    assert prediction_model(DEFAULT_MODEL, current) is current
    assert prediction_model(DEFAULT_MODEL, None) == DEFAULT_MODEL
    assert prediction_model(Path("grains.ckpt"), None) == Path("grains.ckpt")
    other = SegmentationModel.create(n_classes=3)
    assert prediction_model(other, None) is other
    # nothing learnt from scratch, no current model yet: the shipped one predicts
    assert prediction_model(SCRATCH, None) == DEFAULT_MODEL
    assert prediction_model(CURRENT, None) == DEFAULT_MODEL


def test_the_status_names_the_model_that_predicted():
    shipped = SegmentationModel.create(n_classes=2)
    shipped.name = DEFAULT_MODEL
    text = predicted("grains", shipped, current=False)
    assert text.startswith(f"Predicted 'grains' with {DEFAULT_MODEL} (shipped)")
    assert "not fine-tuned" in text
    assert "current model" in predicted("grains", shipped, current=True)


def test_the_status_says_over_how_many_views_it_averaged():
    from dataclasses import replace

    from napari_finetune.augment import AugmentationPipeline

    model = SegmentationModel.create(n_classes=2)
    assert "views" not in predicted("grains", model, current=True)
    assert predicted("grains", model, True, average_views=True).endswith(
        " One view: the model records no flips or turns from its training."
    )
    trained = replace(model, augmentation=AugmentationPipeline.from_preset("eels").to_yaml())
    assert predicted("grains", trained, True, average_views=True).endswith(
        " Averaged over 8 views (the flips and turns the model trained with)."
    )
