"""The model card (README.md) of an exported BioImage.IO package.

Written from what the model itself records: its classes and normalisation,
its training history (pretraining steps and every fine-tuning epoch) and the
provenance of each run (start model, images, painted pixels, options). A
reader of the Model Zoo gets the same facts as a napari-finetune user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from napari_finetune._version import __version__
from napari_finetune.choices import PRETRAIN_TASK, REGIONS_PRETRAIN_TASK, WORLD_PRETRAIN_TASK
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.model_data import caution, class_list, in_words, modality

_NO_REAL = "No real micrograph was used."
_VORONOI = (
    "synthetic Voronoi grain micrographs with exact labels: random grain sizes and shapes, "
    "boundary widths, contrasts, SEM-like noise, blur, scan jitter, vignetting and drift"
)
# What each pretraining task of the history learned from (``training.pretrain``).
PRETRAINING = {
    PRETRAIN_TASK: f"Pretrained by napari-finetune on abundant {_VORONOI} "
    f"(`napari_finetune.training.pretrain`). {_NO_REAL}",
    WORLD_PRETRAIN_TASK: "Pretrained by napari-finetune on a wider synthetic world "
    f"(`napari_finetune.training.pretrain.world_mixture_sample`): {_VORONOI} for 40 % of "
    "the draws; the rest annealing twins, second phases (γ′-like cuboids, particles on "
    "boundaries, lamellar colonies) and EM cells with membranes and organelles, all with "
    f"exact labels. {_NO_REAL}",
}
PRETRAINING[REGIONS_PRETRAIN_TASK] = PRETRAINING[WORLD_PRETRAIN_TASK].replace(
    "all with exact labels.",
    "all with exact labels and region classes (interior, boundary, precipitate, lamellar colony).",
)


@dataclass(frozen=True)
class Credits:
    """Who made an exported model's package and under which licence.

    The BioImage.IO spec's ``authors`` are the creators of the package and its
    points of contact, and weights trained on a user's own data are theirs to
    license: both default to the plugin's, for the shipped models.
    """

    authors: tuple[str, ...] = ("napari-finetune developers",)
    license: str = "BSD-3-Clause"

    @property
    def by(self) -> str:
        """The authors in words."""
        return in_words(list(self.authors))


def model_card(model: SegmentationModel, credits: Credits | None = None) -> str:
    """Markdown model card of ``model``: what it is, its data, use, limits and validation."""
    credits = credits or Credits()
    config = model.net.config
    norm = model.normalization
    n_parameters = sum(p.numel() for p in model.net.parameters())
    classes = "\n".join(f"| {k} | {name} | {k - 1} |" for k, name in sorted(model.classes.items()))
    channels = "1 channel (grey)" if model.in_channels == 1 else "3 channels (RGB)"
    lines = [
        f"# {model.name or 'napari-finetune model'}",
        "",
        f"A U-Net for semantic segmentation exported by napari-finetune {__version__}, a napari "
        "plugin that fine-tunes a small pretrained U-Net on the labels a user paints.",
        "",
        "## Model",
        f"- U-Net, encoder widths {tuple(config.widths)}, decoder dropout {config.dropout:g} "
        f"(inactive at inference), {n_parameters:,} parameters.",
        f"- Input: float32 `(batch, channel, y, x)`, {channels}, sides that are multiples "
        f"of {model.net.min_size} px (mirror an image out to one and crop the output back: "
        "other sides run, but boundaries shift by up to "
        f"{model.net.min_size - 1} px).",
        "- Normalisation (`scale_range` in rdf.yaml): per image and per channel, the "
        f"percentile {norm.low:g} maps to 0 and the percentile {norm.high:g} to 1 (values "
        "beyond are kept, not clipped).",
        "- Output: float32 `(batch, class, y, x)`, the probability of each class (softmax "
        "over the class axis), same size as the input.",
        "",
        "| label | class | output channel |",
        "|---|---|---|",
        classes,
        "",
        "## Training data",
        *_training_lines(model),
        "",
        "## Intended use",
        "A starting point, or the result, of fine-tuning on a few painted strokes of the "
        f"user's own micrographs in napari-finetune: {class_list(model)} in "
        f"{modality(model)}. Threshold or arg-max the probabilities for a label image; "
        "instances (grains) follow from a boundary class.",
        *([f"\n{said}"] if (said := caution(model)) else []),
        "",
        "## Limits",
        "- Trust it only on images like those it was trained on (see above); a model "
        "pretrained only on synthetic grains needs fine-tuning for real micrographs.",
        "- It segments classes, not instances; it is 2D (stacks are predicted slice by slice).",
        "- Probabilities are not calibrated; low contrast, other magnifications or "
        "artefacts unseen in training lower them without warning.",
        "",
        "## Validation",
        *_validation_lines(model),
        "",
        "## Files",
        "- `weights.pt` with `unet.py` (`UNetProbabilities`): PyTorch state dict; "
        "`weights.onnx`: the same network as ONNX (BatchNorm folded in).",
        "- `napari-finetune.ckpt`: the model with its full history, loaded by "
        "`napari_finetune.load_model('package.zip')` (which reads only this file and runs "
        "no code from the package).",
        "- `test_input.npy`, `test_output.npy` (and as TIFF, `sample_input.tif`, "
        "`sample_output.tif`): a synthetic grain image and what napari-finetune predicts for "
        "it.",
        "",
        "## Licence and citation",
        f"{credits.license}, by {credits.by}; made with napari-finetune. Please cite U-Net "
        "(Ronneberger et al., 2015) and the transfer-learning methods listed in rdf.yaml.",
        "",
    ]
    return "\n".join(lines)


def _training_lines(model: SegmentationModel) -> list[str]:
    history = model.history
    lines = []
    pretrain = [h for h in history if h.get("task") in PRETRAINING]
    if pretrain:
        last = pretrain[-1]
        lines.append(
            f"- {PRETRAINING[last['task']]} {_count(last.get('step'))} steps, final "
            f"training loss {_number(last.get('train_loss'))}."
        )
    elif model.name == "scratch" and not model.provenance:
        lines.append("- None: the weights are randomly initialised.")
    for run in model.provenance:
        lines.append(f"- {_run_line(run)}")
    if not lines:
        lines.append(
            f"- Not recorded in the model (it came from {model.name or 'an unnamed file'})."
        )
    return lines


def _run_line(run: dict[str, Any]) -> str:
    start = run.get("start") or {}
    options = run.get("options") or {}
    images = run.get("images") or []
    painted = run.get("painted_pixels") or {}
    result = run.get("result") or {}
    counts = ", ".join(f"class {k}: {n:,} px" for k, n in painted.items() if isinstance(n, int))
    sizes = ", ".join("×".join(str(s) for s in i.get("shape", [])) for i in images[:5])
    more = f" and {len(images) - 5} more" if len(images) > 5 else ""
    return (
        f"Run {run.get('run', '?')} ({run.get('started', 'date unknown')}): "
        f"{options.get('strategy', 'fine-tuning')} from {start.get('name', 'unknown')}, "
        f"on {len(images)} image(s) ({sizes}{more}) with painted pixels {counts or 'unknown'}; "
        f"seed {options.get('seed', '?')}, {result.get('steps', '?')} steps, ended: "
        f"{result.get('reason', 'unknown')}. Images and paintings are identified by their "
        "SHA-256 in the checkpoint's provenance."
    )


def _validation_lines(model: SegmentationModel) -> list[str]:
    lines = [
        "Paint (or take exact) labels on images the model never saw, predict, and compare "
        "the arg-max with them, e.g. boundary F1 with a 2 px tolerance; napari-finetune "
        "reports such a held-out score after each fine-tuning epoch."
    ]
    for record in model.history:
        if record.get("task") == "pretrain evaluation":
            lines.append(
                f"- Boundary F1 (2 px tolerance) on fresh synthetic images: "
                f"{_number(record.get('all'))} overall."
            )
    scored = [h for h in model.history if h.get("validation_score") is not None]
    if scored and scored[-1].get("folded_in"):
        # The held-out pixels trained the exported weights afterwards: the score is the
        # one of the weights training went on from, said with when it was measured.
        last = scored[-1]
        epoch = last.get("continued_from_epoch", last.get("epoch"))
        same_run = [h for h in scored if h.get("run") == last.get("run")]
        kept = next((h for h in same_run if h.get("epoch") == epoch), last)
        lines.append(
            f"- Last fine-tuning run ({last.get('run', '?')}): held-out validation score "
            f"{_number(kept.get('validation_score'))} at epoch {epoch}, on painted pixels "
            f"held out until then; from epoch {last.get('epoch', 0) + 1} they trained "
            "too, so these weights have seen them."
        )
    elif scored:
        # The score of the weights exported: keep-best may have gone back to an earlier
        # epoch than the last one scored, and the last run may have held nothing out.
        result = (model.provenance[-1].get("result") or {}) if model.provenance else {}
        if "validation_score" not in result:  # recorded before runs kept their score
            result = {"validation_score": scored[-1].get("validation_score")}
        score, epoch = result.get("validation_score"), result.get("scored_epoch")
        if score is None:
            lines.append(
                "- The last fine-tuning run held no painted pixels out: these weights were "
                "not validated on held-out pixels."
            )
        else:
            at = f" at epoch {epoch}" if isinstance(epoch, int) and epoch > 0 else ""
            lines.append(
                f"- Last fine-tuning run: held-out validation score (mean F1 over the "
                f"painted classes) {_number(score)}{at}, the epoch whose weights are "
                "exported, on painted pixels held out from training."
            )
    return lines


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _number(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "not recorded"
