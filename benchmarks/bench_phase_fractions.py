"""Phase area fractions of a specimen, end to end: fine-tune, apply to a folder, measure.

A three-phase model (matrix, secondary γ′, tertiary γ′) is fine-tuned from
``--model`` on the NASA superalloy's ``train`` images, fully labelled, for
``--seconds``; then the shipped folder run (``predict_folder(...,
measure=True)``) predicts the 4 ``val`` images and writes
``phase_fractions.csv``: each phase's mean area fraction over the images as
ASTM E562/E1245 fields, with its 95 % interval. Printed beside the truth
labels' fractions of the same images: whether each true fraction lies
inside its interval, and the error of the mean. Then the discrete phases'
particles (ASTM E1245) of the folder run's ``measurements.csv`` against those of
the truth labels measured by the same code
(:func:`napari_finetune.measure.particles.phase_particles`): particles, N_A, mean
ECD and mean free path, means over the images (px).

Usage::

    python benchmarks/bench_phase_fractions.py [--seconds 60] [--seed 0] [--model world-unet]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_feature_forest import PHASE_NAMES, nasa
from common import DATA, markdown_table

import napari_finetune as nf
from napari_finetune.batch import predict_folder
from napari_finetune.models import DEFAULT_MODEL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()

    train_images, train_truth, _, val_truth = nasa()
    model, _ = nf.fit(
        train_images,
        train_truth,
        args.model,
        max_seconds=args.seconds,
        seed=args.seed,
        class_names=PHASE_NAMES,
    )
    val_files = sorted((DATA / "nasa_superalloy" / "val").glob("*_image.png"))
    with tempfile.TemporaryDirectory() as out:
        summary = predict_folder(model, val_files, out, measure=True)
        found = pd.read_csv(Path(out) / "phase_fractions.csv").set_index("phase")
        measured = pd.read_csv(Path(out) / "measurements.csv")
    print(summary.line())
    truth = np.array([[(t == k).mean() for k in PHASE_NAMES] for t in val_truth])
    rows = []
    for k, name in PHASE_NAMES.items():
        true = float(truth[:, k - 1].mean())
        row = found.loc[name]
        inside = row["95% low"] <= true <= row["95% high"]
        rows.append(
            (
                name,
                f"{100 * row['area fraction']:.1f} %",
                f"{100 * row['95% low']:.1f}–{100 * row['95% high']:.1f} %",
                f"{row['%RA']:.0f}",
                f"{100 * true:.1f} %",
                "yes" if inside else "NO",
                f"{100 * (row['area fraction'] - true):+.1f}",
            )
        )
    headers = ("phase", "A_A", "95 % CI", "%RA", "truth", "inside", "error (points)")
    print(markdown_table(headers, rows))
    print(particle_table(measured, val_truth))


def particle_table(measured: pd.DataFrame, truth: list[np.ndarray]) -> str:
    """Predicted vs true particles per discrete phase, means over the images."""
    from napari_finetune.measure.particles import phase_particles
    from napari_finetune.measure.phases import phase_fractions

    true = pd.concat(
        [phase_particles(t, phase_fractions(t, names=PHASE_NAMES)) for t in truth]
    ).groupby("name")
    # The truth is measured in px: so must the predictions be (the PNGs carry no tags).
    assert measured["length unit"].eq("px").all(), "calibrated images: compare in px"
    rows = []
    for name in PHASE_NAMES.values():
        if f"particles {name}" not in measured or name not in true.groups:
            continue  # continuous (the matrix)
        t = true.get_group(name)
        cells = [name]
        for column, field, form in (
            ("particles", "particles", ".1f"),
            ("particles per area", "per area", ".3g"),
            ("mean particle ECD", "mean ECD", ".3g"),
            ("mean free path", "mean free path", ".3g"),
        ):
            predicted = measured[f"{column} {name}"].mean()
            cells.append(f"{predicted:{form}} / {t[field].astype(float).mean():{form}}")
        rows.append(cells)
    headers = ("phase (predicted / truth)", "particles", "N_A (px⁻²)", "mean ECD (px)", "λ (px)")
    return markdown_table(headers, rows)


if __name__ == "__main__":
    main()
