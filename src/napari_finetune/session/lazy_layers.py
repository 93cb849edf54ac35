"""*Predict* on images larger than memory: which layers go band by band, and where results go.

An image layer whose data reads only what is sliced (a Dask or Zarr array, a
memory-mapped file, or several levels of a multiscale image) is predicted
band by band by :func:`~napari_finetune.inference.lazy.predict_bands`, into a
Zarr store on disk, instead of being read whole into memory with its
probabilities beside it (:func:`is_lazy`). So is an image held in memory
that is as large as :data:`LAZY_PIXELS`: predicting it whole would take
about 16 bytes per pixel more (probabilities and their sums), over 1 GB.
A stack never goes band by band (the band path refuses it in words): a small
one is read and predicted whole, a deep one plane by plane
(:mod:`~napari_finetune.session.deep_stacks`).

The docks that read one plane whole (*Measure grains*, *Feature maps*) refuse
a plane of :data:`LAZY_PIXELS` or more in words naming the layer
(:func:`check_plane_fits`): the same size rule.

Where the store goes (:func:`plan_lazy_prediction`):

- an OME-Zarr image opened from disk (NGFF 0.4 or 0.5, a store the user may
  write to): beside the image, as the label image ``<store>/labels/prediction``
  (``prediction-2``... when taken), which OME-Zarr viewers list with the image;
- an image read from a file or a Zarr store: a new store next to it,
  ``<name>_prediction.zarr`` (``_prediction-2.zarr``...);
- anything else (a Dask array made in a script, a folder the user may not
  write to): a new store ``<layer>_prediction.zarr`` in
  :func:`prediction_folder`.

Decisions and words only (no Qt): the dock shows them,
:mod:`~napari_finetune.session.lazy_run` runs the prediction.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from napari_finetune.batch.status import time_left
from napari_finetune.data.channel_axis import without_grey_axis
from napari_finetune.inference.predict import OVERLAP, TILE
from napari_finetune.inference.tiling import tile_starts
from napari_finetune.session.lazy_rule import (  # the size rule, used here and by the docks
    LARGE_PLANE_ADVICE,
    LAZY_PIXELS,
    check_plane_fits,
    is_lazy,
)

__all__ = [
    "FOLDER_VARIABLE",
    "LABEL_NAME",
    "LARGE_PLANE_ADVICE",
    "LAZY_PIXELS",
    "LazyPlan",
    "check_plane_fits",
    "is_lazy",
    "plan_lazy_prediction",
    "prediction_folder",
]

FOLDER_VARIABLE = "NAPARI_FINETUNE_PREDICTIONS_DIR"
LABEL_NAME = "prediction"


def prediction_folder() -> Path:
    """Where stores with no better place go: ``$NAPARI_FINETUNE_PREDICTIONS_DIR``, else the user's.

    ``predictions`` in the user data folder, beside the autosaves: a folder the
    user can find; the variable lets tests point it at a temporary folder.
    """
    if os.environ.get(FOLDER_VARIABLE):
        return Path(os.environ[FOLDER_VARIABLE]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("napari-finetune", appauthor=False)) / "predictions"


@dataclass(frozen=True)
class LazyPlan:
    """What a band-by-band *Predict* reads, where it writes, and how long it is.

    Attributes
    ----------
    layer : str
        The image layer's name.
    image : array-like or Path
        What :func:`~napari_finetune.inference.lazy.predict_bands` reads: the
        layer's finest level (leading axes of length 1 and a grey channel axis
        of 1 dropped), or the path of the OME-Zarr store it was opened from.
    output : Path or None
        The new store; None when the labels go beside the OME-Zarr image.
    label_name : str
        The label image's name beside an OME-Zarr image.
    location : Path
        Where the result is: the new store, or ``<store>/labels/<label_name>``.
    rows, cols : int
        The image's size.
    bands : int
        Bands of rows the prediction takes (one event each).
    placement : dict
        The image layer's ``scale``, ``translate`` and ``units`` of its last two
        axes, kept in the store so that it reopens where the image is (may be empty).
    """

    layer: str
    image: object
    output: Path | None
    label_name: str
    location: Path
    rows: int
    cols: int
    bands: int
    placement: dict = field(default_factory=dict)

    @property
    def beside_image(self) -> bool:
        """Whether the labels go beside an OME-Zarr image, in its store."""
        return self.output is None


def plan_lazy_prediction(
    name: str,
    data: object,
    *,
    rgb: bool = False,
    source: str | Path | None = None,
    folder: str | Path | None = None,
    placement: dict | None = None,
) -> LazyPlan:
    """Decide what to read and where to write for a band-by-band *Predict* (see the module).

    Reads no pixels: at most the metadata of the OME-Zarr store ``source``.

    Parameters
    ----------
    name : str
        The image layer's name.
    data : array-like
        The layer's data, its finest level when multiscale.
    rgb : bool
        Whether the last axis holds colour channels.
    source : str or Path, optional
        The file or store the layer was opened from (napari's ``layer.source.path``).
    folder : str or Path, optional
        Where stores with no better place go (default :func:`prediction_folder`).
    placement : dict, optional
        The layer's ``scale``, ``translate`` and ``units`` (its last two axes),
        recorded in the store (:mod:`~napari_finetune.session.prediction_store`).

    Returns
    -------
    LazyPlan
        Shapes are not checked here: the prediction's first step refuses a
        stack or an image the model cannot take, in the core's words.
    """
    place = _file_of(data) or (Path(source) if source else None)
    # (rows, cols, 1) is one grey image, as predict reads it: a view without that axis.
    data = without_grey_axis(_without_leading_ones(data, rgb))
    spatial = tuple(data.shape[:-1] if rgb else data.shape)
    rows, cols = spatial[-2:] if len(spatial) >= 2 else (0, 0)
    bands = len(tile_starts(rows, TILE, OVERLAP)) if rows else 0
    store = _ome_store(source, (rows, cols), rgb)
    if store is not None:
        label = _fresh(lambda n: store / "labels" / n, LABEL_NAME)
        location = store / "labels" / label
        return LazyPlan(
            name, store, None, label, location, rows, cols, bands, dict(placement or {})
        )
    if place is not None and _writable(place.parent):
        base = f"{_stem(place.name)}_prediction"
        output = place.parent / f"{_fresh(lambda n: place.parent / f'{n}.zarr', base)}.zarr"
    else:
        home = Path(folder) if folder is not None else prediction_folder()
        home.mkdir(parents=True, exist_ok=True)
        base = f"{_safe(name)}_prediction"
        output = home / f"{_fresh(lambda n: home / f'{n}.zarr', base)}.zarr"
    return LazyPlan(
        name, data, output, LABEL_NAME, output, rows, cols, bands, dict(placement or {})
    )


def _without_leading_ones(data: object, rgb: bool) -> object:
    """A view without leading axes of length 1 (a 2D image opened as ``(1, rows, cols)``)."""
    spatial = 3 if rgb else 2
    if len(data.shape) <= spatial or data.shape[0] != 1:
        return data
    if not isinstance(data, np.ndarray) and not hasattr(data, "dask"):
        # Indexing a Zarr array reads it; a Dask view over it reads nothing yet.
        import dask.array as da

        data = da.from_array(data, chunks=getattr(data, "chunks", "auto"))
    while len(data.shape) > spatial and data.shape[0] == 1:
        data = data[0]
    return data


def _ome_store(source: str | Path | None, shape: tuple[int, int], rgb: bool) -> Path | None:
    """The OME-Zarr store the layer was opened from, if labels can be written beside it.

    Only when the store holds this layer's image: its size, and colour only for
    an RGB layer (napari-ome-zarr opens each channel of a colour store as a grey
    layer of the same path; predicting the store would predict the colour image).
    """
    if source is None:
        return None
    from napari_finetune.batch.ome_zarr import is_ome_zarr, open_ome_zarr

    path = Path(source)
    if not is_ome_zarr(path) or not _writable(path):
        return None
    try:
        image = open_ome_zarr(path)
    except ValueError:  # a plain Zarr array, or metadata this reader does not take
        return None
    # Only a 0.4/0.5 image of this very size: the layer may be one image of several.
    arranged = tuple(image.data.shape)  # (rows, cols), (rows, cols, 3) or (planes, rows, cols)
    colour = len(arranged) == 3 and arranged[-1] in (3, 4)
    if image.version not in ("0.4", "0.5") or (arranged[:2] if colour else arranged[-2:]) != shape:
        return None
    if colour != rgb:
        return None
    return path


def _file_of(data: object) -> Path | None:
    """The file or Zarr store an array reads from, when it says (memory maps, zarr arrays)."""
    filename = getattr(data, "filename", None)
    if filename:
        return Path(filename)
    root = getattr(getattr(data, "store", None), "root", None)
    return Path(root) if root is not None else None


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


def _stem(filename: str) -> str:
    """``grains`` of ``grains.ome.zarr``, ``grains.tif``, ``grains.zarr``."""
    stem = Path(filename).stem if "." in filename else filename
    return stem.removesuffix(".ome") or "image"


def _safe(name: str) -> str:
    """A layer name as a file name: letters, digits, ``.``, ``-`` and ``_`` kept."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "image"


def _fresh(path_of: Callable[[str], Path], base: str) -> str:
    """``base``, else ``base-2``, ``base-3``...: the first name whose path does not exist."""
    name, k = base, 1
    while path_of(name).exists():
        k += 1
        name = f"{base}-{k}"
    return name


# -- what the status line says -------------------------------------------------------


def where(plan: LazyPlan) -> str:
    """Where the result goes, in words: beside the OME-Zarr image, or the new store."""
    if plan.beside_image:
        return f"{plan.location} (labels beside the image)"
    return f"the new store {plan.location}"


def started(plan: LazyPlan) -> str:
    """Before the first band: what is predicted, in how many bands, into where."""
    return (
        f"Predicting '{plan.layer}' ({plan.rows} × {plan.cols} px) band by band "
        f"({plan.bands} bands, read as it goes) into {where(plan)}…"
    )


def progress(plan: LazyPlan, bands_done: int, seconds_left: float) -> str:
    """Beside the progress bar and in the status line: bands done and the time left."""
    return f"Predict '{plan.layer}': {bands_done}/{plan.bands} bands, {time_left(seconds_left)}"


def finished(plan: LazyPlan, predicted_words: str) -> str:
    """The run is complete: which model predicted (``predicted``'s words), and where it is."""
    return f"{predicted_words} Labels in {where(plan)}."


def stopped(plan: LazyPlan, bands_done: int, rows_done: int) -> str:
    """Stop was clicked: what the store holds (complete rows from the top), and where."""
    return (
        f"Prediction of '{plan.layer}' stopped after {bands_done} of {plan.bands} bands: "
        f"rows 0 to {rows_done} are in {where(plan)}, marked incomplete."
    )
