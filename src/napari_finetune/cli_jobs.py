"""What each ``napari-finetune`` job does (the parser and ``view`` live in :mod:`.cli`).

This module imports only the standard library and light modules of the package:
each job first checks its files (:mod:`.cli_checks`), then imports what it needs.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from napari_finetune.choices import (
    DEFAULT_MODEL,
    SEMI_SUPERVISED_OF,
    pretrained_name,
    report_format,
)
from napari_finetune.cli_checks import (
    check_inputs,
    check_new_output,
    check_not_inputs,
)


def _progress(fraction: float, text: str, done: bool = False) -> None:
    """A one-line text progress bar on stderr."""
    width = 30
    # The last epoch's validation and the final predictions run past the
    # budget: the bar waits at 99.9 % for them instead of showing 127 %.
    fraction = 1.0 if done else min(max(fraction, 0.0), 0.999)
    filled = int(width * fraction)
    end = "\n" if done else ""
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
            _progress(1.0, text, done=True)
            return event
    raise RuntimeError("training ended without a result")


def fit(args: argparse.Namespace) -> int:
    """Fine-tune on image files and their painted labels; save the model."""
    if len(args.images) != len(args.labels):
        raise ValueError(f"got {len(args.images)} images but {len(args.labels)} label files.")
    check_inputs(args.images, "--images")
    check_inputs(args.labels, "--labels")
    check_inputs(args.unlabelled, "--unlabelled")
    check_new_output(args.output, args.overwrite)
    check_not_inputs([args.output], [*args.images, *args.labels, *args.unlabelled], "fit")

    import numpy as np

    from napari_finetune.data.io import read_image, read_painted_pair
    from napari_finetune.inference.suggest import DRAW_SEED
    from napari_finetune.inference.thin_class_emphasis import THIN_CLASS_WEIGHT, sought_sentence
    from napari_finetune.models.checkpoint import save_model
    from napari_finetune.models.class_names import parse_class_names
    from napari_finetune.session import LabellingSession, Pair, RoundOptions, SuggestionOptions

    pairs = [
        Pair(*read_painted_pair(image, labels), str(image))
        for image, labels in zip(args.images, args.labels, strict=True)
    ]
    # Unlabelled images join as pairs with nothing painted, read as the painted
    # images are (a last axis of colour when theirs has one).
    colour = pairs[0].image.ndim - pairs[0].labels.ndim
    for path in args.unlabelled:
        image = read_image(path)
        nothing = np.zeros(image.shape[: image.ndim - colour], np.uint8)
        pairs.append(Pair(image, nothing, str(path)))
    session = LabellingSession(pairs)
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
        device=args.device,
        adaptation=args.adaptation,
        # Unlabelled images named on the command line ask for pseudo-labels.
        semi_supervised=True
        if args.unlabelled and args.semi_supervised == "auto"
        else SEMI_SUPERVISED_OF[args.semi_supervised],
        fold_in=args.fold_in,
        class_names=parse_class_names(args.classes) if args.classes else None,
        suggestions=(
            SuggestionOptions(
                n=args.suggest,
                size=args.box_size,
                seed=None if args.best_boxes else DRAW_SEED,
                thin_class_weight=0.0 if args.no_seek_rare_class else THIN_CLASS_WEIGHT,
            )
            if args.suggest
            else None
        ),
    )
    finished = _train(session.train_round(options))
    save_model(finished.model, args.output)
    print(f"wrote {args.output}")
    for rank, box in enumerate(finished.ranking[: args.suggest], start=1):
        y0, x0, y1, x1 = box.box
        plane = "" if box.plane is None else f" plane {box.plane}"
        print(f"paint next {rank}: {box.target}{plane} rows {y0}-{y1}, columns {x0}-{x1}")
    # In the order favoured (fewest painted pixels first), each once over all images.
    sought = dict.fromkeys(name for found in session.suggestions for name in found.favoured)
    if args.suggest and sought:
        print(sought_sentence(list(sought)))
    return 0


def demo(args: argparse.Namespace) -> int:
    """Headless: sample, paint, fine-tune, predict, and a PNG report."""
    check_new_output(args.output, args.overwrite)
    report_format(str(args.output))  # a file it cannot write is refused before training

    from napari_finetune.inference.metrics import boundary_f1
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
        max_seconds=args.seconds,
        seed=args.seed,
        live_previews=False,
        suggestions=None,
        device=args.device,
    )
    prediction = None

    def events():
        nonlocal prediction
        for event in session.train_round(options):
            if isinstance(event, Prediction):
                prediction = event
            yield event

    finished = _train(events())
    predicted = prediction.labels
    score = boundary_f1(predicted == 2, sample.boundaries == 1)
    # Strokes: the round's prediction averages the model's views ('auto', views_advice.py).
    views = f", {prediction.views} views averaged" if prediction.views > 1 else ""
    title = (
        f"fine-tuned {DEFAULT_MODEL} from {(painted > 0).sum()} painted px in "
        f"{finished.finished.elapsed:.0f} s: boundary F1 {score.f1:.3f} (2 px tolerance{views})"
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


def _steps_done(last: object | None) -> str:
    """`` after N steps (R per second)`` of a pretraining's last progress, if any."""
    if last is None or last.elapsed <= 0:
        return ""
    return f" after {last.step} steps ({last.step / last.elapsed:.1f} per second)"


def pretrain(args: argparse.Namespace) -> int:
    """Pretrain the U-Net on synthetic grains (task A)."""
    if args.regions and not args.world:
        print("error: --regions needs --world (only the wider world has phases).", file=sys.stderr)
        return 2
    if args.output is None:  # named after the model it makes (as the shipped ones are)
        args.output = Path(f"{pretrained_name(args.world, args.regions)}.ckpt")
    check_new_output(args.output, args.overwrite)
    # Said with the options' names before torch loads (the core says batch_size, workers).
    if not (math.isfinite(args.minutes) and args.minutes > 0):
        print(f"error: --minutes must be a positive number, not {args.minutes}.", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print(f"error: --batch-size must be 1 or more, not {args.batch_size}.", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 0:
        print(f"error: --workers must be 0 or more, not {args.workers}.", file=sys.stderr)
        return 2

    from napari_finetune.models.checkpoint import save_model
    from napari_finetune.training.pretrain import (
        PretrainProgress,
        evaluate_on_fresh_samples,
        pretrain,
    )

    budget = args.minutes * 60
    last = None
    events = pretrain(
        minutes=args.minutes,
        seed=args.seed,
        device=args.device,
        world=args.world,
        regions=args.regions,
        workers=args.workers,
        batch_size=args.batch_size,
    )
    for event in events:
        if isinstance(event, PretrainProgress):
            last = event
            if event.step % 20 == 0:
                _progress(event.elapsed / budget, f"step {event.step} loss {event.loss:.3f}")
            continue
        model = event
    _progress(1.0, "done", done=True)
    scores = evaluate_on_fresh_samples(model)
    model.history.append({"task": "pretrain evaluation", **scores})
    save_model(model, args.output)
    print(
        f"wrote {args.output}{_steps_done(last)}; boundary F1 on fresh synthetic images: "
        + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    )
    return 0
