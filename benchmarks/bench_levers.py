"""Issue 20's levers, each alone: sparse paintings vs the same images fully labelled.

For every data set and seed a simulated annotator paints 3 images × 4 boxes
of 48² (NIST steel: 12 boxes on its one paint image), exactly as
``bench_feature_forest.py`` does (same boxes, same seeds, so its
random-forest peer columns apply row for row). Each lever trains the default
start model (``world-unet``; ``--model`` for another) for ``--seconds`` on those
painted pixels:

- ``none``: plain fine-tuning (``finetune``, AdaBN, no pseudo-labels: the default for box
  paintings; every lever below trains without pseudo-labels unless it names ``semi``
  or ``auto``);
- ``l2sp``: pretrained weights pulled back toward their start;
- ``semi``: mean-teacher pseudo-labels on the unpainted pixels (``semi_supervised=True``);
- ``auto``: ``fit``'s default, pseudo-labels only for strokes, whose classes rarely meet
  (``semi_supervised='auto'``; ``none`` switches them off);
- ``mmd`` / ``dann``: encoder features aligned with synthetic source images;
- ``nofold``: the held-out boxes never train (``fold_in=False``, as before the fold-in);
- ``noval``: nothing held out, every painted pixel trains from the start
  (``validation_fraction=0``: no keep-best guard, no early stopping);
- any ``+`` join given with ``--levers`` (e.g. ``l2sp+semi``).

``full`` trains the same model on the same images *fully* labelled for the
same time: the ratio ``lever / full`` is how much of the full-label result
the sparse paintings reach (the issue's target: ≥ 0.97 on every set). Boundary
sets score boundary F1 (2 px) on their held-out images; ``nasa`` scores mean
IoU over the three phases on ``val`` (and the γ′ area-fraction error).

Usage::

    python benchmarks/bench_levers.py [--datasets isbi2012 nist_steel taskb nasa]
        [--levers none l2sp semi mmd dann] [--seconds 60] [--seeds 3] [--peer]

``--peer`` also runs the deep-features random forest of ``bench_feature_forest.py``;
``--model`` starts every run from another pretrained model (e.g. one from
``napari-finetune pretrain --world``): the "new pretraining" lever.
``--full-from`` takes the fully labelled scores from earlier runs'
``levers.json`` files (one or several) instead of training them again (same
data sets and seeds), so that a second model or lever is ranked against the same reference;
``--output`` names the results file (default ``results/levers.json``), so that
runs of one data set at a time do not overwrite each other.
``--datasets strokes`` paints task B's grains with strokes instead of boxes;
``--datasets em_strokes`` paints isbi2012's membranes with strokes (the images
``isbi2012`` boxes, 6 + 6 strokes each) and ``steel_strokes`` NIST steel's grain
boundaries (its one paint image, 18 + 18): real sets for what strokes get by default;
``--datasets phase_strokes`` the superalloy's three phases (6 strokes of each on each
of the images ``nasa`` boxes);
``--datasets sample`` is the plugin's own sample (``napari-finetune demo``: SEM-rendered
grains the start model already segments, one image with its default strokes).
``--patch-size`` / ``--batch-size`` train every run with another patch
geometry (e.g. ``--patch-size 128 --batch-size 8``, ``fit``'s default before
16 × 64²; README: *Smaller training patches*).
``--augmentation`` trains every run with another preset (e.g. ``oriented`` for
task B's grains elongated at 30°); ``--bn-mode`` with another BatchNorm handling
(``frozen``: the start model's statistics kept, instead of AdaBN's re-estimate).
Each run's record says why it ended (``ended``: time budget, or early stopping
with its last stretch) and after which epoch the held-out boxes trained too; each
seed's record, the pixels painted per class (``painted px``) and, for ``nasa``, the
IoU per phase (a thinly painted phase scores lowest: README, *A thinly painted class*).
``--average-views`` also scores every trained model's predictions averaged over
the flipped and rotated views its training allowed (``predict(...,
average_views=True)``; rows ``<lever>, views averaged``, ratios against the
fully labelled run's averaged score) and times both predictions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from bench_feature_forest import PHASE_NAMES, dataset, deep_forest, nasa, score
from bench_transfer import POOL, task_b
from common import RESULTS, Dataset, isbi2012, markdown_table, nist_steel, paint_boxes
from scipy import ndimage as ndi
from skimage.draw import line
from skimage.measure import label
from skimage.morphology import disk
from skimage.segmentation import expand_labels

import napari_finetune as nf
from napari_finetune.data.class_counts import painted_counts
from napari_finetune.inference.views import model_views
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.synth import voronoi_grains
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.training.arguments import BATCH_SIZE, MAX_PATCH, PATCH_SIZE
from napari_finetune.training.engine import MIN_PATCH

BOX = 48
# Cells and grains grow over their boundaries by up to this many px until neighbours meet.
BOUNDARY_REACH = 12
# Strokes of each phase on each superalloy image, and their longest length (px).
PHASE_STROKES, PHASE_STROKE_PX = 6, 24
# Real sets painted with strokes: the box set whose images they paint, how many
# images, and the boundary strokes (and as many interior ones) on each.
STROKE_SETS = {"em_strokes": ("isbi2012", 3, 6), "steel_strokes": ("nist_steel", 1, 18)}
# fit's patch geometry before 16 × 64² (results files without a "geometry" used it).
BEFORE_GEOMETRY = {"patch_size": 128, "batch_size": 8}


# Lever names that are switches of ``fit``, not adaptations: name -> keywords.
SWITCHES = {
    "semi": {"semi_supervised": True},
    "auto": {"semi_supervised": "auto"},
    "nofold": {"fold_in": False},
    "noval": {"validation_fraction": 0.0},
}


def lever_options(lever: str) -> dict:
    """``fit`` keywords of a lever name (switches may join others with ``+``)."""
    names = [n for n in lever.split("+") if n]
    options = {"semi_supervised": False}
    for name in names:
        options |= SWITCHES.get(name, {})
    adaptation = "+".join(n for n in names if n not in SWITCHES) or "none"
    return {"adaptation": adaptation, **options}


def stroke_samples(seed: int) -> list:
    """The 3 task B images (of its pool) the ``strokes`` set paints on for ``seed``."""
    chosen = np.random.default_rng(seed).choice(POOL, 3, replace=False)
    return [task_b(1000 + int(k)) for k in sorted(chosen)]


def strokes(seed: int):
    """Task B's grains painted with strokes instead of boxes: ``dataset``'s form.

    The seed picks 3 images of task B's pool; each gets 6 boundary and 6
    interior strokes (brush radius 2); scored on task B's 4 test images, as
    ``taskb``. For levers that may favour box paintings.
    """
    samples = stroke_samples(seed)
    painted = [
        paint_strokes(s, n_boundary_strokes=6, n_interior_strokes=6, seed=seed + 10 * i)
        for i, s in enumerate(samples)
    ]
    test = [task_b(2000 + k) for k in range(4)]
    images, truth = [s.image for s in samples], [s.classes for s in test]
    return "boundary", images, painted, [s.image for s in test], truth


def real_stroke_samples(
    name: str, seed: int, data: Dataset | None = None
) -> tuple[list[np.ndarray], list[np.ndarray], list]:
    """The images the box set of ``name`` paints for ``seed``, ready to stroke.

    ``name``: a key of :data:`STROKE_SETS`. Returns the images, their exact
    labels and, for :func:`paint_strokes`, each as a sample: every cell or
    grain interior a "grain", grown over the boundaries until neighbours meet
    (so a traced interface runs along a boundary), the boundaries its
    boundaries (2 px reach: membranes are 3-6 px wide). ``data``: the set
    when already read.
    """
    boxed, n_images, _ = STROKE_SETS[name]
    data = data or (isbi2012() if boxed == "isbi2012" else nist_steel())
    boxes = 4 if boxed == "isbi2012" else 12
    chosen, _ = paint_boxes(data.paint_truth, n_images, boxes, BOX, seed)  # the boxed images
    truths = [data.paint_truth[k] for k in chosen]
    samples = [
        SimpleNamespace(
            grains=expand_labels(label(truth == 1), distance=BOUNDARY_REACH),
            boundaries=(truth == 2).astype(np.uint8),
            params=SimpleNamespace(boundary_width=2),
        )
        for truth in truths
    ]
    return [data.paint_images[k] for k in chosen], truths, samples


def real_strokes(name: str, seed: int):
    """A real boundary set painted with strokes instead of boxes: ``dataset``'s form.

    The images its box set paints for ``seed``, with as many boundary and
    interior strokes on each as :data:`STROKE_SETS` says (18 of each across
    three images, as ``strokes`` paints task B); scored on the set's test
    images (NIST steel: the right half).
    """
    data = isbi2012() if STROKE_SETS[name][0] == "isbi2012" else nist_steel()
    images, _, samples = real_stroke_samples(name, seed, data)
    each = STROKE_SETS[name][2]
    painted = [
        paint_strokes(s, n_boundary_strokes=each, n_interior_strokes=each, seed=seed + 10 * i)
        for i, s in enumerate(samples)
    ]
    return "boundary", images, painted, data.score_images, data.score_truth


def phase_scribbles(truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strokes inside each phase of ``truth``, as a person scribbles regions.

    :data:`PHASE_STROKES` strokes a phase, each a line of up to
    :data:`PHASE_STROKE_PX` px at a random angle through a random point kept
    2 px inside the phase, cut where it would leave that piece of it, 3 px
    wide: a tertiary γ′ particle (~7 px across) gets a short dab.
    """
    painted = np.zeros_like(truth)
    for k in np.unique(truth):
        inner = ndi.binary_erosion(truth == k, structure=disk(2).astype(bool))
        pieces = label(inner)
        ys, xs = np.nonzero(inner)
        for index in rng.choice(len(ys), size=min(PHASE_STROKES, len(ys)), replace=False):
            y, x, angle = ys[index], xs[index], rng.uniform(0, np.pi)
            dy, dx = PHASE_STROKE_PX / 2 * np.sin(angle), PHASE_STROKE_PX / 2 * np.cos(angle)
            ends = np.clip([y - dy, x - dx, y + dy, x + dx], 0, np.array(truth.shape * 2) - 1)
            stroke = np.zeros(truth.shape, bool)
            stroke[line(*np.round(ends).astype(int))] = True
            stroke &= pieces == pieces[y, x]
            stroke = ndi.binary_dilation(stroke, structure=disk(1).astype(bool)) & (truth == k)
            painted[stroke] = k
    return painted


