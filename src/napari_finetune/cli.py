"""Console entry point ``napari-finetune``.

One sub-command per job: ``view`` opens napari with the plugin's docks and a
sample; ``generate``, ``fit``, ``predict``, ``measure``, ``demo``,
``pretrain``, ``retrain`` and ``export`` run headless (see
:mod:`napari_finetune.cli_jobs`; ``predict`` takes whole folders, see
:mod:`napari_finetune.cli_predict`; ``measure`` is in :mod:`napari_finetune.cli_measure`).

Answering ``--help`` or refusing a bad argument must take well under a second,
so this module and the job modules import only the standard library and light
modules of the package (the choice lists come from :mod:`.choices`); a job
imports torch and friends once its files have been checked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from napari_finetune import (
    cli_compare,
    cli_export,
    cli_generate,
    cli_jobs,
    cli_measure,
    cli_predict,
    cli_predict_large,
    cli_retrain,
)
from napari_finetune.choices import (
    BACKENDS,
    BORDER_RULES,
    DEFAULT_MODEL,
    DEVICE_CHOICES,
    EXPORT_FORMATS,
    KINDS,
    SAMPLE_KEYS,
    SHIPPED_MODELS,
    STRATEGY_CHOICES,
)
from napari_finetune.cli_fit_arguments import add_learning_arguments, add_suggestion_arguments

OVERWRITE_HELP = "replace the output file if it exists (default: refuse)"


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
    gen.add_argument("--overwrite", action="store_true", help="replace files that exist")

    fit = jobs.add_parser("fit", help="fine-tune on images and their painted labels")
    fit.add_argument("--images", type=Path, nargs="+", required=True, help="TIFF/PNG images")
    fit.add_argument(
        "--labels",
        type=Path,
        nargs="+",
        required=True,
        help="painted labels, one per image (0 = unpainted, 1..K classes)",
    )
    add_learning_arguments(fit)
    fit.add_argument("--seconds", type=float, default=60.0, help="time budget (default 60)")
    fit.add_argument("--steps", type=int, help="an exact number of steps instead of seconds")
    fit.add_argument(
        "--augmentation",
        default="equiaxed",
        help="modality preset or pipeline YAML (default equiaxed)",
    )
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--output", type=Path, default=Path("model.ckpt"))
    fit.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    add_suggestion_arguments(fit)
    add_device_argument(fit)

    again = jobs.add_parser(
        "retrain",
        help="repeat a model's last training run from its provenance and compare the weights",
    )
    again.add_argument("model", type=Path, help="a checkpoint written by fit or the dock")
    again.add_argument("--images", type=Path, nargs="+", required=True, help="as trained on")
    again.add_argument("--labels", type=Path, nargs="+", required=True, help="as trained on")
    again.add_argument(
        "--start",
        help="the model the run started from, when it was not a shipped one (a checkpoint)",
    )
    again.add_argument("--output", type=Path, help="also save the retrained model here")
    again.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)

    pred = jobs.add_parser(
        "predict",
        help="predict with a model on images, folders or glob patterns; writes TIFF",
        description="Predict every image given: files, folders (their TIFF/PNG files and "
        "OME-Zarr stores) or quoted glob patterns such as 'data/*.tif'. Images whose outputs "
        "exist are skipped, so a stopped run resumes; an unreadable image is reported and "
        "the rest go on. Exit status 1 if any image failed.",
    )
    cli_predict.add_predict_arguments(pred, BACKENDS, DEFAULT_MODEL)
    add_device_argument(pred)

    large = jobs.add_parser(
        "predict-large",
        help="predict one image larger than memory (OME-Zarr, Zarr, TIFF) into a Zarr store",
        description="Predict one large image band by band, reading only the rows in use and "
        "writing each band as it is done: labels beside an OME-Zarr image (labels/NAME), "
        "or into a new Zarr store (--output).",
    )
    cli_predict_large.add_predict_large_arguments(large, list(BACKENDS))
    add_device_argument(large)

    exp = jobs.add_parser(
        "export", help="export a model as ONNX or as a BioImage.IO model package"
    )
    exp.add_argument(
        "model", help=f"shipped name ({', '.join(SHIPPED_MODELS)}) or checkpoint file"
    )
    exp.add_argument(
        "--format",
        choices=list(EXPORT_FORMATS),
        help="; ".join(f"{k}: {v}" for k, v in EXPORT_FORMATS.items())
        + " (default: from the suffix of --output, .onnx or .zip)",
    )
    exp.add_argument("--output", type=Path, required=True, help="file to write")
    exp.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    exp.add_argument(
        "--author",
        action="append",
        help="an author of the BioImage.IO package, its point of contact (repeat for "
        "several; default: the napari-finetune developers)",
    )
    exp.add_argument(
        "--license", help="SPDX licence of the package, e.g. CC-BY-4.0 (default: BSD-3-Clause)"
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
    meas.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)

    demo = jobs.add_parser(
        "demo", help="headless: sample -> paint -> fine-tune -> predict -> PNG report"
    )
    demo.add_argument("--output", type=Path, default=Path("napari-finetune-demo.png"))
    demo.add_argument("--seconds", type=float, default=30.0, help="training budget")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    add_device_argument(demo)

    versus = jobs.add_parser(
        "compare",
        help="which transfer-learning strategy suits your painted data (short runs of each)",
        description="Train each strategy on 25/50/100 % of the painted regions with two "
        "seeds, score every run on the same held-out painted regions, and recommend one; "
        "the last line names it.",
    )
    cli_compare.add_compare_arguments(versus, STRATEGY_CHOICES)
    add_device_argument(versus)

    pre = jobs.add_parser("pretrain", help="pretrain the U-Net on synthetic grains (task A)")
    pre.add_argument(
        "--output",
        type=Path,
        help="default voronoi-unet.ckpt; with --world world-unet.ckpt, with --regions "
        "world-regions-unet.ckpt",
    )
    pre.add_argument("--minutes", type=float, default=20.0, help="time budget (default 20)")
    pre.add_argument("--seed", type=int, default=0)
    pre.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    pre.add_argument(
        "--world",
        action="store_true",
        help="the wider synthetic world: twins, second phases, EM membranes beside the grains",
    )
    pre.add_argument(
        "--regions",
        action="store_true",
        help="with --world: the multi-class variant (interior, boundary, precipitate, "
        "lamellar colony)",
    )
    pre.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes that render the synthetic samples (default: none on the CPU, "
        "all cores but two beside a CUDA GPU, where rendering is the bottleneck)",
    )
    pre.add_argument("--batch-size", type=int, default=8, help="patches per step (default 8)")
    add_device_argument(pre)
    return parser


def add_device_argument(job: argparse.ArgumentParser) -> None:
    """``--device``: where a job's network runs (checked when the job starts)."""
    job.add_argument(
        "--device",
        default="auto",
        metavar="|".join(DEVICE_CHOICES),
        help="where the network runs: auto (a CUDA GPU, else Apple MPS, else the CPU; "
        "the default), cpu, cuda, cuda:N or mps",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.job == "view":
            return _view(args.sample)
        return JOBS[args.job](args)
    except ValueError as err:  # CheckpointError included
        print(f"napari-finetune: {err}", file=sys.stderr)
        return 2


def _view(sample: str) -> int:
    import napari

    viewer = napari.Viewer(title="napari-finetune")
    if sample != "none":
        viewer.open_sample("napari-finetune", sample)
    # Fine-tune in front (the job people come for), the other widgets as tabs.
    for name in ("Synthetic grains", "Augmentation preview", "Measure grains", "Fine-tune"):
        viewer.window.add_plugin_dock_widget("napari-finetune", name, tabify=True)
    napari.run()
    return 0


# Each job but `view` (the only one that needs napari) lives in cli_jobs (retrain:
# cli_retrain, predict: cli_predict, export: cli_export, measure: cli_measure).
JOBS = {
    "generate": cli_generate.generate,
    "fit": cli_jobs.fit,
    "retrain": cli_retrain.retrain,
    "predict": cli_predict.predict,
    "predict-large": cli_predict_large.predict_large,
    "export": cli_export.export,
    "compare": cli_compare.compare,
    "measure": cli_measure.measure,
    "demo": cli_jobs.demo,
    "pretrain": cli_jobs.pretrain,
}


if __name__ == "__main__":
    sys.exit(main())
