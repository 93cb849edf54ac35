"""npe2 sample-data commands: thin wrappers that style the core's arrays as layers.

Each command returns napari layer-data tuples ``(data, kwargs, layer_type)``.
:func:`grain_layer_data` is shared with the *Synthetic grains* widget so that a
generated sample looks exactly like an opened one.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from skimage.io import imread

from napari_finetune.synth import GrainSample, voronoi_grains
from napari_finetune.synth.ipf import ipf_map
from napari_finetune.synth.membranes import ORGANELLE_NAMES, em_membranes
from napari_finetune.synth.phase_classes import REGION_NAMES
from napari_finetune.synth.phases import second_phases
from napari_finetune.synth.strokes import paint_strokes
from napari_finetune.synth.tint_etch import tint_etch
from napari_finetune.synth.twins import annealing_twins

LayerData = tuple[Any, dict[str, Any], str]

# Amber boundaries and cyan/magenta painted classes stay distinct from each
# other and from the grey micrograph, also for red-green colour-blind users.
BOUNDARY_COLOUR = "#ffb000"
INTERIOR_COLOUR = "#00c8ff"
PAINTED_BOUNDARY_COLOUR = "#ff2ec4"
# A class the user adds beyond 2 still shows, in a colour of its own.
EXTRA_CLASS_COLOUR = "#b6ff00"
# Twin boundaries, second phases and organelles: two more hues, apart from amber.
TWIN_BOUNDARY_COLOUR = "#2dd4ff"
REGION_COLOURS = {2: "#d62dff", 3: "#2dd4ff"}  # precipitate, lamellar colony
ORGANELLE_COLOURS = {1: "#2dd4ff", 2: "#d62dff"}  # mitochondrion, vesicle

CLASS_NAMES = {0: "unpainted", 1: "grain interior", 2: "boundary"}
SAMPLE_SHAPE = (512, 512)


def truth_metadata(what: str) -> dict[str, Any]:
    """Marks a sample's exact answer (not a painting): never picked by default to learn from."""
    return {"napari_finetune": {"truth": what}}


def sample_data_dir() -> Path:
    """Folder of the shipped example files (inside the installed package)."""
    packaged = Path(str(resources.files("napari_finetune"))) / "sample_data"
    if packaged.is_dir():
        return packaged
    # Editable install: the files stay at the top of the source tree.
    return Path(__file__).resolve().parents[2] / "sample_data"


def image_layer(image: np.ndarray, name: str, **extra: Any) -> LayerData:
    """A grey image layer with contrast limits that ignore noise outliers."""
    lo, hi = np.percentile(image, (0.5, 99.5))
    kwargs = {"name": name, "colormap": "gray", "contrast_limits": (float(lo), float(hi))}
    return image, kwargs | extra, "image"


def boundaries_layer(boundaries: np.ndarray, name: str, **extra: Any) -> LayerData:
    """A Labels layer showing boundary pixels (value 1) in one bright colour."""
    kwargs = {
        "name": name,
        "colormap": {1: BOUNDARY_COLOUR, None: "transparent"},
        "opacity": 0.6,
        "features": {"index": [0, 1], "class": ["grain", "boundary"]},
        "metadata": truth_metadata("boundaries"),
    }
    return boundaries, kwargs | extra, "labels"


def painted_layer(painted: np.ndarray, name: str) -> LayerData:
    """A Labels layer for sparse painted classes (0 unpainted, 1 interior, 2 boundary)."""
    kwargs = {
        "name": name,
        "colormap": {
            1: INTERIOR_COLOUR,
            2: PAINTED_BOUNDARY_COLOUR,
            None: EXTRA_CLASS_COLOUR,
            0: "transparent",
        },
        "opacity": 1.0,
        "features": {"index": list(CLASS_NAMES), "class": list(CLASS_NAMES.values())},
    }
    return painted, kwargs, "labels"