def phase_strokes(seed: int):
    """The superalloy's phases painted with strokes instead of boxes: ``dataset``'s form.

    The 3 ``train`` images the ``nasa`` set boxes for ``seed``, each with
    :func:`phase_scribbles`; scored on ``val`` as ``nasa``.
    """
    train_images, train_truth, val_images, val_truth = nasa()
    chosen = nasa_chosen(seed, len(train_images))
    rng = np.random.default_rng(seed)
    painted = [phase_scribbles(train_truth[k], rng) for k in chosen]
    return "phases", [train_images[k] for k in chosen], painted, val_images, val_truth


def nasa_chosen(seed: int, count: int) -> list[int]:
    """The 3 superalloy ``train`` images ``dataset('nasa', seed)`` paints."""
    return sorted(np.random.default_rng(seed).choice(count, 3, replace=False))


def demo_sample(seed: int):
    """The image ``napari-finetune demo --seed`` paints on, and its strokes."""
    sample = voronoi_grains((512, 512), 60, target_domain=True, seed=seed)
    return sample, paint_strokes(sample, seed=seed)


def sample(seed: int):
    """The plugin's sample as ``napari-finetune demo`` paints it: ``dataset``'s form.

    One 512² SEM-rendered grain image with the default strokes (6 boundary, 8
    interior); scored on 2 fresh renderings. The start model already segments
    these grains: training must not unlearn it.
    """
    painted_sample, painted = demo_sample(seed)
    test = [voronoi_grains((512, 512), 60, target_domain=True, seed=100 + k) for k in range(2)]
    images, truth = [painted_sample.image], [s.classes for s in test]
    return "boundary", images, [painted], [s.image for s in test], truth


