"""Console entry point ``napari-finetune``.

``view`` opens napari with the plugin's widget and a sample; ``generate`` writes
synthetic grain images and their exact labels as TIFF files, for pretraining
data or benchmarks on a machine without a display.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from napari_finetune.measure.instances import KINDS
from napari_finetune.measure.report import BORDER_RULES
from napari_finetune.models.registry import DEFAULT_MODEL
from napari_finetune.session.options import BN_CHOICES, STRATEGY_CHOICES

SAMPLE_KEYS = ("painted", "equiaxed", "directional", "target_domain", "nist_steel")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface, one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="napari-finetune",
        description="Fine-tune a pretrained U-Net on the labels you paint in napari.",
    )
    jobs = parser.add_subparsers(dest="job", required=True)

    view = jobs.add_parser("view", help="open napari with the plugin and a sample")
    view.add_argument(
        "--sample",
        choices=(*SAMPLE_KEYS, "none"),
        default="painted",
        help="sample to open (default: synthetic grains with painted strokes)",
    )

    gen = jobs.add_parser("generate", help="write synthetic grains and labels as TIFF")
    gen.add_argument("output", type=Path, help="folder for the TIFF files (created)")
    gen.add_argument("--count", type=int, default=1, help="number of images (default 1)")
    gen.add_argument("--size", type=int, nargs=2, default=(512, 512), metavar=("ROWS", "COLS"))
    gen.add_argument("--grains", type=int, default=60, help="grains per image (default 60)")
    gen.add_argument("--morphology", choices=("equiaxed", "elongated"), default="equiaxed")
    gen.add_argument("--boundary-width", type=int, default=3)
    gen.add_argument("--dose", type=float, default=50.0, help="electrons/px; 0 = no noise")
    gen.add_argument("--target-domain", action="store_true", help="SEM target-domain rendering")
    gen.add_argument("--seed", type=int, default=0, help="seed of the first image")

    fit = jobs.add_parser("fit", help="fine-tune on images and their painted labels")
    fit.add_argument("--images", type=Path, nargs="+", required=True, help="TIFF/PNG images")
    fit.add_argument(
        "--labels",
        type=Path,
        nargs="+",
        required=True,
        help="painted labels, one per image (0 = unpainted, 1..K classes)",
    )
    fit.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"shipped name or checkpoint (default {DEFAULT_MODEL})",
    )
    fit.add_argument(
        "--strategy",
        choices=STRATEGY_CHOICES,
        help="transfer-learning strategy (default: suggested from the painted amount)",
    )
    fit.add_argument("--bn-mode", choices=BN_CHOICES, default="auto", help="BatchNorm handling")
    fit.add_argument("--seconds", type=float, default=60.0, help="time budget (default 60)")
    fit.add_argument("--steps", type=int, help="an exact number of steps instead of seconds")
    fit.add_argument(
        "--augmentation",
        default="equiaxed",
        help="modality preset or pipeline YAML (default equiaxed)",
    )
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--output", type=Path, default=Path("model.ckpt"))
    fit.add_argument(
        "--suggest",
        type=int,
        default=0,
        metavar="N",
        help="after training, print the N boxes most worth painting next over all images",
    )
    fit.add_argument("--box-size", type=int, default=64, help="side of those boxes in px")

    pred = jobs.add_parser("predict", help="predict with a model; writes TIFF")
    pred.add_argument("images", type=Path, nargs="+")
    pred.add_argument("--model", default=DEFAULT_MODEL, help="shipped name or checkpoint")
    pred.add_argument(
        "--output",
        type=Path,
        default=Path("predictions"),
        help="folder for <name>_labels.tif and <name>_probabilities.tif",
    )

    meas = jobs.add_parser(
        "measure", help="grains and ASTM E112 grain size from predictions; writes CSV"
    )
    meas.add_argument(
        "maps",
        type=Path,
        nargs="+",
        help="label TIFFs as `predict` writes them (1 interior, 2 boundary), probability "
        "TIFFs, traced boundary masks or grain ids",
    )
    meas.add_argument("--pixel-size", type=float, help="length of one pixel (e.g. 0.2252)")
    meas.add_argument("--unit", default="um", help="unit of --pixel-size: um, nm or mm")
    meas.add_argument("--min-size", type=int, default=16, help="smallest grain in px")
    meas.add_argument("--border", choices=BORDER_RULES, default="half")
    meas.add_argument("--kind", choices=KINDS, default="auto", help="what the files hold")
    meas.add_argument(
        "--output",
        type=Path,
        default=Path("grains.csv"),
        help="per-grain CSV; the summary goes to <name>_summary.csv beside it",
    )

    demo = jobs.add_parser(
        "demo", help="headless: sample -> paint -> fine-tune -> predict -> PNG report"
    )
    demo.add_argument("--output", type=Path, default=Path("napari-finetune-demo.png"))
    demo.add_argument("--seconds", type=float, default=30.0, help="training budget")
    demo.add_argument("--seed", type=int, default=0)

    pre = jobs.add_parser("pretrain", help="pretrain the U-Net on synthetic grains (task A)")
    pre.add_argument("--output", type=Path, default=Path(f"{DEFAULT_MODEL}.ckpt"))
    pre.add_argument("--minutes", type=float, default=20.0, help="time budget (default 20)")
    pre.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.job == "view":
            return _view(args.sample)
        if args.job == "pretrain":
            return _pretrain(args)
        if args.job == "fit":
            return _fit(args)
        if args.job == "predict":
            return _predict(args)
        if args.job == "demo":
            return _demo(args)
        if args.job == "measure":
            return _measure(args)
        return _generate(args)
    except ValueError as err:  # CheckpointError included
        print(f"napari-finetune: {err}", file=sys.stderr)
        return 2


def _view(sample: str) -> int:
    import napari

    viewer = napari.Viewer(title="napari-finetune")
    if sample != "none":
        viewer.open_sample("napari-finetune", sample)
    # Fine-tune in front (the job people come for), the other widgets as tabs.
    for name in ("Synthetic grains", "Augmentation preview", "Fine-tune"):
        viewer.window.add_plugin_dock_widget("napari-finetune", name, tabify=True)
    napari.run()
    return 0


def _generate(args: argparse.Namespace) -> int:
    import tifffile

    from napari_finetune.synth import voronoi_grains

    if args.count < 1:
        raise ValueError(f"--count={args.count} is invalid: it must be at least 1.")
    args.output.mkdir(parents=True, exist_ok=True)
    for index in range(args.count):
        seed = args.seed + index
        sample = voronoi_grains(
            tuple(args.size),
            args.grains,
            morphology=args.morphology,
            boundary_width=args.boundary_width,
            dose=args.dose or None,
            target_domain=args.target_domain,
            seed=seed,
        )
        stem = args.output / f"grains_{seed:05d}"
        tifffile.imwrite(f"{stem}_image.tif", sample.image)
        tifffile.imwrite(f"{stem}_grains.tif", sample.grains)
        tifffile.imwrite(f"{stem}_classes.tif", sample.classes)
        print(f"[{index + 1}/{args.count}] {stem}_{{image,grains,classes}}.tif")
    return 0


def _progress(fraction: float, text: str) -> None:
    """A one-line text progress bar on stderr."""
    width = 30
    filled = int(width * min(max(fraction, 0.0), 1.0))
    end = "\n" if fraction >= 1 else ""
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}% {text}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def _train(events: object) -> object:
    """Drive a session's round with a text progress bar; return its RoundFinished."""
    from napari_finetune.session import RoundFinished, StatusLine
    from napari_finetune.training.events import Started, Step

    status = StatusLine()
    for event in events:
        text = status.describe(event)
        if isinstance(event, Started):
            print(text, file=sys.stderr)
        elif isinstance(event, Step):
            fraction = event.elapsed / max(event.elapsed + event.time_left, 1e-9)
            _progress(fraction, f"loss {event.loss:.3f} · {text}")
        elif isinstance(event, RoundFinished):
            _progress(1.0, text)
            return event
    raise RuntimeError("training ended without a result")