def grain_layer_data(
    sample: GrainSample, name: str, painted: np.ndarray | None = None
) -> list[LayerData]:
    """Layers for a synthetic sample: image, grain ids, boundaries, optional strokes.

    Parameters
    ----------
    sample : GrainSample
        Output of :func:`napari_finetune.voronoi_grains`.
    name : str
        Name of the image layer; label layers are named after it.
    painted : numpy.ndarray, optional
        Sparse painted labels to add as ``'<name> painted'``. When given, the
        exact labels are left out: the point of that sample is to train on
        strokes, not on the answer.

    Returns
    -------
    list of tuple
        napari layer-data tuples.
    """
    provenance = {"napari_finetune": {"synthetic": asdict(sample.params)}}
    layers = [image_layer(sample.image, name, metadata=provenance)]
    if painted is not None:
        return [*layers, painted_layer(painted, f"{name} painted")]
    ids = (
        sample.grains,
        {
            "name": f"{name} ids",
            "opacity": 0.25,
            "visible": False,
            "metadata": truth_metadata("grain ids"),
        },
        "labels",
    )
    return [*layers, ids, boundaries_layer(sample.boundaries, f"{name} boundaries")]


def equiaxed_grains() -> list[LayerData]:
    """Equiaxed polycrystal with exact grain ids and boundaries."""
    sample = voronoi_grains(SAMPLE_SHAPE, 60, seed=1)
    return grain_layer_data(sample, "equiaxed grains")


def directional_grains() -> list[LayerData]:
    """Columnar grains from directional solidification (gradient along y)."""
    sample = voronoi_grains(SAMPLE_SHAPE, 40, morphology="elongated", elongation=3.5, seed=2)
    return grain_layer_data(sample, "columnar grains")


def target_domain_grains() -> list[LayerData]:
    """Grains rendered like a real SEM: scan-line jitter, vignetting and drift."""
    sample = voronoi_grains(SAMPLE_SHAPE, 60, dose=20.0, target_domain=True, seed=3)
    return grain_layer_data(sample, "SEM grains")


def painted_grains() -> list[LayerData]:
    """Grains plus a few hand-like brush strokes, ready for *Fine-tune*."""
    sample = voronoi_grains(SAMPLE_SHAPE, 60, seed=0)
    return grain_layer_data(sample, "grains", painted=paint_strokes(sample, seed=0))


def nist_steel() -> list[LayerData]:
    """Etched ferritic steel (optical) with hand-traced boundaries; courtesy of NIST."""
    folder = sample_data_dir() / "nist_steel"
    image = imread(folder / "image.png")
    boundaries = (imread(folder / "boundary_label.png") > 0).astype(np.uint8)
    calibration = {"scale": (0.2252, 0.2252), "units": "µm"}
    source = {
        "napari_finetune": {
            "source": "NIST, usnistgov/grain-size-analysis-tools (ex_segmentation/optical_etched)",
            "licence": str(folder / "LICENSE-NIST.md"),
        }
    }
    return [
        image_layer(image, "NIST steel", metadata=source, **calibration),
        boundaries_layer(boundaries, "NIST steel boundaries", **calibration),
    ]


def synthetic_provenance(params: dict[str, Any]) -> dict[str, Any]:
    """Layer metadata recording the arguments that regenerate a synthetic sample."""
    return {"napari_finetune": {"synthetic": params}}


def colour_image_layer(image: np.ndarray, name: str, **extra: Any) -> LayerData:
    """An RGB image layer (``(rows, cols, 3)`` floats in [0, 1])."""
    return image, {"name": name, "rgb": True, "contrast_limits": (0.0, 1.0)} | extra, "image"


def ids_layer(ids: np.ndarray, name: str, what: str = "grain ids") -> LayerData:
    """A hidden Labels layer of exact instance ids, marked as truth."""
    kwargs = {"name": name, "opacity": 0.25, "visible": False, "metadata": truth_metadata(what)}
    return ids, kwargs, "labels"


