"""The named options the command line, the widgets and the core offer: plain constants.

This module imports nothing, so the command line can build its parser (choice
lists, defaults, help) without loading torch, numpy or scikit-image. The modules
that act on these names import them from here and re-export them under their
old homes (``training.strategies.STRATEGIES``, ``measure.instances.KINDS``, ...).
"""

# What pretraining names its models: on Voronoi grains alone, on the wider
# synthetic world, and the wider world's multi-class variant (not shipped).
VORONOI_MODEL = "voronoi-unet"
WORLD_MODEL = "world-unet"
WORLD_REGIONS_MODEL = "world-regions-unet"
# The model a fine-tuning run starts from unless told otherwise (a shipped name):
# pretrained on the wider synthetic world, it beats the Voronoi-only model on the
# real sets measured (issue 20; the README's tables), which stays selectable.
DEFAULT_MODEL = WORLD_MODEL
# Every model shipped inside the package, the default first (the registry maps
# each to its weights file; the command line needs only the names).
SHIPPED_MODELS = (DEFAULT_MODEL, VORONOI_MODEL)


# The ``task`` a pretraining writes in the model's history, one per kind; the
# model card and the adaptation levers read them back.
PRETRAIN_TASK = "pretrain"
WORLD_PRETRAIN_TASK = "pretrain (wider world)"
REGIONS_PRETRAIN_TASK = "pretrain (wider world, region classes)"


def pretrained_name(world: bool, regions: bool) -> str:
    """The name pretraining gives its model (``pretrain --world --regions``)."""
    if regions:
        return WORLD_REGIONS_MODEL
    return WORLD_MODEL if world else VORONOI_MODEL


def as_sentence(text: str) -> str:
    """``text`` with a capital first letter and a full stop: a help line as a tooltip.

    >>> as_sentence("the held-out strokes train too")
    'The held-out strokes train too.'
    """
    return text[:1].upper() + text[1:] + "."


def listed(items: list[str] | tuple[str, ...]) -> str:
    """``items`` joined as in a sentence ('' for none).

    Parameters
    ----------
    items : list or tuple of str
        The words or names to join.

    Returns
    -------
    str
        E.g. ``"'a', 'b' and 'c'"``.

    >>> listed(["'a'", "'b'", "'c'"])
    "'a', 'b' and 'c'"
    """
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# Transfer-learning strategies (see napari_finetune.training.strategies).
STRATEGIES = {
    "scratch": "random initialisation: the baseline that shows what pretraining buys",
    "head": "encoder frozen, only decoder and head learn: safest with very few strokes",
    "finetune": "all layers learn, slowly near the input and fast near the output",
    "gradual": "head first, then encoder stages unfrozen from deep to shallow",
}
STRATEGY_CHOICES = list(STRATEGIES)

# BatchNorm handling while training; "auto" lets the session choose.
BN_MODES = {
    "frozen": "keep the pretrained BatchNorm statistics",
    "adapt": "BatchNorm statistics follow each training batch",
    "adabn": "re-estimate BatchNorm statistics on your images, then keep them",
}
BN_CHOICES = ["auto", *BN_MODES]

# Adaptation levers beside BatchNorm (see napari_finetune.training.objectives);
# several join with "+", e.g. "l2sp+mmd".
ADAPTATIONS = {
    "none": "no pull toward the start, no feature alignment: the BatchNorm choice alone",
    "l2sp": "pull pretrained weights back toward their start: guards against forgetting",
    "mmd": "align the encoder's features of your images with synthetic ones (MMD)",
    "dann": "a domain classifier the encoder learns to fool (gradient reversal)",
}
# What the dock and the command line offer: each lever, and L2-SP with each alignment.
ADAPTATION_CHOICES = ["none", "l2sp", "mmd", "dann", "l2sp+mmd", "l2sp+dann"]
# The switch for pseudo-labels on unpainted pixels, in words.
SEMI_SUPERVISED = (
    "also learn from unpainted pixels: a mean teacher's confident pseudo-labels, "
    "kept under the augmentations your preset allows"
)
# Whether a run learns from them: ``auto`` decides by the painting (on for strokes,
# whose classes rarely meet, on the start model's own head; off for boxes), ``on`` and
# ``off`` say so.
PSEUDO_LABEL_CHOICES = ("auto", "on", "off")
# ``fit``'s ``semi_supervised`` for each of them.
SEMI_SUPERVISED_OF = {"auto": "auto", "on": True, "off": False}

