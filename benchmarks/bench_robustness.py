"""Bad input, bad files and bad arguments: what the user gets back, case by case.

Each case feeds the public API something a real user could give it (a crafted
or damaged model file, label ids that are not classes, out-of-range arguments,
colour images for a grey model, ...) and classifies the outcome:

- ``clear``: a ValueError (CheckpointError included) with one plain line and no
  library text; for inputs that are fine, ``works``;
- ``library text``: a ValueError carrying torch/OpenCV/NumPy wording;
- ``crash <Type>``: any other exception (in napari: an uncaught error in the Qt loop);
- ``accepted``: no error where one was due; for model files the model is then
  used, and ``fails later`` / ``NaN output`` say what happened.

Every case also checks that the inputs are unchanged. Model files are crafted
in the format of the version under test (so the same script measures before
and after)::

    python benchmarks/bench_robustness.py                       # this checkout
    git worktree add /tmp/before cc4e6b6
    PYTHONPATH=/tmp/before/src python benchmarks/bench_robustness.py   # before
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import napari_finetune as nf
from napari_finetune.models import load_checkpoint, save_model

LIBRARY_WORDS = ("torch", "tensor", "opencv", "cv2", "unpack", "weights_only", "range()", "numpy")


# -- model files in the format of the version under test ------------------------------


def _is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def read_parts(path: Path) -> tuple[dict, dict[str, torch.Tensor], dict]:
    """(metadata, tensors, header) of a model file of either format."""
    if _is_zip(path):
        payload = torch.load(path, weights_only=True)
        return json.loads(payload["metadata"]), dict(payload["state"]), payload
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        header = dict(handle.metadata())
        state = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    return json.loads(header["metadata"]), state, header


def write_parts(path: Path, like: Path, metadata: dict, state: dict[str, torch.Tensor]) -> Path:
    """A model file in ``like``'s format, with a valid checksum when the format has one."""
    _, _, header = read_parts(like)
    if _is_zip(like):
        torch.save({**header, "metadata": json.dumps(metadata), "state": state}, path)
        return path
    from safetensors.torch import save_file

    from napari_finetune.models.checkpoint_tensors import tensor_digest

    state = {k: v.contiguous() for k, v in state.items()}
    header = {**header, "metadata": json.dumps(metadata), "sha256": tensor_digest(state)}
    save_file(state, str(path), metadata=header)
    return path


def model_file_cases(folder: Path) -> dict[str, Callable[[], Path]]:
    good = save_model(nf.load_model("voronoi-unet"), folder / "good.ckpt")

    def meta(name: str, change: Callable[[dict], None]) -> Callable[[], Path]:
        def make() -> Path:
            metadata, state, _ = read_parts(good)
            change(metadata)
            return write_parts(folder / f"{name}.ckpt", good, metadata, state)

        return make

    def tensors(name: str, change: Callable[[dict], None]) -> Callable[[], Path]:
        def make() -> Path:
            metadata, state, _ = read_parts(good)
            state = {k: v.clone() for k, v in state.items()}
            change(state)
            return write_parts(folder / f"{name}.ckpt", good, metadata, state)

        return make

    def zeroed() -> Path:
        data = bytearray(good.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(64)
        path = folder / "zeroed.ckpt"
        path.write_bytes(bytes(data))
        return path

    def noise() -> Path:
        path = folder / "noise.ckpt"
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8).tobytes())
        return path

    def first(state: dict) -> str:
        return "encoder_stages.0.0.weight"

    return {
        "valid model file": lambda: good,
        "classes as a list": meta("classes_list", lambda m: m.update(classes=["a", "b"])),
        "history as an int": meta("history_int", lambda m: m.update(history=3)),
        "history as a string": meta("history_str", lambda m: m.update(history="abc")),
        "5 class names on a 2-class head": meta(
            "classes5", lambda m: m.update(classes={str(k): "c" for k in range(1, 6)})
        ),
        "claims a 6000-wide bottleneck": meta(
            "wide", lambda m: m["architecture"].update(widths=[8, 16, 32, 64, 6000])
        ),
        "no tensors": tensors("empty", lambda s: [s.pop(k) for k in list(s)[1:]]),
        "zero-width head weight": tensors(
            "zero_width", lambda s: s.update({"head.weight": torch.zeros(2, 0, 1, 1)})
        ),
        "float64 tensors": tensors(
            "double",
            lambda s: s.update({k: v.double() for k, v in s.items() if v.is_floating_point()}),
        ),
        "2-channel first layer": tensors(
            "two_channel", lambda s: s.update({first(s): torch.zeros(8, 2, 3, 3)})
        ),
        "NaN weights": tensors("nan", lambda s: s[first(s)].view(-1).__setitem__(0, float("nan"))),
        "64 bytes zeroed mid-file": zeroed,
        "random bytes": noise,
        "a folder": lambda: folder,
    }


def run_model_case(make: Callable[[], Path], image: np.ndarray) -> tuple[str, str, float, float]:
    path = make()
    before = path.read_bytes() if path.is_file() else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        model = load_checkpoint(path)
    except ValueError as err:
        outcome, said = classify_refusal(err)
    except Exception as err:
        outcome, said = f"crash {type(err).__name__}", first_line(err)
    else:
        try:
            probabilities = nf.predict(model, image)
        except Exception as err:
            outcome, said = "accepted, fails later", first_line(err)
        else:
            outcome = "accepted, NaN output" if np.isnan(probabilities).any() else "works"
            said = ""
    elapsed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    if before is not None and path.read_bytes() != before:
        outcome += " (file changed!)"
    return outcome, said, elapsed, grown


