"""Grains and ASTM E112 grain size from fine-tuned predictions, against the truth.

1. Synthetic grains with exact ids (equiaxed, directional, SEM target domain;
   2048^2 with 500 grains by default): a simulated annotator paints a few boxes
   of the image, the shipped model is fine-tuned on them (a fixed number of
   steps), and the grains found in its prediction are compared with the true
   ids: adjusted Rand index, variation of information, grain-count error,
   mean-ECD error and |dG| (intercept and planimetric) against G of the true ids.
2. NIST etched steel: fine-tuned on 12 boxes of 48^2 on the left half (as in
   bench_real_data.py); G and mean intercept of the prediction against the same
   measurement of the hand-traced boundaries, on the right half and on the whole
   image; and a cross-check of the intercept code on the traced boundaries
   against NIST GSAT's published E112-pattern result for this image.
3. isbi2012: cells from membranes; the ISBI 2012 challenge's foreground-restricted
   scores V_rand and V_info of the fine-tuned model and of the random forest,
   both through the same instance step, on images 20-29.
4. Seconds for grains + measurements of a 2048^2 prediction.

Usage::

    python benchmarks/bench_grains.py [--seeds 2] [--size 2048] [--grains 500] [--steps 600]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import (
    BOUNDARY,
    INTERIOR,
    isbi2012,
    markdown_table,
    nist_steel,
    paint_boxes,
    random_forest_probabilities,
)
from scipy import ndimage as ndi

import napari_finetune as nf
from napari_finetune.measure import Calibration, grains, intercepts, measure_grains
from napari_finetune.measure.compare import agreement, isbi_scores
from napari_finetune.measure.intercepts import e112_pattern
from napari_finetune.models import DEFAULT_MODEL

RENDERINGS = {
    "equiaxed": {},
    "directional": {"morphology": "elongated", "elongation": 3.0, "direction": 90.0},
    "target domain": {"target_domain": True},
}
NIST_UM_PER_PX = 0.2252
# NIST GSAT, ex_grain_intercept/optical_etched: E112 pattern on the traced boundaries.
GSAT_SEGMENTS, GSAT_MEAN_PX = 127, 39.5
UNIT = Calibration(1.0, "µm")  # |dG| does not depend on the scale


def fine_tuned(images, labels, steps, seed):
    model, _ = nf.fit(images, labels, DEFAULT_MODEL, steps=steps, seed=seed)
    return model


def compare_grain_maps(truth_ids, found_ids, calibration):
    truth = measure_grains(truth_ids, calibration)
    found = measure_grains(found_ids, calibration)
    score = agreement(truth_ids, found_ids)
    return {
        "ARI": score.adjusted_rand,
        "VI": score.variation_of_information,
        "count error": score.count_error,
        "ECD error": found.table["ecd"].mean() / truth.table["ecd"].mean() - 1,
        "dG intercept": found.intercept.g - truth.intercept.g,
        "dG planimetric": found.planimetric.g - truth.planimetric.g,
        "G true": truth.intercept.g,
    }


def synthetic(args):
    rows = []
    for name, rendering in RENDERINGS.items():
        runs = []
        for seed in range(args.seeds):
            sample = nf.voronoi_grains((args.size, args.size), args.grains, seed=seed, **rendering)
            _, labels = paint_boxes([sample.classes], 1, args.boxes, 64, seed)
            model = fine_tuned(sample.image, labels[0], args.steps, seed)
            probabilities = nf.predict(model, sample.image)
            start = time.perf_counter()
            found = grains(probabilities)
            measure_grains(found, UNIT)
            seconds = time.perf_counter() - start
            runs.append(compare_grain_maps(sample.grains, found, UNIT) | {"seconds": seconds})
            print(name, seed, {k: round(v, 3) for k, v in runs[-1].items()}, flush=True)
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        worst_dg = max(abs(r["dG intercept"]) for r in runs)
        worst_ecd = max(abs(r["ECD error"]) for r in runs)
        rows.append(
            [
                name,
                f"{med['ARI']:.3f}",
                f"{med['VI']:.3f}",
                f"{100 * med['count error']:+.1f} %",
                f"{100 * med['ECD error']:+.1f} % (worst {100 * worst_ecd:.1f} %)",
                f"{med['dG intercept']:+.3f} (worst {worst_dg:.3f})",
                f"{med['dG planimetric']:+.3f}",
                f"{med['seconds']:.2f}",
            ]
        )
    print(
        f"\nSynthetic {args.size}² with {args.grains} grains, {args.boxes} painted boxes of 64², "
        f"{args.steps} steps; median over {args.seeds} seeds:"
    )
    headers = ["rendering", "ARI", "VI (bits)", "count error", "mean ECD error"]
    headers += ["ΔG intercept", "ΔG planimetric", "grains + measures (s)"]
    print(markdown_table(headers, rows))


def gsat_cross_check():
    """Our E112 pattern on the traced boundaries, counted the way GSAT counts."""
    traced = nist_steel()
    boundary = np.concatenate([traced.paint_truth[0], traced.score_truth[0]], axis=1) == BOUNDARY
    pockets, _ = ndi.label(~boundary)  # boundary pixels stay 0, as in GSAT's binary image
    segments = intercepts(pockets, e112_pattern(boundary.shape)).segments
    gsat = segments[segments["complete"] & (segments["length"] > 2)]
    report = measure_grains(grains(boundary.astype(np.uint8)), Calibration(NIST_UM_PER_PX, "µm"))
    print("\nNIST steel, traced boundaries, E112 pattern:")
    print(
        markdown_table(
            ["", "segments", "mean segment (px)", "G"],
            [
                ["GSAT (published CSV)", GSAT_SEGMENTS, f"{GSAT_MEAN_PX:.1f}", "≈ 10.3"],
                [
                    "ours, GSAT counting (complete runs > 2 px)",
                    len(gsat),
                    f"{gsat['length'].mean():.1f}",
                    "",
                ],
                [
                    "ours, E112 counting (L / N, ends ½, zero-width boundaries)",
                    f"{report.pattern.n_intercepts:g} intercepts",
                    f"{report.intercept.statistic.mean / NIST_UM_PER_PX:.1f}",
                    f"{report.intercept.g:.2f} ({report.summary()['G intercept 95% CI']})",
                ],
            ],
        )
    )


def steel(args):
    data = nist_steel()
    calibration = Calibration(NIST_UM_PER_PX, "µm")
    image = np.concatenate([data.paint_images[0], data.score_images[0]], axis=1)
    truth = np.concatenate([data.paint_truth[0], data.score_truth[0]], axis=1)
    half = data.paint_images[0].shape[1]
    rows = []
    for seed in range(args.seeds):
        _, labels = paint_boxes(data.paint_truth, 1, 12, 48, seed)
        model = fine_tuned(data.paint_images, labels, args.steps, seed)
        probabilities = nf.predict(model, image)
        parts = {"right half (not painted)": slice(half, None), "whole image": slice(None)}
        for part, cols in parts.items():
            found = measure_grains(grains(probabilities[:, :, cols]), calibration)
            true = measure_grains(grains(truth[:, cols] == BOUNDARY), calibration)
            rows.append(
                [
                    part,
                    seed,
                    f"{true.intercept.statistic.mean:.2f}",
                    f"{found.intercept.statistic.mean:.2f}",
                    f"{true.intercept.g:.2f}",
                    f"{found.intercept.g:.2f}",
                    f"{found.intercept.g - true.intercept.g:+.2f}",
                    f"{found.planimetric.g - true.planimetric.g:+.2f}",
                ]
            )
            print(part, seed, rows[-1], flush=True)
    print("\nNIST steel: the fine-tuned prediction against the traced boundaries")
    headers = ["region", "seed", "mean intercept traced (µm)", "predicted (µm)"]
    headers += ["G traced", "G predicted", "ΔG intercept", "ΔG planimetric"]
    print(markdown_table(headers, rows))


def isbi(args):
    data = isbi2012()
    truth_cells = [ndi.label(t == INTERIOR)[0] for t in data.score_truth]
    rows = []
    for seed in range(args.seeds):
        chosen, labels = paint_boxes(data.paint_truth, 3, 4, 48, seed)
        images = [data.paint_images[k] for k in chosen]
        model = fine_tuned(images, labels, args.steps, seed)
        forest, _ = random_forest_probabilities(images, labels, data.score_images, seed)
        for method, maps in (
            (f"fine-tuned {DEFAULT_MODEL}", [nf.predict(model, im) for im in data.score_images]),
            ("random forest", forest),
        ):
            scores = [isbi_scores(t, grains(m)) for t, m in zip(truth_cells, maps, strict=True)]
            v_rand, v_info = np.mean(scores, axis=0)
            rows.append([method, seed, f"{v_rand:.3f}", f"{v_info:.3f}"])
            print(rows[-1], flush=True)
    print("\nisbi2012 cells (images 20-29), same instance step for both:")
    print(markdown_table(["method", "seed", "V_rand", "V_info"], rows))


def timing(args):
    sample = nf.voronoi_grains((2048, 2048), 500, seed=7)
    probabilities = np.stack([sample.boundaries == 0, sample.boundaries == 1]).astype(np.float32)
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        measure_grains(grains(probabilities), UNIT)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(f"\ngrains + measurements of an exact 2048² boundary map: median {median:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--grains", type=int, default=500)
    parser.add_argument("--boxes", type=int, default=6)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["timing", "gsat", "steel", "synthetic", "isbi"],
        choices=["timing", "gsat", "steel", "synthetic", "isbi"],
    )
    args = parser.parse_args()
    parts = {"timing": timing, "gsat": lambda _: gsat_cross_check(), "steel": steel}
    parts |= {"synthetic": synthetic, "isbi": isbi}
    for part in args.parts:
        parts[part](args)


if __name__ == "__main__":
    main()
