"""BioImage.IO packages: valid for the spec, tested by bioimageio.core, exact round trip.

One package of the shipped model is exported per module (about 4 s) and
shared; tampered copies are rewritten from it member by member.
"""

import os
import zipfile

import numpy as np
import pytest
import torch
import yaml

import napari_finetune as nf
from napari_finetune.models import CheckpointError, SegmentationModel, save_model
from napari_finetune.models.bioimageio_package import CHECKPOINT_NAME, export_bioimageio
from napari_finetune.models.unet import UNetProbabilities

pytest.importorskip("bioimageio.spec")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The shipped model and its package, exported offline."""
    import httpx

    requests = []

    def offline(client, request, *args, **kwargs):
        requests.append(str(request.url))
        raise httpx.ConnectError("offline", request=request)

    model = nf.load_model("voronoi-unet")
    with pytest.MonkeyPatch.context() as patch:
        # Nothing is fetched or checked online (bioimageio.spec would HEAD any URL).
        patch.setattr(httpx.Client, "send", offline)
        path = export_bioimageio(model, tmp_path_factory.mktemp("package") / "voronoi-unet.zip")
    assert requests == []
    return model, path


def rewritten(source, target, replace=None, edit_rdf=None):
    """A copy of the package ``source`` with members replaced and its rdf edited."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = (replace or {}).get(name, old.read(name))
            if name == "rdf.yaml" and edit_rdf is not None:
                rdf = yaml.safe_load(data)
                edit_rdf(rdf)
                data = yaml.safe_dump(rdf).encode()
            new.writestr(name, data)
    return target


def rdf_of(path):
    with zipfile.ZipFile(path) as archive:
        return yaml.safe_load(archive.read("rdf.yaml"))


def test_the_package_is_valid_for_bioimageio_spec(exported):
    from bioimageio.spec import InvalidDescr, load_description

    _, path = exported
    description = load_description(path)
    assert not isinstance(description, InvalidDescr), description.validation_summary
    assert description.validation_summary.status == "valid-format"
    assert description.format_version.startswith("0.5")
    rdf = rdf_of(path)
    assert rdf["license"] == "BSD-3-Clause"
    assert rdf["authors"] == [{"name": "napari-finetune developers"}]
    assert "10.1007/978-3-319-24574-4_28" in [c.get("doi") for c in rdf["cite"]]
    (image,), (output,) = rdf["inputs"], rdf["outputs"]
    assert [a.get("id", a["type"]) for a in image["axes"]] == ["batch", "channel", "y", "x"]
    # Multiples of 16 (other sides shift boundaries), with room for the halo tilers crop.
    assert image["axes"][2]["size"] == {"min": 80, "step": 16}
    output_axes = rdf["outputs"][0]["axes"]
    assert [a.get("halo") for a in output_axes[2:]] == [32, 32]
    scale = next(p for p in image["preprocessing"] if p["id"] == "scale_range")["kwargs"]
    assert scale["axes"] == ["y", "x"]  # per image and per channel, as Normalization
    assert (scale["min_percentile"], scale["max_percentile"]) == (1.0, 99.5)
    assert output["axes"][1]["channel_names"] == ["grain_interior", "boundary"]
    assert set(rdf["weights"]) == {"pytorch_state_dict", "onnx"}
    assert rdf["weights"]["pytorch_state_dict"]["architecture"]["callable"] == "UNetProbabilities"
    ours = rdf["config"]["napari_finetune"]
    assert ours["package_version"] == 1
    assert ours["classes"] == {"1": "grain interior", "2": "boundary"}
    assert [a["source"] for a in rdf["attachments"]] == [CHECKPOINT_NAME]
    with zipfile.ZipFile(path) as archive:
        card = archive.read(rdf["documentation"]["source"]).decode()
    assert "synthetic Voronoi grain" in card and "## Validation" in card


