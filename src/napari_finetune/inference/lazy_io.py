"""Where a larger-than-memory prediction reads from and writes to, checked before any work.

The input is any array that slices lazily (a dask or zarr array, a
``numpy.memmap`` or ``tifffile.memmap``, or a plain NumPy array), the path of
a TIFF (:mod:`~napari_finetune.data.lazy_tiff`), or the path of a Zarr store:
a plain Zarr array, or an OME-Zarr image. The output is a new
Zarr store (a path that does not exist yet, or a ``zarr.Group``):

- ``labels``: uint8 ``(rows, cols)``, chunks of ``chunk × chunk``, 0 where not
  predicted yet (predicted classes are 1..K);
- ``probabilities`` (on request): float32 ``(K, rows, cols)``, chunks of
  ``1 × chunk × chunk``, channel k the probability of class k + 1, NaN where
  not predicted yet;
- ``uncertainty`` (on request): float32 ``(rows, cols)`` in [0, 1], chunks of
  ``chunk × chunk``, the normalised entropy (higher = less sure), NaN where not
  predicted yet;
- attributes ``napari_finetune``: ``complete`` (false until the last band is
  written), ``rows_done`` (rows written so far, from the top), tiling,
  classes, the normalisation used and ``views`` (how many flipped and rotated
  views each tile averaged, 1 when none); from the viewer also ``layer``, the
  image layer's name and placement (reopened by
  :mod:`~napari_finetune.session.prediction_store`).

A stack ``(planes, rows, cols[, C])`` gets its planes before the rows in every
array (``labels`` ``(planes, rows, cols)``, ``probabilities`` ``(K, planes,
rows, cols)``, one plane a chunk) and ``planes`` / ``planes_done`` in its
attributes, ``rows_done`` then counting the rows of the plane under way
(:mod:`~napari_finetune.inference.lazy_stack`).

For an OME-Zarr input and no ``output``, the labels go beside the image as the
label image ``<store>/labels/<name>/`` (:mod:`~napari_finetune.batch.ome_zarr_labels`),
the probabilities and the uncertainty, if asked for, as the extra arrays
``probabilities`` and ``uncertainty`` in it (beside its levels ``0``, ``1``, ...:
NGFF readers list a label image's arrays from its ``multiscales`` metadata and
pass over others). Either way ``<output>/uncertainty`` is the uncertainty, with
``<output>`` the location :class:`~napari_finetune.inference.lazy_events.PredictionWritten`
gives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from napari_finetune.batch.ome_zarr import OmeImage, is_ome_zarr, open_ome_zarr
from napari_finetune.data.channel_axis import channel_count, without_grey_axis
from napari_finetune.data.lazy_tiff import is_tiff, open_tiff_lazily_calibrated


@dataclass
class LazySource:
    """The image to predict: ``array`` ``(rows, cols)`` or ``(rows, cols, C)``, and where it is.

    ``data_bar_rows``: the rows of an FEI/Thermo SEM's data bar at the bottom
    of a TIFF (:mod:`~napari_finetune.data.calibration`). They are predicted with
    the rest, but left out of the percentiles the image is normalised by, so that
    the specimen is normalised as the viewer and a folder run normalise it.
    """

    array: object
    location: Path | None = None
    ome: OmeImage | None = None
    data_bar_rows: int = 0

    @property
    def planes(self) -> int | None:
        """The number of planes of a stack ``(planes, rows, cols[, C])``; None for one image."""
        shape = tuple(self.array.shape)
        colour = len(shape) in (3, 4) and shape[-1] in (3, 4)
        spatial = shape[:-1] if colour else shape
        return int(spatial[0]) if len(spatial) == 3 else None

    @property
    def plane_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of one image, or of one plane of a stack."""
        shape = tuple(self.array.shape)
        start = 1 if self.planes is not None else 0
        return int(shape[start]), int(shape[start + 1])


