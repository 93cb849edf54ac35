"""ONNX export: a file any ONNX runtime runs, equal to the model, with its metadata."""

import json
import threading
import time

import numpy as np
import pytest
import torch

import napari_finetune as nf
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.onnx_export import METADATA_KEY, OPSET, export_onnx

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    return export_onnx(model, tmp_path_factory.mktemp("onnx") / "grains.onnx")


def run(path, batch):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": batch})[0]


@pytest.mark.parametrize("shape", [(1, 1, 16, 16), (2, 1, 333, 517), (1, 1, 256, 1024)])
def test_exported_file_equals_the_model_at_any_size(model, exported, shape):
    batch = np.random.default_rng(0).random(shape).astype(np.float32)
    with torch.inference_mode():
        expected = torch.softmax(model.net.eval()(torch.from_numpy(batch)), 1).numpy()
    got = run(exported, batch)
    assert got.shape == (shape[0], 2, *shape[2:])
    assert np.abs(got - expected).max() < 1e-4


def test_a_normalised_real_image_gives_the_plugins_prediction(model, exported):
    # As the file's doc string says: mirrored out to sides that are multiples of 16,
    # the output cropped back (200 x 300 unpadded shifts boundaries).
    image = nf.voronoi_grains((200, 300), 20, seed=1).image
    padded = np.pad(model.normalization(image), ((0, 8), (0, 4)), mode="reflect")
    got = run(exported, padded[None, None])[0][:, :200, :300]
    np.testing.assert_allclose(got, nf.predict(model, image), atol=1e-4)
    assert "multiples of 16" in onnx.load(str(exported)).doc_string


def test_the_file_says_how_to_normalise_and_what_the_classes_are(model, exported):
    proto = onnx.load(str(exported))
    onnx.checker.check_model(proto)
    assert proto.opset_import[0].version == OPSET
    metadata = json.loads({p.key: p.value for p in proto.metadata_props}[METADATA_KEY])
    assert metadata["classes"] == {"1": "grain interior", "2": "boundary"}
    assert metadata["input"]["normalization"]["low"] == model.normalization.low
    assert metadata["input"]["normalization"]["high"] == model.normalization.high
    assert "its 99.5th to 1" in proto.doc_string
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 1, "height", "width"]


def test_logits_can_be_exported_instead(model, tmp_path):
    path = export_onnx(model, tmp_path / "logits.onnx", output="logits")
    batch = np.random.default_rng(2).random((1, 1, 64, 64)).astype(np.float32)
    with torch.inference_mode():
        expected = model.net.eval()(torch.from_numpy(batch)).numpy()
    assert np.abs(run(path, batch) - expected).max() < 1e-4


def test_export_leaves_the_model_unchanged(model, tmp_path):
    trained = model.copy()
    trained.net.train()
    before = {k: v.clone() for k, v in trained.net.state_dict().items()}
    export_onnx(trained, tmp_path / "m.onnx")
    assert trained.net.training
    assert all(torch.equal(before[k], v) for k, v in trained.net.state_dict().items())


def test_an_existing_file_is_kept_unless_overwrite(model, tmp_path):
    path = tmp_path / "mine.onnx"
    path.write_bytes(b"the user's own file")
    with pytest.raises(ValueError, match="already exists"):
        export_onnx(model, path)
    assert path.read_bytes() == b"the user's own file"
    export_onnx(model, path, overwrite=True)
    assert path.stat().st_size > 100_000


def test_export_with_no_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="there is no model to export"):
        export_onnx(None, tmp_path / "m.onnx")


def test_an_unwritable_place_is_refused(model, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where a folder would have to be")
    with pytest.raises(ValueError, match=r"notes\.txt"):
        export_onnx(model, blocker / "m.onnx")
    assert blocker.read_text().startswith("a file")


def test_a_folder_is_not_a_file(model, tmp_path):
    with pytest.raises(ValueError, match="folder"):
        export_onnx(model, tmp_path)


def test_exports_from_two_threads_at_once_both_succeed(tmp_path, monkeypatch):
    # torch's exporter has process-wide state: two thread workers of a folder run
    # (or the GUI and a worker) exporting at once used to raise. The wrapper sleeps
    # inside the exporter so that, without the lock, the two calls surely overlap.
    tiny = SegmentationModel.create(widths=(4, 8))
    real_export, inside, most_inside = torch.onnx.export, [0], [0]
    counting = threading.Lock()

    def slow_export(*args, **kwargs):
        with counting:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        try:
            time.sleep(0.3)
            return real_export(*args, **kwargs)
        finally:
            with counting:
                inside[0] -= 1

    monkeypatch.setattr(torch.onnx, "export", slow_export)
    start, written, errors = threading.Barrier(2), {}, []

    def export(name):
        start.wait()
        try:
            written[name] = export_onnx(tiny, tmp_path / f"{name}.onnx")
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=export, args=(name,)) for name in ("gui", "worker")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert most_inside[0] == 1
    for path in written.values():
        onnx.checker.check_model(onnx.load(str(path)))
    assert sorted(written) == ["gui", "worker"]