FOLD_IN = (
    "from the first epoch end past 60 % of the run (or when validation stops improving "
    "before that, then for a last stretch), the held-out strokes train too, from the "
    "weights validation kept; the score shown stays the one measured before they did"
)

# What a map handed to grain measurement holds (see napari_finetune.measure.instances).
KINDS = {
    "auto": "guess: floats probabilities, {0, v} a boundary mask, {1, 2} classes, else ids",
    "probabilities": "(K, rows, cols) class probabilities; the boundary class is taken",
    "boundary": "(rows, cols) boundary probability or mask in [0, 1]",
    "classes": "predicted or painted classes: 1 interior, 2 boundary",
    "boundaries": "a traced boundary mask: 1 (or any non-zero) on boundaries",
    "instances": "grains already labelled, one id each (0 = boundary or background)",
}

# How grains cut by the image frame are counted (see napari_finetune.measure.report).
BORDER_RULES = {
    "half": "grains cut by the frame count one half, corner grains one quarter (E112 Jeffries)",
    "exclude": "grains cut by the frame are left out, with their area (E1382 image analysis)",
    "include": "grains cut by the frame count fully (biased to more, smaller grains)",
}

# Sample-data keys of the npe2 manifest (napari.yaml), in the order `view` offers them.
SAMPLE_KEYS = (
    "painted",
    "equiaxed",
    "directional",
    "target_domain",
    "nist_steel",
    "twins",
    "second_phases",
    "tint_etch",
    "ebsd_ipf",
    "em_membranes",
)

# What runs the network for inference (see napari_finetune.inference.runtime).
BACKENDS = {
    "auto": "the fastest measured here: torch",
    "torch": "PyTorch, BatchNorm folded, channels-last",
    "onnxruntime": "ONNX Runtime's CPU execution provider (pip install onnxruntime)",
}

# Formats a model can be exported to (see napari_finetune.models.exporting).
EXPORT_FORMATS = {
    "onnx": "one .onnx file for any ONNX runtime; how to normalise is in its metadata",
    "bioimageio": "a BioImage.IO model package (.zip): deepImageJ, ilastik, QuPath, bioimage.io",
}

# Where training, prediction and uncertainty run (see napari_finetune.models.device).
DEVICES = {
    "auto": "a CUDA GPU if there is one, else Apple's MPS, else the CPU",
    "cpu": "the processor: always there, the tested default",
    "cuda": "an NVIDIA GPU (a CUDA build of PyTorch); cuda:1 for the second one",
    "mps": "Apple silicon's GPU (Metal Performance Shaders)",
}
DEVICE_CHOICES = list(DEVICES)


# What averaging the views does, said once for the dock's box and the command
# line's --average-views (inference/views.py; measured in the README).
AVERAGE_VIEWS_HELP = (
    "average each prediction over the mirrored and turned views the model's training "
    "allowed (up to 8, never one its augmentation preset forbids), at up to that many "
    "times the prediction time (4-7x measured for 8); for samples with no preferred "
    "direction: it helped EM membranes, SEM phases and models trained on strokes, and "
    "cost accuracy on grains elongated along one direction (README: Average flipped "
    "and rotated views)"
)


# The picture formats a report (``demo --output``) can be written as: matplotlib's
# raster and vector formats, named by the file's suffix (none: PNG).
REPORT_FORMATS = ("png", "jpg", "jpeg", "tif", "tiff", "webp", "pdf", "svg", "eps", "ps")


def report_format(name: str) -> str:
    """The format a report named ``name`` is written in; ValueError naming the file if none."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".")  # the file's own name
    suffix = base.rpartition(".")[2].lower() if "." in base else ""
    if not suffix:
        return "png"
    if suffix not in REPORT_FORMATS:
        raise ValueError(
            f"report {name}: .{suffix} is not a picture format; "
            f"name it .png, .pdf or .svg (or one of {', '.join(REPORT_FORMATS)})."
        )
    return suffix
