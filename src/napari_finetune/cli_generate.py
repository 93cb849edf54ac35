"""``napari-finetune generate``: synthetic grains and their exact labels as TIFF files.

Standard library only until the files are checked: a refusal (an existing file
without ``--overwrite``) comes before numpy or scikit-image load, and before
anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from napari_finetune.data.safe_write import check_writable_folder


def generate(args: argparse.Namespace) -> int:
    """Write synthetic grains and their exact labels as TIFF."""
    if args.count < 1:
        raise ValueError(f"--count={args.count} is invalid: it must be at least 1.")
    check_writable_folder(args.output, "output folder")
    stems = [args.output / f"grains_{args.seed + index:05d}" for index in range(args.count)]
    existing = [
        f"{stem}_{what}.tif"
        for stem in stems
        for what in ("image", "grains", "classes")
        if Path(f"{stem}_{what}.tif").exists()
    ]
    if existing and not args.overwrite:  # refused before anything is written
        raise ValueError(
            f"{len(existing)} of the files to write already exist in {args.output} "
            f"(the first: {Path(existing[0]).name}): give --overwrite to replace them, "
            "or another folder or --seed."
        )

    from napari_finetune.data.io import write_image
    from napari_finetune.synth import voronoi_grains

    args.output.mkdir(parents=True, exist_ok=True)
    for index, stem in enumerate(stems):
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
        write_image(f"{stem}_image.tif", sample.image)
        write_image(f"{stem}_grains.tif", sample.grains)
        write_image(f"{stem}_classes.tif", sample.classes)
        print(f"[{index + 1}/{args.count}] {stem}_{{image,grains,classes}}.tif")
    return 0
