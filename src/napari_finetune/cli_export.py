"""The ``napari-finetune export`` job: a model as ONNX or as a BioImage.IO package.

Heavy imports are inside the job, after the output has been checked.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from napari_finetune.choices import SHIPPED_MODELS
from napari_finetune.cli_checks import check_inputs, check_new_output, check_not_inputs
from napari_finetune.export_formats import export_format


def export(args: argparse.Namespace) -> int:
    """Export ``args.model`` to ``args.output`` in ``args.format``."""
    fmt = export_format(args.output, args.format)
    if fmt == "onnx" and (args.author or args.license):
        raise ValueError("--author and --license are for a BioImage.IO package (.zip).")
    model_path = None if str(args.model) in SHIPPED_MODELS else Path(args.model)
    if model_path is not None:
        check_inputs([model_path], "model")
    check_new_output(args.output, args.overwrite)
    if model_path is not None:
        check_not_inputs([args.output], [model_path], "export")

    from napari_finetune.models.exporting import export_model
    from napari_finetune.models.registry import load_model

    model = load_model(args.model)
    start = time.perf_counter()
    credits = {"authors": args.author, "license": args.license}
    path = export_model(model, args.output, fmt, overwrite=args.overwrite, **credits)
    seconds = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({fmt}, {size:.1f} MB, {seconds:.1f} s)")
    return 0