def test_bioimageio_core_test_model_passes_for_both_weight_formats(exported):
    from bioimageio.core import test_model

    summary = test_model(exported[1])
    failed = [(d.name, [e.msg for e in d.errors]) for d in summary.details if d.errors]
    assert summary.status == "passed", failed
    names = " ".join(d.name for d in summary.details)
    assert "(onnx)" in names and "(pytorch_state_dict)" in names


def test_test_output_is_our_own_prediction_of_the_test_input(exported):
    model, path = exported
    with zipfile.ZipFile(path) as archive:
        test_input = np.load(archive.open("test_input.npy"))
        test_output = np.load(archive.open("test_output.npy"))
    assert test_input.shape == (1, 1, 256, 256) and test_input.dtype == np.float32
    np.testing.assert_array_equal(test_output[0], nf.predict(model, test_input[0, 0]))


def test_load_model_round_trip_predicts_bit_for_bit(exported):
    model, path = exported
    loaded = nf.load_model(path)
    assert loaded.classes == model.classes
    assert loaded.normalization == model.normalization
    assert loaded.history == model.history
    image = nf.voronoi_grains(shape=(97, 130), seed=4).image  # odd, unlike the test tensor
    np.testing.assert_array_equal(nf.predict(loaded, image), nf.predict(model, image))


def test_the_architecture_callable_is_unet_with_a_softmax():
    torch.manual_seed(0)
    model = SegmentationModel.create(n_classes=3)
    net = UNetProbabilities(in_channels=1, n_classes=3, widths=[8, 16, 32, 64, 128], dropout=0.1)
    assert net.state_dict().keys() == model.net.state_dict().keys()
    net.load_state_dict(model.net.state_dict())
    x = torch.rand(1, 1, 33, 40)
    with torch.no_grad():
        expected = torch.softmax(model.net.eval()(x), dim=1)
        np.testing.assert_array_equal(net.eval()(x).numpy(), expected.numpy())


def test_import_never_runs_the_packaged_architecture_source(exported, tmp_path):
    model, path = exported
    marker = tmp_path / "executed"
    hostile = f"open({str(marker)!r}, 'w').close()\nraise RuntimeError('code ran')\n"
    tampered = rewritten(path, tmp_path / "hostile.zip", {"unet.py": hostile.encode()})
    loaded = nf.load_model(tampered)
    assert not marker.exists()
    image = nf.voronoi_grains(shape=(64, 64), seed=1).image
    np.testing.assert_array_equal(nf.predict(loaded, image), nf.predict(model, image))


def test_a_foreign_bioimageio_package_is_refused(exported, tmp_path):
    foreign = rewritten(
        exported[1],
        tmp_path / "other.zip",
        edit_rdf=lambda rdf: rdf["config"].pop("napari_finetune"),
    )
    with pytest.raises(
        CheckpointError,
        match=r"other\.zip is a BioImage\.IO model package that napari-finetune did not "
        r"export.*never runs code",
    ):
        nf.load_model(foreign)


def test_a_package_of_a_newer_format_asks_for_an_update(exported, tmp_path):
    def newer(rdf):
        rdf["config"]["napari_finetune"] |= {"package_version": 2, "plugin_version": "9.1.0"}

    path = rewritten(exported[1], tmp_path / "newer.zip", edit_rdf=newer)
    with pytest.raises(
        CheckpointError,
        match=r"newer\.zip was exported by napari-finetune 9\.1\.0, a newer version.*"
        r"update napari-finetune to load it",
    ):
        nf.load_model(path)


def test_a_tampered_attachment_is_refused(exported, tmp_path):
    other = save_model(SegmentationModel.create(), tmp_path / "other.ckpt").read_bytes()
    path = rewritten(exported[1], tmp_path / "tampered.zip", {CHECKPOINT_NAME: other})
    with pytest.raises(CheckpointError, match=r"tampered\.zip is damaged: .* SHA-256"):
        nf.load_model(path)