def open_source(image: object) -> LazySource:
    """The lazily sliced array behind ``image`` (see the module), and its file or store.

    A grey image with a channel axis of 1, ``(rows, cols, 1)``, comes as
    ``(rows, cols)`` (:func:`~napari_finetune.data.channel_axis.without_grey_axis`),
    still read only where it is sliced.

    Raises
    ------
    ValueError
        For an object that is not an array, a path that is not a Zarr store,
        a 1-D array, a 4-D array that is not a colour stack, or a
        two-channel image.
    """
    if isinstance(image, str | os.PathLike) and is_tiff(image):
        # Pixels and the data bar's tags from one open of the file (parsed once).
        array, found = open_tiff_lazily_calibrated(image)
        source = LazySource(array, Path(image))
        source.data_bar_rows = found.data_bar_rows if found is not None else 0
    elif isinstance(image, str | os.PathLike):
        path = Path(image)
        if not is_ome_zarr(path):
            raise ValueError(
                f"image path {path} is neither a TIFF nor a Zarr store: open other files "
                "lazily yourself (dask) and pass the array."
            )
        import zarr

        try:
            node = zarr.open(str(path), mode="r")
        except Exception as err:  # a damaged store: name it, not zarr's internals
            raise ValueError(f"{path} cannot be read as a Zarr store: {err}") from None
        source = LazySource(node, path) if isinstance(node, zarr.Array) else _ome_source(path)
    else:
        source = LazySource(image, _location(image))
    array = source.array
    if not all(hasattr(array, name) for name in ("shape", "dtype", "__getitem__")):
        raise ValueError(
            f"image is a {type(array).__name__}, not an array: give a dask array, a zarr "
            "array, a numpy.memmap (or tifffile.memmap), or the path of a Zarr store."
        )
    # Grey with its channel axis, (rows, cols, 1), is grey, as predict reads it: a lazy view.
    array = source.array = without_grey_axis(array)
    if channel_count(array.shape) == 2:
        raise ValueError(
            f"image of shape {tuple(array.shape)} has 2 channels: give a grey or an RGB image."
        )
    if len(array.shape) not in (2, 3) and not (
        len(array.shape) == 4 and array.shape[-1] in (3, 4)
    ):
        raise ValueError(
            f"image of shape {tuple(array.shape)} is not a 2D image (rows, cols), an RGB "
            "image (rows, cols, 3) or a stack of either (planes, rows, cols[, 3])."
        )
    if np.dtype(array.dtype).kind not in "biuf":
        raise ValueError(f"image dtype {array.dtype} is not numeric: give integers or floats.")
    return source


def _ome_source(path: Path) -> LazySource:
    ome = open_ome_zarr(path)
    return LazySource(ome.data, path, ome)


def _location(image: object) -> Path | None:
    """The file or Zarr store an array reads from, when it says (memory maps, zarr arrays)."""
    filename = getattr(image, "filename", None)
    if filename:
        return Path(filename)
    root = getattr(getattr(image, "store", None), "root", None)
    return Path(root) if root is not None else None


@dataclass
class LazyOutput:
    """The arrays a prediction writes into, and the group that holds its state."""

    location: Path | None
    group: object
    labels: object
    probabilities: object | None = None
    uncertainty: object | None = None
    prefix: tuple[int, ...] = ()
    state: dict = field(default_factory=dict)
    plane: tuple[int, ...] = ()

    def write(
        self,
        y0: int,
        labels: np.ndarray,
        probabilities: np.ndarray,
        uncertainty: np.ndarray | None = None,
    ) -> None:
        """Write finished rows ``y0 .. y0 + len(labels)`` of every array the output holds.

        Into the plane :attr:`plane` of a stack (``(z,)``; ``()`` for one image),
        which the labels beside an OME-Zarr image find at :attr:`prefix`.
        """
        rows = slice(y0, y0 + labels.shape[0])
        self.labels[(*self.prefix, rows, slice(None))] = labels
        if self.probabilities is not None:
            self.probabilities[(slice(None), *self.plane, rows, slice(None))] = probabilities
        if self.uncertainty is not None:
            self.uncertainty[(*self.plane, rows, slice(None))] = uncertainty

    def mark(self, **values: object) -> None:
        """Update the ``napari_finetune`` attributes (``rows_done``, ``complete``)."""
        self.state.update(values)
        self.group.attrs["napari_finetune"] = self.state