# -- data and argument cases ---------------------------------------------------------


def data_cases() -> dict[str, Callable[[], object]]:
    sample = nf.voronoi_grains((128, 128), 10, seed=0)
    image = sample.image
    painted = np.zeros(image.shape, np.uint8)
    painted[10:30, 10:30], painted[60:62, :] = 1, 2
    quick = {"steps": 2, "batch_size": 2, "patch_size": 64}
    grains = nf.voronoi_grains((128, 128), 30, seed=0)
    stray = painted.astype(np.int32)
    stray[0, 0] = 5000
    model = nf.load_model("voronoi-unet")
    rgb = np.dstack([image] * 3)
    strip = np.zeros((16, 4096), np.uint8)
    strip[:, :100], strip[:, 300:400] = 1, 2
    return {
        "labels 1 and 7 only": lambda: nf.fit(image, np.where(painted == 2, 7, painted), **quick),
        "one stray pixel of id 5000": lambda: nf.fit(image, stray, **quick),
        "grain ids (30) as painted labels": lambda: nf.fit(grains.image, grains.grains, **quick),
        "batch_size=0": lambda: nf.fit(image, painted, **(quick | {"batch_size": 0})),
        "patch_size=0": lambda: nf.fit(image, painted, **(quick | {"patch_size": 0})),
        "patch_size=8": lambda: nf.fit(image, painted, **(quick | {"patch_size": 8})),
        "validation_fraction=1.5": lambda: nf.fit(
            image, painted, **(quick | {"validation_fraction": 1.5})
        ),
        "predict tile=8": lambda: nf.predict(model, image, tile=8),
        "predict tile == overlap": lambda: nf.predict(model, image, tile=64, overlap=64),
        "RGB image, grey model": lambda: nf.predict(model, rgb),
        "RGBA image, grey model": lambda: nf.predict(model, np.dstack([rgb, np.ones_like(image)])),
        "RGBA image and labels (fit)": lambda: nf.fit(
            np.dstack([rgb, np.ones_like(image)]), painted, **quick
        ),
        "16 x 4096 strip (fit)": lambda: nf.fit(np.tile(image[:16], (1, 32)), strip, **quick),
        "valid painting (fit)": lambda: nf.fit(image, painted, **quick),
    }


# Cases where success is the right outcome.
SHOULD_WORK = {
    "valid model file",
    "valid painting (fit)",
    "RGBA image and labels (fit)",
    "16 x 4096 strip (fit)",
}


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else ""


def classify_refusal(err: ValueError) -> tuple[str, str]:
    text = str(err)
    lines = text.strip().splitlines()
    leaked = len(lines) > 1 or any(word in text.lower() for word in LIBRARY_WORDS)
    return ("library text" if leaked else "clear"), first_line(err)


def run_data_case(call: Callable[[], object]) -> tuple[str, str, float, float]:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        call()
    except ValueError as err:
        outcome, said = classify_refusal(err)
    except Exception as err:
        outcome, said = f"crash {type(err).__name__}", first_line(err)
    else:
        outcome, said = "works", ""
    elapsed = time.perf_counter() - start
    return (
        outcome,
        said,
        elapsed,
        (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024,
    )


# A clear refusal must also say the right thing (before: a folder "does not exist",
# an RGB image "is 128 × 3 px").
MUST_SAY = {
    "a folder": "folder",
    "RGB image, grey model": "colour",
    "RGBA image, grey model": "colour",
}


def verdict(name: str, outcome: str, said: str) -> str:
    if name in SHOULD_WORK:
        return "ok" if outcome == "works" else "FAIL"
    if outcome != "clear":
        return "FAIL"
    return "ok" if MUST_SAY.get(name, "") in said else "FAIL (misleading)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args()
    print(f"napari-finetune {nf.__version__} from {Path(nf.__file__).parent}")
    rows = []
    image = nf.voronoi_grains((128, 128), 10, seed=0).image
    with tempfile.TemporaryDirectory() as folder:
        for name, make in model_file_cases(Path(folder)).items():
            if args.only and args.only not in name:
                continue
            rows.append((f"model file: {name}", *run_model_case(make, image)))
    for name, call in data_cases().items():
        if args.only and args.only not in name:
            continue
        rows.append((name, *run_data_case(call)))
    width = max(len(r[0]) for r in rows)
    print(f"| {'case':<{width}} | verdict | outcome | time (s) | peak RSS growth (MB) | message |")
    print(f"|{'-' * (width + 2)}|---|---|---|---|---|")
    for name, outcome, said, elapsed, grown in rows:
        short = name.removeprefix("model file: ")
        check = verdict(short, outcome, said)
        print(
            f"| {name:<{width}} | {check} | {outcome} | {elapsed:.2f} | {grown:.0f} | "
            f"{said.replace('|', '/')} |"
        )
    failed = sum(verdict(r[0].removeprefix("model file: "), r[1], r[2]) != "ok" for r in rows)
    print(f"\n{len(rows) - failed} of {len(rows)} cases behave as they should.")


if __name__ == "__main__":
    main()