def _fit(args: argparse.Namespace) -> int:
    from napari_finetune.data.io import read_image
    from napari_finetune.models.checkpoint import save_model
    from napari_finetune.session import LabellingSession, Pair, RoundOptions, SuggestionOptions

    if len(args.images) != len(args.labels):
        raise ValueError(f"got {len(args.images)} images but {len(args.labels)} label files.")
    session = LabellingSession(
        Pair(read_image(image), read_image(labels), str(image))
        for image, labels in zip(args.images, args.labels, strict=True)
    )
    options = RoundOptions(
        start=args.model,
        strategy=args.strategy,
        bn_mode=args.bn_mode,
        max_seconds=args.seconds,
        steps=args.steps,
        augmentation=args.augmentation,
        seed=args.seed,
        live_previews=False,
        final_predictions=False,
        suggestions=(
            SuggestionOptions(n=args.suggest, size=args.box_size) if args.suggest else None
        ),
    )
    finished = _train(session.train_round(options))
    save_model(finished.model, args.output)
    print(f"wrote {args.output}")
    for rank, box in enumerate(finished.ranking[: args.suggest], start=1):
        y0, x0, y1, x1 = box.box
        plane = "" if box.plane is None else f" plane {box.plane}"
        print(f"paint next {rank}: {box.target}{plane} rows {y0}-{y1}, columns {x0}-{x1}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from napari_finetune.data.io import read_image, write_image
    from napari_finetune.inference.predict import labels_from_probabilities, predict
    from napari_finetune.models.registry import load_model

    model = load_model(args.model)
    for index, path in enumerate(args.images, start=1):
        probabilities = predict(model, read_image(path))
        stem = args.output / path.stem
        write_image(f"{stem}_labels.tif", labels_from_probabilities(probabilities))
        write_image(f"{stem}_probabilities.tif", probabilities)
        print(f"[{index}/{len(args.images)}] {stem}_{{labels,probabilities}}.tif")
    return 0


def _measure(args: argparse.Namespace) -> int:
    from napari_finetune.data.io import read_image
    from napari_finetune.measure import Calibration, GrainOptions, grains, measure_grains
    from napari_finetune.measure.export import write_grain_csv

    calibration = Calibration(args.pixel_size, args.unit) if args.pixel_size else Calibration()
    options = GrainOptions(min_size=args.min_size)
    reports = {}
    for index, path in enumerate(args.maps, start=1):
        ids = grains(read_image(path), args.kind, options)
        if ids.ndim != 2:
            raise ValueError(f"{path.name} is a stack: measure its planes one by one.")
        report = measure_grains(ids, calibration, args.border)
        reports[path.name] = report
        print(f"[{index}/{len(args.maps)}] {path.name}: " + " ".join(report.lines()))
    table, summary = write_grain_csv(reports, args.output)
    print(f"wrote {table} and {summary}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from napari_finetune.inference.metrics import boundary_f1
    from napari_finetune.inference.predict import labels_from_probabilities
    from napari_finetune.report import write_report
    from napari_finetune.session import LabellingSession, Pair, Prediction, RoundOptions
    from napari_finetune.synth import voronoi_grains
    from napari_finetune.synth.strokes import paint_strokes

    # The same sample as File > Open Sample > Synthetic grains with painted strokes,
    # here in the SEM target domain: the pretrained model has to adapt.
    sample = voronoi_grains((512, 512), 60, target_domain=True, seed=args.seed)
    painted = paint_strokes(sample, seed=args.seed)
    print(
        f"sample: 512 × 512 px, 60 grains; painted {(painted > 0).mean():.1%} of pixels",
        file=sys.stderr,
    )
    session = LabellingSession([Pair(sample.image, painted, "grains")])
    options = RoundOptions(
        max_seconds=args.seconds, seed=args.seed, live_previews=False, suggestions=None
    )
    prediction = None

    def events():
        nonlocal prediction
        for event in session.train_round(options):
            if isinstance(event, Prediction):
                prediction = event.probabilities
            yield event

    finished = _train(events())
    predicted = labels_from_probabilities(prediction)
    score = boundary_f1(predicted == 2, sample.boundaries == 1)
    title = (
        f"fine-tuned {DEFAULT_MODEL} from {(painted > 0).sum()} painted px in "
        f"{finished.finished.elapsed:.0f} s: boundary F1 {score.f1:.3f} (2 px tolerance)"
    )
    write_report(
        args.output,
        sample.image,
        painted,
        predicted,
        finished.finished.history,
        title,
        truth=sample.boundaries,
    )
    print(f"{title}\nwrote {args.output}")
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from napari_finetune.models.checkpoint import save_model
    from napari_finetune.training.pretrain import (
        PretrainProgress,
        evaluate_on_fresh_samples,
        pretrain,
    )

    budget = args.minutes * 60
    for event in pretrain(minutes=args.minutes, seed=args.seed):
        if isinstance(event, PretrainProgress):
            if event.step % 20 == 0:
                _progress(event.elapsed / budget, f"step {event.step} loss {event.loss:.3f}")
            continue
        model = event
    _progress(1.0, "done")
    scores = evaluate_on_fresh_samples(model)
    model.history.append({"task": "pretrain evaluation", **scores})
    save_model(model, args.output)
    print(
        f"wrote {args.output}; boundary F1 on fresh synthetic images: "
        + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
