"""What a larger-than-memory prediction checks and records before its first band and after.

Shared by the band-by-band run of one image (:mod:`~napari_finetune.inference.lazy`)
and the plane-by-plane run of a stack (:mod:`~napari_finetune.inference.lazy_stack`).
"""

from __future__ import annotations

import numpy as np

from napari_finetune.data.painted import MIN_SIDE
from napari_finetune.inference.lazy_io import LazyOutput, LazySource
from napari_finetune.inference.predict import as_planes
from napari_finetune.models.model import SegmentationModel


def run_state(
    model: SegmentationModel,
    source: LazySource,
    tile: int,
    overlap: int,
    views: tuple,
    layer: dict | None,
) -> dict:
    """The store's ``napari_finetune`` attributes as the run starts (see lazy_io)."""
    rows, cols = source.plane_shape
    state = {
        "complete": False,
        "rows_done": 0,
        "rows": rows,
        "cols": cols,
        "tile": tile,
        "overlap": overlap,
        "classes": {str(k): name for k, name in model.classes.items()},
        "n_classes": model.n_classes,
        "normalization": model.normalization.to_dict(),
        "views": len(views),
    }
    if layer:
        state["layer"] = dict(layer)
    elif source.ome is not None:  # a store of its own keeps the image's µm scale and offset
        from napari_finetune.session.store_placement import ome_placement

        axes = 2 if source.planes is None else 3  # a z-stack's plane spacing too
        state["layer"] = ome_placement(source.ome.multiscales, axes)
    return state


def check_for_model(model: SegmentationModel, source: LazySource) -> None:
    """ValueError unless the model takes this image or stack (grey or RGB, size), as predict."""
    array = source.array
    rows, cols = source.plane_shape
    what = "image" if source.planes is None else "each plane of the stack"
    if min(rows, cols) < MIN_SIDE:
        raise ValueError(
            f"{what} is {rows} × {cols} px: the model needs at least {MIN_SIDE} px per side."
        )
    lead = () if source.planes is None else (0,)
    probe = np.asarray(array[(*lead, slice(0, MIN_SIDE), slice(0, MIN_SIDE))])
    try:
        as_planes(model, probe)  # the model's own checks: dtype, grey against RGB
    except ValueError as err:  # said of the image, not of the corner read to check it
        raise ValueError(str(err).replace(str(probe.shape), str(tuple(array.shape)))) from None


def finish_output(target: LazyOutput, source: LazySource, output: object, label_name: str) -> None:
    """Fill the coarser levels of labels beside an OME-Zarr image, then mark the store complete."""
    if source.ome is not None and output is None:
        import dask

        from napari_finetune.batch.ome_zarr_labels import fill_pyramid

        # The label store is this machine's: filled here even when a Dask client
        # is the default scheduler.
        with dask.config.set(scheduler="threads"):
            fill_pyramid(source.ome, label_name)
    target.mark(complete=True)
