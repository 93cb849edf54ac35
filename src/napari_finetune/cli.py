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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.job == "view":
            return _view(args.sample)
        return _generate(args)
    except ValueError as err:
        print(f"napari-finetune: {err}", file=sys.stderr)
        return 2


def _view(sample: str) -> int:
    import napari

    viewer = napari.Viewer(title="napari-finetune")
    viewer.window.add_plugin_dock_widget("napari-finetune", "Synthetic grains")
    if sample != "none":
        viewer.open_sample("napari-finetune", sample)
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


if __name__ == "__main__":
    sys.exit(main())