def check_output(output: object, source: LazySource, label_name: str) -> None:
    """ValueError unless ``output`` can take a prediction of ``source``; nothing written.

    Run before the image is sampled or the model loaded (seconds to minutes on
    a large compressed image), and again by :func:`create_output`.
    """
    import zarr

    if output is None:
        if source.ome is None:
            raise ValueError(
                "output= is needed: a new Zarr store path (only an OME-Zarr input gets "
                "its labels beside the image)."
            )
        from napari_finetune.batch.ome_zarr_labels import check_new_labels

        check_new_labels(source.ome, label_name)
    elif isinstance(output, zarr.Group):
        for name in ("labels", "probabilities", "uncertainty"):
            if name in output:
                raise ValueError(
                    f"the output group has an array {name!r} already: predictions never "
                    "overwrite, give a new group or store."
                )
    elif isinstance(output, str | os.PathLike):
        path = Path(output)
        if path.exists():
            raise ValueError(
                f"output {path} exists: predictions never overwrite, give a new path."
            )
        if source.location is not None and _inside(path, source.location):
            raise ValueError(
                f"output {path} is inside the input {source.location}: it would write into "
                "the input's store; give a path outside it."
            )
    else:
        raise ValueError(
            f"output is a {type(output).__name__}: give the path of a new Zarr store or a "
            "zarr group."
        )


def create_output(
    output: object,
    source: LazySource,
    n_classes: int,
    chunk: int,
    probabilities: bool,
    label_name: str,
    state: dict,
    uncertainty: bool = False,
) -> LazyOutput:
    """Check ``output`` against the input and create the empty arrays (see the module).

    Raises
    ------
    ValueError
        When ``output`` exists, lies inside the input's store or file, is missing
        for an input that is not OME-Zarr, or is neither a path nor a zarr group.
    """
    import zarr

    check_output(output, source, label_name)
    if output is None:
        from napari_finetune.batch.ome_zarr_labels import create_labels, labels_path

        labels, prefix = create_labels(source.ome, label_name, n_classes, chunk, state)
        group = zarr.open_group(str(labels_path(source.ome, label_name)), mode="r+")
        target = LazyOutput(labels_path(source.ome, label_name), group, labels, prefix=prefix)
    elif isinstance(output, zarr.Group):
        target = LazyOutput(_location(output), output, None)
    else:
        path = Path(output)
        target = LazyOutput(path, zarr.open_group(str(path), mode="w-"), None)
    # A stack's arrays have its planes before the rows, one plane a chunk.
    lead = () if source.planes is None else (source.planes,)
    shape, chunks = (*lead, *source.plane_shape), (*(1,) * len(lead), chunk, chunk)
    if target.labels is None:
        target.labels = target.group.create_array(
            "labels", shape=shape, dtype="uint8", chunks=chunks, fill_value=0
        )
    if probabilities:
        target.probabilities = target.group.create_array(
            "probabilities",
            shape=(n_classes, *shape),
            dtype="float32",
            chunks=(1, *chunks),
            fill_value=float("nan"),
        )
    if uncertainty:
        target.uncertainty = target.group.create_array(
            "uncertainty", shape=shape, dtype="float32", chunks=chunks, fill_value=float("nan")
        )
    target.state = dict(state)
    target.mark()
    return target


def _inside(path: Path, container: Path) -> bool:
    path, container = path.resolve(), container.resolve()
    return path == container or container in path.parents
