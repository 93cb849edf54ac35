"""Which images are too large to read whole: *Predict* goes band by band, other docks refuse.

One size rule for the viewer (:mod:`~napari_finetune.session.lazy_layers`
says where such predictions go): an image layer whose data reads only what
is sliced (a Dask or Zarr array, a memory map, a multiscale image) is
predicted band by band, and so is an in-memory image of :data:`LAZY_PIXELS`
or more (predicting it whole would take about 16 bytes per pixel more); the
docks that read one plane whole refuse a plane that large in words
(:func:`check_plane_fits`). A stack of that many pixels in all is *deep*
(:func:`is_deep_stack`): it is read and predicted plane by plane
(:mod:`~napari_finetune.session.deep_stacks`), as is a multiscale stack of
any depth (:func:`goes_plane_by_plane`).
"""

from __future__ import annotations

import numpy as np

from napari_finetune.data.channel_axis import channel_count

# An in-memory image of this many pixels (8192 × 8192) is predicted band by band too.
LAZY_PIXELS = 8192 * 8192


def is_lazy(data: object, multiscale: bool = False, rgb: bool = False) -> bool:
    """Whether *Predict* reads this layer data band by band into a store (see the module).

    Parameters
    ----------
    data : array-like
        The layer's data (its finest level when multiscale).
    multiscale : bool
        Whether the layer is multiscale: its levels are meant to be read in parts.
    rgb : bool
        Whether the last axis holds colour channels.

    Returns
    -------
    bool
        For one image (leading axes of length 1 aside): True for multiscale
        data, memory maps and any array that is not a NumPy array in memory
        (Dask, Zarr...), and for a NumPy array of at least :data:`LAZY_PIXELS`
        pixels. For a stack: False; a deep or multiscale one is predicted
        plane by plane instead (:func:`goes_plane_by_plane`).
    """
    spatial = _spatial(data.shape, rgb)
    if multiscale:  # its levels are read in parts; a multiscale stack goes plane by plane
        return not goes_plane_by_plane(data.shape, multiscale, rgb)
    pixels = int(np.prod(spatial, dtype=np.int64))
    in_memory = isinstance(data, np.ndarray) and not isinstance(data, np.memmap)
    if len(spatial) <= 2:
        return not in_memory or pixels >= LAZY_PIXELS
    # A stack is predicted plane by plane: whole when small, one plane read at a
    # time when deep (session/deep_stacks.py), never into a band store.
    return False


def is_deep_stack(shape: tuple[int, ...], rgb: bool = False) -> bool:
    """Whether a stack is too deep to read or predict whole: :data:`LAZY_PIXELS` px in all.

    Its probabilities alone would take 4 bytes a pixel and class (0.5 GB for
    two classes at the threshold, 64 × 1024²; 48 GB for a 1000 × 2048² FIB-SEM
    run with three), so such a stack is read and predicted plane by plane
    (:mod:`~napari_finetune.session.deep_stacks`), in memory or not.

    Parameters
    ----------
    shape : tuple of int
        The shape of the image (or of its labels: the same spatial axes).
    rgb : bool
        Whether the last axis holds colour channels.

    Returns
    -------
    bool
        True for ``(planes, rows, cols)`` (a colour axis or a grey channel axis
        of 1 after them aside) of two planes or more and :data:`LAZY_PIXELS`
        pixels or more.
    """
    # Planes along the first axis only: (1, planes, rows, cols) is not taken for a stack,
    # and (1, rows, cols) is one image (band by band, :func:`is_lazy`).
    shape = tuple(shape)
    spatial = shape[:-1] if rgb or channel_count(shape) == 1 else shape
    pixels = int(np.prod(spatial, dtype=np.int64))
    return len(spatial) == 3 and spatial[0] > 1 and pixels >= LAZY_PIXELS


