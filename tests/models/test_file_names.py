from pathlib import Path

from napari_finetune.models import SegmentationModel
from napari_finetune.models.file_names import suggested_stem, with_checkpoint_suffix


def test_a_checkpoint_name_ends_in_ckpt(tmp_path):
    assert with_checkpoint_suffix(tmp_path / "grains_v2") == tmp_path / "grains_v2.ckpt"
    assert with_checkpoint_suffix("a/grains.v2") == Path("a/grains.v2.ckpt")
    assert with_checkpoint_suffix("a/grains.CKPT") == Path("a/grains.CKPT")
    assert with_checkpoint_suffix(tmp_path) == tmp_path  # a folder: refused by name later


def test_a_fine_tuned_model_is_not_offered_its_starts_name():
    model = SegmentationModel.create()
    model.name = "world unet"
    model.history = [{"run": 0, "step": 50, "train_loss": 1.0, "task": "pretrain"}]
    assert suggested_stem(model) == "world_unet"  # pretraining is not a round
    model.history.append({"run": 1, "epoch": 1, "train_loss": 0.5})
    assert suggested_stem(model) == "world_unet-finetuned"
    model.name = "world_unet-finetuned"  # fine-tuned again: tagged once
    assert suggested_stem(model) == "world_unet-finetuned"
    model.name = ""
    assert suggested_stem(model) == "model-finetuned"