def lever_dataset(name: str, seed: int):
    """(kind, paint images, their labels, score images, score truth): ``dataset`` or strokes."""
    made = {"strokes": strokes, "sample": sample, "phase_strokes": phase_strokes}
    if name in STROKE_SETS:
        return real_strokes(name, seed)
    return made[name](seed) if name in made else dataset(name, seed)


def full_labels(name: str, seed: int, images: list[np.ndarray]) -> list[np.ndarray]:
    """The exact labels of the images ``lever_dataset(name, seed)`` painted (boxes, strokes)."""
    if name == "strokes":
        return [sample.classes for sample in stroke_samples(seed)]
    if name == "sample":
        return [demo_sample(seed)[0].classes]
    if name in STROKE_SETS:
        return real_stroke_samples(name, seed)[1]
    if name in ("isbi2012", "nist_steel"):
        data = isbi2012() if name == "isbi2012" else nist_steel()
        n_images, boxes = (3, 4) if name == "isbi2012" else (1, 12)
        chosen, _ = paint_boxes(data.paint_truth, n_images, boxes, BOX, seed)
        return [data.paint_truth[k] for k in chosen]
    if name == "taskb":
        pool = [task_b(1000 + k) for k in range(POOL)]
        chosen, _ = paint_boxes([s.classes for s in pool], 3, 4, BOX, seed)
        return [pool[k].classes for k in chosen]
    train_images, train_truth, _, _ = nasa()  # nasa and phase_strokes paint the same images
    return [train_truth[k] for k in nasa_chosen(seed, len(train_images))]


