"""The ``napari-finetune retrain`` job: repeat a model's last run from its provenance.

See :mod:`napari_finetune.training.reproduce`; heavy imports are inside the job.
"""

from __future__ import annotations

import argparse
import sys

from napari_finetune.cli_checks import check_inputs, check_new_output, check_not_inputs


def retrain(args: argparse.Namespace) -> int:
    """Repeat a model's last run from its provenance; exit 1 if it should match and does not."""
    check_inputs([args.model], "model")
    check_inputs(args.images, "--images")
    check_inputs(args.labels, "--labels")
    if len(args.images) != len(args.labels):
        raise ValueError(f"got {len(args.images)} images but {len(args.labels)} label files.")
    if args.output is not None:
        check_new_output(args.output, args.overwrite)
        check_not_inputs([args.output], [args.model, *args.images, *args.labels], "retrain")

    from napari_finetune.data.io import read_painted_pair
    from napari_finetune.models.checkpoint import save_model
    from napari_finetune.models.registry import load_model
    from napari_finetune.training.reproduce import last_run, reproduce

    model = load_model(args.model)
    record = last_run(model)
    budget = record["options"]["steps"]
    print(
        f"repeating run {record.get('run')} of {args.model.name}: "
        + (f"{budget} steps" if budget else f"{record['options']['max_seconds']:.0f} s")
        + f", strategy {record['options']['strategy']}, seed {record['options']['seed']}",
        file=sys.stderr,
    )
    pairs = [read_painted_pair(i, p) for i, p in zip(args.images, args.labels, strict=True)]
    result = reproduce(
        model,
        [image for image, _ in pairs],
        [labels for _, labels in pairs],
        start=args.start,
    )
    if args.output is not None:
        save_model(result.model, args.output)
        print(f"wrote {args.output}")
    digest = result.model.provenance[-1]["result"]["sha256"][:16]
    if result.identical:
        print(f"identical: the retrained weights equal the recorded ones bit for bit ({digest}…)")
        return 0
    why = "; ".join(result.notes) or "same options, data and versions"
    if result.expected_identical:
        print(f"DIFFERENT: the retrained weights ({digest}…) differ from the recorded ({why})")
        return 1
    print(
        f"not bit-for-bit: the weights differ ({why}); a run with --steps on the same "
        "machine and library versions repeats exactly"
    )
    return 0
