"""The ``napari-finetune measure`` job: grains and ASTM E112 grain size of prediction files.

Each map is a row of the summary; a stack (a folder run's deep-stack labels or
probabilities) is read a plane at a time, each plane a row. A plane that
cannot be measured (e.g. an unsegmented, all-0 plane of a class map made
elsewhere) gets its row with the reason, as a folder run's ``--measure`` and
the dock's *Every plane* give it; the other planes keep their numbers. A 2D
map that cannot be measured stops the job, naming it: the user chose that file.
Heavy imports are inside the job, after the files have been checked.
"""

from __future__ import annotations

import argparse

from napari_finetune.cli_checks import (
    check_inputs,
    check_new_output,
    check_not_inputs,
    row_names,
)


def measure(args: argparse.Namespace) -> int:
    """Grains and ASTM E112 grain size of prediction files (stacks plane by plane); write CSV."""
    check_inputs(args.maps, "map")
    rows = row_names(args.maps, "map")
    check_new_output(args.output, args.overwrite)

    from napari_finetune.batch.made_by import recorded_class_names
    from napari_finetune.batch.pixel_size import checked_pixel_size
    from napari_finetune.data.io import read_image
    from napari_finetune.data.lazy_tiff import is_tiff, open_tiff_lazily
    from napari_finetune.measure import Calibration, GrainOptions, measure_map
    from napari_finetune.measure.export import segments_path, summary_path, write_grain_csv
    from napari_finetune.measure.measuring import NO_BOUNDARY_CLASS, not_measured
    from napari_finetune.measure.stack_maps import map_kind, map_planes

    # The table's companions are written too: the same checks, before any measuring.
    companions = {"summary": summary_path(args.output), "segments": segments_path(args.output)}
    for what, path in companions.items():
        check_new_output(path, args.overwrite, f"{what} file")
    check_not_inputs([args.output, *companions.values()], args.maps, "measure")
    calibration = Calibration()
    if args.pixel_size is not None:  # checked before any map is read, as predict --measure does
        calibration = Calibration(*checked_pixel_size(args.pixel_size, args.unit))
    options = GrainOptions(min_size=args.min_size)
    reports, extra = {}, {}
    left_out: dict[str, str] = {}  # plane -> its row's 'not measured: why', no numbers
    for index, (path, row) in enumerate(zip(args.maps, rows, strict=True), start=1):
        names = recorded_class_names(path)
        # A TIFF read only where sliced: a deep stack's planes one at a time.
        data = open_tiff_lazily(path) if is_tiff(path) else read_image(path)
        name = row
        try:
            kind = map_kind(data, args.kind, bool(names))
            for z, plane in map_planes(data, kind):  # a stack: each plane a row
                name = row if z is None else f"{row} plane {z}"
                try:
                    found = measure_map(plane, kind, options, calibration, args.border, names)
                except (ValueError, MemoryError) as err:
                    if z is None:
                        raise ValueError(str(err) or type(err).__name__) from None
                    left_out[name] = not_measured(err)
                    print(f"[{index}/{len(args.maps)}] {name}: {left_out[name]}")
                    reports[name], extra[name] = None, {"plane": z, "warnings": left_out[name]}
                    continue
                print(f"[{index}/{len(args.maps)}] {name}: " + " ".join(found.lines()))
                plane = {} if z is None else {"plane": z}
                # As a folder run's row: a map of phases only has its fractions, no grains.
                warnings = found.report.warnings if found.report else [f"{NO_BOUNDARY_CLASS}."]
                reports[name] = found.report
                extra[name] = {**plane, **found.phase_columns(), "warnings": " ".join(warnings)}
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
    if not reports:  # e.g. a stack of no planes
        raise ValueError("no map to measure: the files hold no plane.")
    if len(left_out) == len(reports):  # the first plane's reason, not a table of reasons only
        first, said = next(iter(left_out.items()))
        reason = said.removeprefix("not measured: ").rstrip(".")
        raise ValueError(
            f"nothing to write: {len(left_out)} plane(s) not measured ({first}: {reason})."
        )
    table, summary = write_grain_csv(reports, args.output, extra=extra)
    if all(report is None for report in reports.values()):
        print(f"no map has a boundary class, so no grains: the phase fractions are in {summary}")
    if left_out:
        print(f"{len(left_out)} plane(s) not measured, each a row saying why: {summary}")
    print(f"wrote {table}, {summary} and {segments_path(table)}")
    return 0