def cell(values: list[float]) -> str:
    """``median (min–max)``."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def table_row(name: str, lever: str, results: list[dict], peer: bool, part: str = "") -> list:
    """One table row: a lever's scores on one data set (``part='views'``: views averaged)."""

    def of(run: dict) -> dict:
        return run[part] if part else run

    full = [of(r["full"])["score"] for r in results]
    values = [of(r[lever])["score"] for r in results]
    ratios = [v / f for v, f in zip(values, full, strict=True)]
    label = f"{lever}, views averaged ({of(results[0][lever])['count']})" if part else lever
    row = [name, label, cell(values), cell(ratios)]
    if "fraction error" in of(results[0][lever]):
        row.append(f"{statistics.median(of(r[lever])['fraction error'] for r in results):.3f}")
    else:
        row.append("–")
    row.append(f"{statistics.median(r[lever]['steps'] for r in results):.0f}")
    if peer:
        forest = [r["deep features + RF"]["score"] for r in results]
        margin = [v - p for v, p in zip(values, forest, strict=True)]
        row.append(f"{min(margin):+.3f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["isbi2012", "nist_steel", "taskb", "nasa"]
    )
    parser.add_argument("--levers", nargs="+", default=["none", "l2sp", "semi", "mmd", "dann"])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--peer", action="store_true")
    parser.add_argument(
        "--augmentation",
        default="equiaxed",
        help="augmentation preset of every run (default equiaxed, fit's default)",
    )
    parser.add_argument(
        "--average-views",
        action="store_true",
        help="also score predictions averaged over the model's flipped and rotated views",
    )
    parser.add_argument(
        "--full-from",
        type=Path,
        nargs="+",
        default=[],
        help="levers.json file(s) with the 'full' runs (several: one per data set)",
    )
    parser.add_argument(
        "--patience", type=int, default=8, help="epochs without progress before stopping early"
    )
    parser.add_argument(
        "--patch-size", type=int, default=None, help="training patch side (default: fit's)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="patches per step (default: fit's)"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="start model: shipped name or checkpoint"
    )
    parser.add_argument(
        "--bn-mode",
        default="auto",
        choices=["auto", "adabn", "frozen", "adapt"],
        help="BatchNorm of every run (default auto: fit's choice, adabn for finetune)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "levers.json",
        help="where the per-seed results go (one file per model or data set keeps "
        "earlier runs for --full-from)",
    )
    args = parser.parse_args()
    if args.patch_size is not None and not MIN_PATCH <= args.patch_size <= MAX_PATCH:
        parser.error(f"--patch-size must be between {MIN_PATCH} and {MAX_PATCH}")
    if args.patch_size is not None and args.patch_size % (MIN_PATCH // 2):
        parser.error(f"--patch-size must be a multiple of {MIN_PATCH // 2} (fit refuses others)")
    if args.batch_size is not None and args.batch_size < 1:
        parser.error("--batch-size must be 1 or more")
    # Patch geometry only where given (else fit's own), recorded with every result.
    sizes = {"patch_size": args.patch_size, "batch_size": args.batch_size}
    sizes = {key: value for key, value in sizes.items() if value is not None}
    geometry = {"patch_size": PATCH_SIZE, "batch_size": BATCH_SIZE} | sizes
    start = nf.load_model(args.model)
    earlier: dict[str, list[dict]] = {}
    for path in args.full_from:
        earlier |= json.loads(path.read_text())
    missing = [name for name in args.datasets if args.full_from and name not in earlier]
    if missing:
        parser.error(f"--full-from holds no fully labelled runs of {', '.join(missing)}")
    used = [run for name in args.datasets for run in earlier.get(name, [])[: args.seeds]]
    # Results written before the geometry was recorded trained 8 × 128², then fit's default.
    if any(run.get("geometry", BEFORE_GEOMETRY) != geometry for run in used):
        parser.error(f"--full-from runs trained with another patch geometry than {geometry}")
    # Every run here is 'finetune', for which fit's 'auto' is 'adabn': one mode, two names
    # (runs recorded before the option trained 'auto').
    same = {"auto": "adabn"}
    bn_mode = same.get(args.bn_mode, args.bn_mode)
    if any(same.get(m, m) != bn_mode for m in (run.get("bn_mode", "auto") for run in used)):
        parser.error(f"--full-from runs trained with another BatchNorm mode than {bn_mode}")
    if args.average_views and any("views" not in run["full"] for run in used):
        parser.error("--average-views needs --full-from runs made with --average-views")
    found: dict[str, list[dict]] = {}
    for name in args.datasets:
        for seed in range(args.seeds):
            kind, images, labels, score_images, truth = lever_dataset(name, seed)
            result = {"seed": seed, "geometry": geometry, "bn_mode": bn_mode}
            # Pixels painted per class: a thinly painted class is learnt least (thin_classes.py).
            result["painted px"] = {str(k): n for k, n in sorted(painted_counts(labels).items())}
            runs = [(lever, labels, lever_options(lever)) for lever in args.levers]
            if earlier:
                result["full"] = earlier[name][seed]["full"]
            else:
                runs.append(("full", full_labels(name, seed, images), lever_options("none")))
            for lever, painting, options in runs:
                began = time.perf_counter()
                tuned, history = nf.fit(
                    images,
                    painting,
                    start,
                    max_seconds=args.seconds,
                    seed=seed,
                    patience=args.patience,
                    augmentation=args.augmentation,
                    bn_mode=args.bn_mode,
                    class_names=PHASE_NAMES if kind == "phases" else None,
                    **sizes,
                    **options,
                )
                trained = time.perf_counter() - began
                began = time.perf_counter()
                scored = score(kind, [nf.predict(tuned, i) for i in score_images], truth)
                predicted = time.perf_counter() - began
                scored |= {"seconds": round(trained, 1), "steps": history[-1]["step"]}
                # Why the run ended, and after which epoch the held-out boxes trained too.
                folded = [h["epoch"] for h in history if h.get("folded_in")]
                scored["ended"] = tuned.provenance[-1]["result"]["reason"]
                scored["folded in after epoch"] = folded[0] if folded else None
                if args.average_views:
                    began = time.perf_counter()
                    probabilities = [
                        nf.predict(tuned, i, average_views=True) for i in score_images
                    ]
                    scored["views"] = score(kind, probabilities, truth) | {
                        "count": len(model_views(tuned)),
                        "time ratio": round((time.perf_counter() - began) / predicted, 1),
                    }
                # The validation curve: a collapse shows as a peak, then a fall.
                scored["validation"] = [
                    round(h["validation_score"], 3) for h in history if h["validation_score"]
                ]
                result[lever] = scored
            if args.peer:
                probabilities, _ = deep_forest(start, images, labels, score_images, seed)
                result["deep features + RF"] = score(kind, probabilities, truth)
            print(name, json.dumps(result), flush=True)
            found.setdefault(name, []).append(result)
    rows = []
    for name, results in found.items():
        for lever in [*args.levers, "full"]:
            rows.append(table_row(name, lever, results, args.peer))
            if args.average_views:
                rows.append(table_row(name, lever, results, args.peer, "views"))
    headers = ["data", "lever", "score", "ratio to full", "γ′ fraction error", "steps"]
    if args.peer:
        headers.append("worst-seed margin over deep RF")
    print()
    print(
        f"{args.model}: median (min–max) over {args.seeds} seeds, {args.seconds:g} s per run; "
        "boundary F1 "
        "(2 px), or mean IoU for nasa; ratio = lever / fully labelled, per seed:"
    )
    table = markdown_table(headers, rows)
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(found, indent=1))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
