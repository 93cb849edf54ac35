"""The dock's one-line answer to "which model is current?"."""

from napari_finetune.models.model import SegmentationModel
from napari_finetune.session import describe_model


def model_with(name, runs):
    model = SegmentationModel.create(n_classes=2)
    model.name = name
    # run 0 is pretraining; each later run is one fine-tuning round of a few epochs
    model.history = [{"run": 0, "epoch": e} for e in range(3)] + [
        {"run": run, "epoch": e, "train_pixels": 100, "validation_score": 0.5}
        for run in runs
        for e in range(2)
    ]
    return model


def test_describes_each_kind_of_model():
    assert (
        describe_model(None) == "model: none trained yet (Predict uses the start model as shipped)"
    )
    assert describe_model(model_with("voronoi-unet", [])) == "model: voronoi-unet (shipped)"
    assert describe_model(model_with("voronoi-unet", [1])) == (
        "model: fine-tuned from voronoi-unet, 1 round"
    )
    assert describe_model(model_with("voronoi-unet", [1, 2])) == (
        "model: fine-tuned from voronoi-unet, 2 rounds"
    )
    assert describe_model(model_with("scratch", [1, 2, 3])) == (
        "model: trained from scratch, 3 rounds"
    )
    assert describe_model(model_with("grains.ckpt", []), loaded=True) == (
        "model: grains.ckpt (loaded)"
    )
    assert describe_model(model_with("voronoi-unet", [1, 2]), loaded=True) == (
        "model: loaded checkpoint, fine-tuned from voronoi-unet, 2 rounds"
    )
    # a checkpoint that kept a registry name but was never fine-tuned is still a file
    assert describe_model(model_with("voronoi-unet", []), loaded=True) == (
        "model: voronoi-unet (loaded)"
    )
