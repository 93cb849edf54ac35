"""``napari-finetune predict-large``: one image or stack larger than memory, into Zarr.

Drives :func:`napari_finetune.inference.lazy.predict_bands` on an OME-Zarr
store, a Zarr array or a TIFF (memory-mapped, or read tile by tile when
compressed), and prints the rows done and the time left; a stack (a TIFF
stack, a Zarr stack, an OME-Zarr z-stack) goes plane by plane, each band by
band (:mod:`~napari_finetune.inference.lazy_stack`), and the planes done are
printed, and within a plane of several bands its rows done. The labels go
beside an OME-Zarr image as ``labels/<name>`` (napari opens them with the
image) unless ``--output`` names a new Zarr store; other inputs need
``--output``. Exit status: 0 done, 2 refused arguments, 130 stopped with
Ctrl-C (the store then says ``complete: false`` and how many rows, or
planes of a stack, are final).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from napari_finetune.cli_checks import check_inputs
from napari_finetune.cli_predict import add_views_argument, say_views


def add_predict_large_arguments(job: argparse.ArgumentParser, backends: list[str]) -> None:
    """The ``predict-large`` job's options (``--device`` is added by the caller)."""
    job.add_argument(
        "image",
        type=Path,
        help="an OME-Zarr store, a Zarr array or a TIFF (one image, or a stack of planes)",
    )
    job.add_argument("--model", default=None, help="shipped name or checkpoint")
    job.add_argument(
        "--output",
        type=Path,
        help="a new Zarr store for labels (+ probabilities, uncertainty); default for an "
        "OME-Zarr image: labels/<--name> beside it",
    )
    job.add_argument("--name", default="prediction", help="label image name in an OME-Zarr")
    job.add_argument("--probabilities", action="store_true", help="also write probabilities")
    job.add_argument(
        "--uncertainty", action="store_true", help="also write the uncertainty (entropy) map"
    )
    job.add_argument("--backend", choices=backends, default="auto", help="what runs the network")
    job.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the bands as tasks on the Dask cluster at ADDRESS (tcp://host:8786)",
    )
    add_views_argument(job)


def predict_large(args: argparse.Namespace) -> int:
    """Predict one large image into a Zarr store, printing progress."""
    if not (args.image.is_dir() or args.image.is_file()):
        check_inputs([args.image], "image")  # says it is missing, in the usual words
    if args.output is not None and args.output.exists():
        raise ValueError(f"--output {args.output} exists: predictions never overwrite.")
    if args.output is None and not args.image.is_dir():
        raise ValueError(
            f"--output is needed for {args.image.name}: a new Zarr store such as "
            f"{args.image.stem}_prediction.zarr (only an OME-Zarr image gets its labels "
            "beside it)."
        )
    from napari_finetune.cli_predict import cluster_client

    client = cluster_client(args.scheduler) if args.scheduler else None
    try:
        return _predict(args, client)
    finally:
        if client is not None:
            client.close()


def _predict(args: argparse.Namespace, client: object) -> int:
    from napari_finetune.batch.band_pyramid import open_result_pyramids
    from napari_finetune.batch.status import time_left
    from napari_finetune.inference.lazy import predict_bands
    from napari_finetune.inference.lazy_events import (
        BandDone,
        PlaneDone,
        PlaneRowsDone,
        PredictionWritten,
    )
    from napari_finetune.models.registry import DEFAULT_MODEL, load_model

    model = load_model(args.model or DEFAULT_MODEL)
    if args.average_views:
        say_views(model)
    # Where the result goes (a new store, or the label image beside the OME-Zarr
    # image): its display levels are filled band by band, as the dock does, so
    # that the store opens in napari without reading it whole.
    location = args.output or Path(args.image) / "labels" / args.name
    pyramids = []
    events = predict_bands(
        model,
        args.image,
        args.output,
        backend=args.backend,
        device=args.device,
        probabilities=args.probabilities,
        uncertainty=args.uncertainty,
        label_name=args.name,
        client=client,
        average_views=args.average_views,
    )
    try:
        for event in events:
            if isinstance(event, BandDone):
                if not pyramids:  # the store exists from the first band on
                    pyramids = open_result_pyramids(location, args.uncertainty)
                for pyramid in pyramids:
                    pyramid.fill(event.rows_done)
                print(
                    f"rows {event.rows_done:,} of {event.rows:,} "
                    f"({100 * event.rows_done / event.rows:.0f} %, {time_left(event.time_left)})",
                    flush=True,
                )
            elif isinstance(event, PlaneRowsDone):
                done = event.plane + event.rows_done / event.rows
                print(
                    f"plane {event.plane + 1:,} of {event.planes:,}: rows {event.rows_done:,} "
                    f"of {event.rows:,} ({100 * done / event.planes:.0f} %, "
                    f"{time_left(event.time_left)})",
                    flush=True,
                )
            elif isinstance(event, PlaneDone):
                print(
                    f"planes {event.planes_done:,} of {event.planes:,} "
                    f"({100 * event.planes_done / event.planes:.0f} %, "
                    f"{time_left(event.time_left)})",
                    flush=True,
                )
            elif isinstance(event, PredictionWritten):
                planes = f"{event.planes:,} planes of " if event.planes > 1 else ""
                print(
                    f"wrote {event.output}: {planes}{event.rows:,} × {event.cols:,} px in "
                    f"{event.seconds:.0f} s ({event.megapixels_per_second:.2f} Mpx/s)"
                )
    except KeyboardInterrupt:
        events.close()
        again = (
            "predict again into a new --output store to finish"
            if args.output is not None
            else f"predict again with another --name, or remove "
            f"{args.image / 'labels' / args.name} first, to finish"
        )
        print(
            "stopped: the rows (of a stack: the planes) written so far are final; the store "
            f"says complete: false ({again}).",
            file=sys.stderr,
        )
        return 130
    return 0