def goes_plane_by_plane(
    shape: tuple[int, ...], multiscale: bool = False, rgb: bool = False
) -> bool:
    """Whether *Predict* reads this stack one plane at a time (labels 1 byte a pixel).

    A deep stack (:func:`is_deep_stack`), and a multiscale stack of any depth
    (an OME-Zarr z-stack opened from disk: its full resolution is read one
    plane at a time, never whole, and a band store holds one image), leading
    axes of length 1 aside (napari-ome-zarr opens a ``(t, c, z, y, x)``
    z-stack as ``(1, planes, rows, cols)``: :func:`stack_lead`).

    Parameters
    ----------
    shape : tuple of int
        The shape of the layer's data (its finest level when multiscale).
    multiscale : bool
        Whether the layer is multiscale.
    rgb : bool
        Whether the last axis holds colour channels.
    """
    if is_deep_stack(shape, rgb):
        return True
    spatial = _spatial(tuple(shape), rgb)
    return multiscale and len(spatial) == 3 and spatial[0] > 1


def stack_lead(shape: tuple[int, ...], rgb: bool = False) -> int:
    """How many axes of length 1 come before a stack's planes: 1 for ``(1, planes, rows, cols)``.

    0 for ``(planes, rows, cols)`` (a colour axis or a grey channel axis of 1
    after them aside).
    """
    shape = tuple(shape)
    full = shape[:-1] if rgb or channel_count(shape) == 1 else shape
    return len(full) - len(_spatial(shape, rgb))


def _spatial(shape: tuple[int, ...], rgb: bool) -> tuple[int, ...]:
    """The spatial axes of a layer's shape, leading axes of length 1 dropped.

    Without its colour axis, or its channel axis of 1: ``(rows, cols, 1)`` is
    one grey image, as predict reads it (:mod:`~napari_finetune.data.channel_axis`).
    """
    spatial = tuple(shape[:-1] if rgb or channel_count(shape) == 1 else shape)
    while len(spatial) > 2 and spatial[0] == 1:
        spatial = spatial[1:]
    return spatial


# What the docks that read one plane whole suggest for a plane too large for them.
LARGE_PLANE_ADVICE = {
    "measure": (
        "measure large images from their files, outside the viewer: "
        "`napari-finetune predict --measure` or `predict_folder(..., measure=True)`."
    ),
    "train": (
        "train on a crop of it: add the part you painted as a new image layer, e.g. "
        "`viewer.add_image(layer.data[:4096, :4096])`, with the same crop of the painting; "
        "Predict then runs on the whole image band by band."
    ),
    "predict": (
        "predict it plane by plane, each band by band, into a Zarr store from Python, "
        "`nf.predict_lazy(model, layer.data, 'stack_prediction.zarr')` (`layer.data[0]` for "
        "a multiscale layer), or from a terminal, `napari-finetune predict-large` on its file; "
        "or add a crop of the stack as a new layer."
    ),
    "feature maps": (
        "add a crop of it as a new layer (a few thousand pixels a side), e.g. "
        "`viewer.add_image(layer.data[:2048, :2048])`, and look at that."
    ),
}


def check_plane_fits(shape: tuple[int, ...], what: str, *, rgb: bool = False) -> None:
    """Refuse a plane too large for a dock that reads one plane whole.

    The rule is :func:`is_lazy`'s: a plane of :data:`LAZY_PIXELS` pixels or
    more is read band by band, never whole (the read alone would take much of
    the viewer's memory, and the work on it far more).

    Parameters
    ----------
    shape : tuple of int
        The shape of the layer's data (its finest level when multiscale).
    what : {'measure', 'train', 'predict', 'feature maps'}
        The dock asking: says what to do instead (:data:`LARGE_PLANE_ADVICE`).
    rgb : bool
        Whether the last axis holds colour channels.

    Raises
    ------
    ValueError
        For a plane of at least :data:`LAZY_PIXELS` pixels: its size and what
        to do instead, worded to follow the layer's name (``"layer 'x': "``),
        which the dock puts first.
    """
    spatial = _spatial(shape, rgb)
    if len(spatial) < 2:
        return  # not an image: the dock's own checks say why
    rows, cols = spatial[-2:]
    if rows * cols >= LAZY_PIXELS:
        side = int(np.sqrt(LAZY_PIXELS))
        raise ValueError(
            f"its planes are {rows} × {cols} px, too large to read whole here (planes of "
            f"{side} × {side} px or more are only read band by band). Instead, "
            f"{LARGE_PLANE_ADVICE[what]}"
        )
