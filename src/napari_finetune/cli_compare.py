"""``napari-finetune compare``: which strategy suits these painted images (the advisor).

Runs :func:`napari_finetune.training.advisor.compare_strategies` on image and
label files, or on the painted-strokes sample, prints one line per run and
the table, optionally writes the figure, and ends with the line
``recommended strategy: NAME``. Paths are checked (standard library only)
before torch is imported.
"""

from __future__ import annotations

import argparse

from napari_finetune.choices import PSEUDO_LABEL_CHOICES
from napari_finetune.cli_checks import check_inputs, check_new_output, check_not_inputs


def add_compare_arguments(job: argparse.ArgumentParser, strategies: list[str]) -> None:
    """The ``compare`` job's options."""
    data = job.add_mutually_exclusive_group(required=True)
    data.add_argument("--images", nargs="+", help="TIFF/PNG images (with --labels)")
    data.add_argument(
        "--sample", choices=["painted"], help="the painted-strokes sample instead of files"
    )
    job.add_argument("--labels", nargs="+", help="painted labels, one per image")
    job.add_argument("--model", default=None, help="pretrained start (default world-unet)")
    job.add_argument(
        "--also-from",
        nargs="+",
        default=[],
        metavar="MODEL",
        help="also run each pretrained strategy from these start models (shipped names "
        "or checkpoints, e.g. voronoi-unet) and pick the start too",
    )
    job.add_argument(
        "--strategies", nargs="+", choices=strategies, default=strategies, help="(default all)"
    )
    job.add_argument(
        "--fractions",
        nargs="+",
        type=float,
        default=[0.25, 0.5, 1.0],
        help="shares of the painted regions to train on (default 0.25 0.5 1)",
    )
    job.add_argument(
        "--bn-modes",
        nargs="+",
        choices=["auto", "frozen", "adapt", "adabn"],
        default=["auto"],
        help="BatchNorm handlings each pretrained strategy runs with (default auto: AdaBN)",
    )
    job.add_argument(
        "--pseudo-labels",
        nargs="+",
        choices=PSEUDO_LABEL_CHOICES,
        default=["auto"],
        help="whether each pretrained strategy learns from pseudo-labels on unpainted "
        "pixels (default auto: as fit decides, on for strokes on the start model's "
        "classes, off for boxes); "
        "'off on' compares both",
    )
    job.add_argument("--seeds", type=int, default=2, help="runs per strategy and share (≥ 2)")
    job.add_argument("--seconds", type=float, default=8.0, help="training budget of each run")
    job.add_argument("--augmentation", default="equiaxed", help="preset or pipeline YAML")
    job.add_argument(
        "--classes",
        help="names of the painted values 1, 2, … in order, comma-separated (default: the "
        "start model's); a name with 'boundary' or 'membrane' is scored as a thin class",
    )
    job.add_argument("--plot", help="also write the figure (PNG)")
    job.add_argument("--overwrite", action="store_true", help="replace the --plot file")


def compare(args: argparse.Namespace) -> int:
    """Compare strategies on the given painted data; the last line names the pick."""
    from pathlib import Path

    if args.images is not None:
        if args.labels is None or len(args.labels) != len(args.images):
            raise ValueError("give one --labels file per --images file.")
        images, labels = [Path(p) for p in args.images], [Path(p) for p in args.labels]
        check_inputs(images, "--images")
        check_inputs(labels, "--labels")
    elif args.labels is not None:
        raise ValueError("--labels goes with --images, not with --sample.")
    plot = None
    if args.plot:
        plot = check_new_output(Path(args.plot), args.overwrite, "--plot")
        if args.images is not None:
            check_not_inputs([plot], [*images, *labels], "compare")

    from napari_finetune.models.class_names import parse_class_names
    from napari_finetune.models.registry import DEFAULT_MODEL
    from napari_finetune.training import advisor

    class_names = parse_class_names(args.classes) if args.classes else None
    pixels, arrays = _data(args)
    events = advisor.compare_strategies(
        *arrays,
        args.model or DEFAULT_MODEL,
        strategies=tuple(args.strategies),
        fractions=tuple(args.fractions),
        seeds=tuple(range(args.seeds)),
        seconds=args.seconds,
        augmentation=None if args.augmentation == "none" else args.augmentation,
        device=args.device,
        bn_modes=tuple(args.bn_modes),
        other_starts=tuple(args.also_from),
        class_names=class_names,
        pseudo_labels=tuple(args.pseudo_labels),
    )
    for event in events:
        if isinstance(event, advisor.ComparisonStarted):
            print(
                f"{event.runs} runs of {args.seconds:g} s on {pixels}: "
                f"{', '.join(event.strategies)} × {len(event.painted_pixels)} shares × "
                f"{len(event.seeds)} seeds, scored on {event.held_out_pixels:,} held-out "
                f"painted px (whole {event.grouping})",
                flush=True,
            )
            if event.caution:
                print(f"caution: {event.caution}", flush=True)
        elif isinstance(event, advisor.RunDone):
            run = event.result
            score = "not scored" if run.score is None else f"F1 {run.score:.3f}"
            print(
                f"[{event.index}/{event.runs}] {run.candidate} on {run.painted_pixels:,} px, "
                f"seed {run.seed}: {score} ({run.steps} steps)",
                flush=True,
            )
        elif isinstance(event, advisor.ComparisonFinished):
            comparison, seconds = event.comparison, event.seconds
    print()
    print(comparison.table().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    gaps = comparison.transfer_gap()
    if gaps:
        said = ", ".join(f"{gap:+.3f} at {px:,} px" for px, gap in gaps.items())
        print(f"transfer gap (best pretrained − scratch): {said}")
    if plot is not None:
        _write_plot(comparison, plot)
        print(f"wrote {plot}")
    pick = comparison.recommendation()
    print(f"{pick.text} ({seconds:.0f} s in all)")
    flags = [f"--model {pick.start}"] if pick.start else []
    flags += [] if pick.bn_mode == "auto" else [f"--bn-mode {pick.bn_mode}"]
    flags += [] if pick.pseudo_labels == "auto" else [f"--semi-supervised {pick.pseudo_labels}"]
    print(f"recommended strategy: {pick.strategy}{' with ' + ' '.join(flags) if flags else ''}")
    return 0


def _data(args: argparse.Namespace) -> tuple[str, tuple[list, list]]:
    """What to compare on, said in words, and the arrays."""
    if args.sample:
        from napari_finetune._sample_data import painted_grains

        layers = {kind: data for data, _, kind in painted_grains()}
        return "the painted-strokes sample", ([layers["image"]], [layers["labels"]])
    from napari_finetune.data.io import read_painted_pair

    pairs = [read_painted_pair(i, p) for i, p in zip(args.images, args.labels, strict=True)]
    images, labels = [i for i, _ in pairs], [p for _, p in pairs]
    return f"{len(images)} image{'s' if len(images) != 1 else ''}", (images, labels)


def _write_plot(comparison: object, path: object) -> None:
    from matplotlib.figure import Figure

    from napari_finetune.data.safe_write import atomic_write
    from napari_finetune.training.advisor_plot import draw_comparison

    figure = Figure(figsize=(9, 3.6), dpi=110)
    draw_comparison(figure, comparison)
    with atomic_write(path) as temporary:
        figure.savefig(temporary, format="png")
