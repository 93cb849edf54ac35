"""``napari-finetune predict``: a model over image files, folders and glob patterns.

Drives :func:`napari_finetune.batch.predict_plan` and prints one line per image
and the summary table. The folder and every output are checked (standard
library only) before torch is imported, so a refusal takes a fraction of a
second. Exit status: 0 when every image was done or skipped, 1 when any
failed, 2 for refused arguments, 130 when stopped with Ctrl-C (the images
done so far are complete; running again resumes). With ``--measure`` each
image's grains are measured too, and the run ends by saying where its
``measurements.csv`` (one row per image or plane) went. With ``--scheduler`` the images
are tasks on that Dask cluster (:mod:`napari_finetune.batch.folder_cluster`);
a scheduler that does not answer within 5 s is refused like any bad argument
(exit status 2, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from napari_finetune.batch.events import FileDone, FileFailed, FolderFinished, FolderStarted
from napari_finetune.batch.planning import FolderPlan, plan_predictions
from napari_finetune.batch.status import time_left
from napari_finetune.choices import AVERAGE_VIEWS_HELP

if TYPE_CHECKING:
    from distributed import Client


def say_views(model: object) -> None:
    """Print over how many views ``model``'s predictions are averaged (``--average-views``)."""
    from napari_finetune.inference.views import describe_views, model_views

    print(f"{model.name}: {describe_views(model_views(model))}", flush=True)


def add_views_argument(job: argparse.ArgumentParser) -> None:
    """``--average-views``, for every job that predicts."""
    job.add_argument(
        "--average-views",
        action="store_true",
        help=AVERAGE_VIEWS_HELP,
    )


def add_predict_arguments(
    job: argparse.ArgumentParser, backends: dict[str, str], default_model: str
) -> None:
    """The ``predict`` job's options (``--device`` is added by the caller)."""
    job.add_argument("images", type=Path, nargs="+", help="image files, folders or glob patterns")
    job.add_argument("--model", default=default_model, help="shipped name or checkpoint")
    job.add_argument(
        "--output",
        type=Path,
        default=Path("predictions"),
        help="folder for <name>_prediction.tif (labels 1..K), not that of the images "
        "(default ./predictions)",
    )
    job.add_argument(
        "--probabilities",
        action="store_true",
        help="also write <name>_probabilities.tif (float32, one plane per class)",
    )
    job.add_argument(
        "--overwrite",
        action="store_true",
        help="predict images whose outputs exist again (default: skip them)",
    )
    job.add_argument(
        "--measure",
        action="store_true",
        help="also measure the grains of each image: <name>_grains.csv (+ _summary, "
        "_segments, as `measure` writes them) and measurements.csv, one row per image "
        "(per plane of a stack; grain count, ASTM E112 G by two methods with 95%% "
        "intervals, mean size); with "
        "two images or more that have a G (a pixel size given or in their tags), "
        "grain_size.csv: G over the images as E112 fields; for models of two or more "
        "phases, phase_fractions.csv: each phase's area fraction over the images",
    )
    job.add_argument(
        "--pixel-size",
        type=float,
        help="with --measure: length of one pixel for every image (default: from each "
        "image's FEI/Zeiss/OME/ImageJ TIFF tags, else lengths in px and no G)",
    )
    job.add_argument("--unit", default="um", help="unit of --pixel-size: um, nm or mm")
    job.add_argument(
        "--backend",
        choices=list(backends),
        default="auto",
        help="what runs the network: " + "; ".join(f"{k}: {v}" for k, v in backends.items()),
    )
    job.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="predict on the Dask cluster whose scheduler is at ADDRESS (e.g. "
        "tcp://host:8786), one task per image; images and --output on a file system every "
        'worker mounts (needs pip install "napari-finetune[cluster]")',
    )
    add_views_argument(job)


def predict(args: argparse.Namespace) -> int:
    """Predict every image named on the command line; write TIFF and print a summary."""
    plan = plan_predictions(
        args.images,
        args.output,
        probabilities=args.probabilities,
        overwrite=args.overwrite,
        what="--output",
        measure=args.measure,
        calibration=_given_calibration(args),
        average_views=args.average_views,
    )
    # Before torch is imported: a wrong address is said in seconds.
    client = cluster_client(args.scheduler) if args.scheduler else None
    try:
        return _predict_plan(args, plan, client)
    finally:
        if client is not None:
            client.close()  # this process's connection; the cluster stays up


def _predict_plan(args: argparse.Namespace, plan: FolderPlan, client: Client | None) -> int:
    from napari_finetune.batch.folder_run import predict_plan
    from napari_finetune.models.registry import load_model

    model = load_model(args.model)
    if plan.average_views:
        say_views(model)
    events = predict_plan(model, plan, backend=args.backend, device=args.device, client=client)
    try:
        for event in events:
            if isinstance(event, FolderStarted):
                print(_started_line(event, args.overwrite))
            elif isinstance(event, FileDone):
                extra = "".join(
                    f" (+ {what})"
                    for what, asked in (
                        ("probabilities", plan.probabilities),
                        ("grains", plan.measure),
                    )
                    if asked
                )
                note = f" — {event.message}" if event.message else ""
                print(
                    f"[{event.index}/{event.to_do}] {event.path.name} → {event.outputs[0]}"
                    f"{extra} ({event.seconds:.1f} s, {time_left(event.time_left)}){note}",
                    flush=True,
                )
            elif isinstance(event, FileFailed):
                print(
                    f"[{event.index}/{event.to_do}] {event.path.name} FAILED: {event.message}",
                    flush=True,
                )
            elif isinstance(event, FolderFinished):
                summary = event.summary
    except KeyboardInterrupt:
        events.close()
        print(
            "stopped: the images done so far are complete; run the same command again "
            "to do the rest (done images are skipped).",
            file=sys.stderr,
        )
        if plan.measurements_csv is not None:
            print(f"measurements so far: {plan.measurements_csv}", file=sys.stderr)
        return 130
    print()
    print(summary.table())
    print(summary.line())
    return 0 if summary.ok else 1


def cluster_client(address: str) -> Client:
    """A client of the scheduler at ``address``; a refusal is a ValueError in one line."""
    from napari_finetune.batch.cluster import connect

    try:
        return connect(address)
    except ImportError as err:  # no distributed: a refused argument, said in one line
        raise ValueError(str(err)) from None


def _given_calibration(args: argparse.Namespace) -> tuple[float, str] | None:
    if args.pixel_size is None:
        return None
    if not args.measure:
        raise ValueError("--pixel-size is for measuring grains: add --measure.")
    return args.pixel_size, args.unit


def _started_line(event: FolderStarted, overwrite: bool) -> str:
    if not event.to_do:
        return (
            f"nothing to predict: all {event.total} images have their outputs in "
            f"{event.output_dir} (--overwrite redoes them)"
        )
    said = f"predicting {event.to_do} of {event.total} images into {event.output_dir}"
    if event.skipped:
        said += f" ({event.skipped} skipped: their outputs exist; --overwrite redoes them)"
    elif overwrite and event.total:
        said += " (existing outputs replaced)"
    return said