def test_other_zips_onnx_files_and_damaged_archives_are_refused(exported, tmp_path):
    plain = tmp_path / "notes.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(CheckpointError, match=r"notes\.zip is a zip archive but not a BioImage"):
        nf.load_model(plain)
    onnx = tmp_path / "model.bin"  # found by its bytes, not its name
    with zipfile.ZipFile(exported[1]) as archive:
        onnx.write_bytes(archive.read("weights.onnx"))
    with pytest.raises(CheckpointError, match=r"model\.bin is an ONNX model file"):
        nf.load_model(onnx)
    data = exported[1].read_bytes()
    (tmp_path / "half.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"half\.zip is a damaged or incomplete zip"):
        nf.load_model(tmp_path / "half.zip")


def test_a_package_whose_description_is_not_a_model_or_lacks_its_checkpoint_is_refused(
    exported, tmp_path
):
    import yaml

    def rewritten(name, change):
        out = tmp_path / name
        with zipfile.ZipFile(exported[1]) as source, zipfile.ZipFile(out, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "rdf.yaml":
                    rdf = yaml.safe_load(data)
                    change(rdf)
                    data = yaml.safe_dump(rdf).encode()
                target.writestr(item, data)
        return out

    notebook = rewritten("notebook.zip", lambda rdf: rdf.update(type="notebook"))
    with pytest.raises(CheckpointError, match=r"describes a BioImage\.IO notebook, not a model"):
        nf.load_model(notebook)

    def other_checkpoint(rdf):
        rdf["config"]["napari_finetune"]["checkpoint"] = "missing.ckpt"

    missing = rewritten("missing.zip", other_checkpoint)
    with pytest.raises(CheckpointError, match=r"names, 'missing\.ckpt', is not in the archive"):
        nf.load_model(missing)


def test_bad_destinations_are_refused_before_any_work(exported, tmp_path, monkeypatch):
    model = exported[0]
    existing = tmp_path / "existing.zip"
    existing.write_text("keep me")
    with pytest.raises(ValueError, match="already exists"):
        export_bioimageio(model, existing)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        export_bioimageio(model, tmp_path / "file" / "package.zip")
    with pytest.raises(ValueError, match="is a folder"):
        export_bioimageio(model, tmp_path)
    # Tests run as root here, for whom every folder is writable: say it is not.
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(ValueError, match="is not writable"):
        export_bioimageio(model, tmp_path / "new.zip")
    assert existing.read_text() == "keep me"


def test_a_failed_export_leaves_the_old_file(exported, tmp_path, monkeypatch):
    import bioimageio.spec

    def fails_half_way(description, *, output_path):
        output_path.write_bytes(b"PK half a zip")
        raise ValueError("disk full")

    monkeypatch.setattr(bioimageio.spec, "save_bioimageio_package", fails_half_way)
    existing = tmp_path / "package.zip"
    existing.write_text("old package")
    with pytest.raises(ValueError, match="disk full"):
        export_bioimageio(exported[0], existing, overwrite=True)
    assert existing.read_text() == "old package"
    assert [p.name for p in tmp_path.iterdir()] == ["package.zip"]


def test_a_fine_tune_can_start_from_an_exported_package(exported):
    from napari_finetune.session.policy import resolve_start

    model, path = exported
    start, strategy = resolve_start(path, None, "finetune")
    assert isinstance(start, SegmentationModel) and strategy == "finetune"
    for name, tensor in model.net.state_dict().items():
        assert torch.equal(start.net.state_dict()[name], tensor), name


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("world-unet", "on a wider synthetic world"),
        ("voronoi-unet", "on abundant synthetic Voronoi grain micrographs"),
    ],
)
def test_the_card_says_what_each_shipped_model_was_pretrained_on(name, said):
    from napari_finetune.models.bioimageio_card import model_card

    model = nf.load_model(name)
    pretraining = [h for h in model.history if h["task"] != "pretrain evaluation"]
    steps = pretraining[-1]["step"]
    card = model_card(model)
    training = card.split("## Training data")[1].split("## Intended use")[0]
    assert said in training and f"{steps:,} steps" in training
    assert "Not recorded in the model" not in training