def classes_layer(
    classes: np.ndarray, name: str, names: dict[int, str], colours: dict[int, str], what: str
) -> LayerData:
    """A Labels layer of exact classes (codes and names in ``features``), marked as truth."""
    kwargs = {
        "name": name,
        "colormap": colours | {0: "transparent", None: EXTRA_CLASS_COLOUR},
        "opacity": 0.6,
        "features": {"index": list(names), "class": list(names.values())},
        "metadata": truth_metadata(what),
    }
    return classes, kwargs, "labels"


def twinned_grains() -> list[LayerData]:
    """Annealed grains with twin bands; twin boundaries in a layer of their own."""
    s = annealing_twins(SAMPLE_SHAPE, 40, seed=4)
    twin_boundaries = boundaries_layer(
        s.twin_boundaries,
        "twinned grains twin boundaries",
        colormap={1: TWIN_BOUNDARY_COLOUR, None: "transparent"},
        features={"index": [0, 1], "class": ["not twin boundary", "twin boundary"]},
        metadata=truth_metadata("twin boundaries"),
    )
    return [
        image_layer(s.image, "twinned grains", metadata=synthetic_provenance(s.params)),
        ids_layer(s.grains, "twinned grains ids"),
        boundaries_layer(s.boundaries, "twinned grains boundaries"),
        twin_boundaries,
    ]


def second_phase_grains() -> list[LayerData]:
    """Grains with cuboid precipitates and lamellar colonies; region classes as labels."""
    s = second_phases(SAMPLE_SHAPE, 25, seed=5)
    # The exact codes (1 matrix, 2 precipitate, 3 colony); matrix is drawn
    # transparent so the layer shows where the second phases are.
    colours = {1: "transparent"} | REGION_COLOURS
    return [
        image_layer(s.image, "second phases", metadata=synthetic_provenance(s.params)),
        ids_layer(s.grains, "second phases ids"),
        boundaries_layer(s.boundaries, "second phases boundaries"),
        classes_layer(s.regions, "second phases regions", REGION_NAMES, colours, "region classes"),
    ]


def tint_etched_grains() -> list[LayerData]:
    """Colour tint-etched grains (RGB): a colour per grain, faint grooves."""
    s = tint_etch(SAMPLE_SHAPE, 60, groove_strength=0.15, seed=6)
    return [
        colour_image_layer(s.image, "tint-etched grains", metadata=synthetic_provenance(s.params)),
        ids_layer(s.grains, "tint-etched grains ids"),
        boundaries_layer(s.boundaries, "tint-etched grains boundaries"),
    ]


def ebsd_ipf_map() -> list[LayerData]:
    """EBSD-like orientation map in cubic IPF-Z colours (train with the 'ebsd' preset)."""
    s = ipf_map(SAMPLE_SHAPE, 60, seed=7)
    meta = synthetic_provenance(s.params)
    meta["napari_finetune"]["preset"] = s.preset
    return [
        colour_image_layer(s.image, "EBSD IPF map", metadata=meta),
        ids_layer(s.grains, "EBSD IPF map ids"),
        boundaries_layer(s.boundaries, "EBSD IPF map boundaries"),
    ]


def em_membrane_cells() -> list[LayerData]:
    """EM-like cells: membranes (class 2) and organelles, which are not membrane."""
    s = em_membranes(SAMPLE_SHAPE, 30, seed=8)
    membranes = boundaries_layer(
        s.membranes,
        "EM cells membranes",
        features={"index": [0, 1], "class": ["cell", "membrane"]},
        metadata=truth_metadata("membranes"),
    )
    return [
        image_layer(s.image, "EM cells", metadata=synthetic_provenance(s.params)),
        ids_layer(s.cells, "EM cells ids", "cell ids"),
        membranes,
        classes_layer(
            s.organelles, "EM cells organelles", ORGANELLE_NAMES, ORGANELLE_COLOURS, "organelles"
        ),
    ]
