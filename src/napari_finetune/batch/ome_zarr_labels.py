"""Labels beside an OME-Zarr image: ``<store>/labels/<name>/``, written with zarr's own API.

The NGFF specification (0.4 and 0.5, section "labels") asks for: a ``labels``
group under the image whose attributes list the label images; in it, one
multiscale image per name, with as many levels (datasets) as the image and the
same coordinate transformations, integer data, and ``image-label`` metadata
pointing back at the image (``"source": {"image": "../../"}``). NGFF 0.5
keeps all of it under the ``ome`` key of a Zarr v3 store; 0.4 at the top of
the attributes of a Zarr v2 store, arrays with ``/`` as chunk-key separator.

Why not the ``ome-zarr`` package: its releases for Python 3.11 (0.18) pull in
s3fs, botocore and aiohttp, and its newest metadata models pin an older
pydantic than the one bioimageio.spec runs with here; the metadata is a few
keys, written here and read back by the tests.

The label image has the image's axes; the channel axis, if any, has length 1
(one label per pixel). Levels are created empty (0, "not predicted") when
the run starts, so that a store stopped part-way is still a valid OME-Zarr
label image; :func:`fill_pyramid` fills the lower levels from the full
resolution (nearest: every ``f``-th pixel) when all bands are written.
"""

from __future__ import annotations

from pathlib import Path

from napari_finetune.batch.ome_zarr import OmeImage, axis_names
from napari_finetune.class_roles import names_by_value

# Colours of classes 1..K in napari-ome-zarr and other viewers (RGBA, 0-255);
# more classes than colours reuse them.
_COLOURS = [
    (255, 200, 0, 255),
    (220, 30, 60, 255),
    (30, 120, 255, 255),
    (40, 200, 80, 255),
    (150, 80, 220, 255),
    (0, 200, 200, 255),
    (240, 120, 20, 255),
    (230, 90, 180, 255),
    (140, 140, 140, 255),
    (120, 80, 30, 255),
]


def labels_path(image: OmeImage, name: str) -> Path:
    """Where the label image ``name`` of ``image`` lives: ``<store>/labels/<name>``."""
    return image.path / "labels" / name


def check_new_labels(image: OmeImage, name: str) -> None:
    """ValueError unless the label image ``name`` can be written beside ``image``.

    It must not exist (predictions never overwrite), and the store's NGFF
    version must have axes (0.4 or 0.5). Nothing is written.
    """
    if image.version not in ("0.4", "0.5"):
        raise ValueError(
            f"{image.path.name} is OME-Zarr {image.version}: labels are written beside "
            "NGFF 0.4 and 0.5 images only; give output= (a new Zarr store) instead."
        )
    if labels_path(image, name).exists():
        raise ValueError(
            f"{labels_path(image, name)} exists: choose another label name "
            "(predictions never overwrite)."
        )


def create_labels(
    image: OmeImage,
    name: str,
    n_classes: int,
    chunk: int,
    attributes: dict,
) -> tuple[object, tuple[int, ...]]:
    """Create the empty label image ``name`` beside ``image`` and list it in ``labels``.

    Parameters
    ----------
    image : OmeImage
        The image (:func:`~napari_finetune.batch.ome_zarr.open_ome_zarr`).
    name : str
        The label image's name (a folder name).
    n_classes : int
        Classes 1..K, given colours in the ``image-label`` metadata.
    chunk : int
        Chunk side in rows and columns.
    attributes : dict
        Stored under ``napari_finetune`` in the label group (the run's state);
        its ``classes`` (value -> name) become ``image-label`` properties.

    Returns
    -------
    (zarr.Array, tuple of int)
        The full-resolution level, and the index of its leading axes (0 for
        each axis before rows and columns), to write ``(rows, cols)`` bands.

    Raises
    ------
    ValueError
        When the label image exists already, or the store's NGFF version has
        no axes (before 0.4): give ``output=`` for a plain Zarr store then.
    """
    import zarr

    check_new_labels(image, name)
    root = zarr.open_group(str(image.path), mode="r+")
    group = root.require_group("labels")
    label = group.create_group(name)
    axes = image.multiscales["axes"]
    names = axis_names(image.multiscales)
    datasets = image.multiscales["datasets"]
    if image.version == "0.4":
        extra: dict = {"chunk_key_encoding": {"name": "v2", "separator": "/"}}
    else:  # NGFF 0.5: each level's dimension_names must match the axes
        extra = {"dimension_names": [a["name"] if isinstance(a, dict) else a for a in axes]}
    for dataset, shape in zip(datasets, image.shapes, strict=True):
        shape = tuple(1 if n == "c" else s for n, s in zip(names, shape, strict=True))
        chunks = (1,) * (len(shape) - 2) + tuple(min(chunk, s) for s in shape[-2:])
        label.create_array(
            dataset["path"], shape=shape, dtype="uint8", chunks=chunks, fill_value=0, **extra
        )
    colours = [
        {"label-value": k, "rgba": list(_COLOURS[(k - 1) % len(_COLOURS)])}
        for k in range(1, n_classes + 1)
    ]
    multiscale = {"name": name, "axes": axes, "datasets": label_datasets(image)}
    if "coordinateTransformations" in image.multiscales:  # for the whole image, after each level's
        multiscale["coordinateTransformations"] = image.multiscales["coordinateTransformations"]
    image_label: dict = {"colors": colours, "source": {"image": "../../"}}
    class_names = names_by_value(attributes.get("classes"))
    if class_names:
        image_label["properties"] = [
            {"label-value": k, "class": class_names.get(k, f"class {k}")}
            for k in range(1, n_classes + 1)
        ]
    listed = [n for n in _listed(group) if n != name]  # a name removed by hand and redone
    if image.version == "0.5":
        label.attrs["ome"] = {
            "version": "0.5",
            "multiscales": [multiscale],
            "image-label": image_label,
        }
        group.attrs["ome"] = {"version": "0.5", "labels": [*listed, name]}
    else:
        label.attrs.update(
            {
                "multiscales": [{"version": "0.4", **multiscale}],
                "image-label": {"version": "0.4", **image_label},
            }
        )
        group.attrs["labels"] = [*listed, name]
    label.attrs["napari_finetune"] = attributes
    level0 = label[datasets[0]["path"]]
    return level0, (0,) * (level0.ndim - 2)


def label_datasets(image: OmeImage) -> list[dict]:
    """The label image's levels: the image's paths, their transforms from level 0's.

    A coarser label level holds every ``f``-th pixel of the full resolution
    from the first (:func:`fill_pyramid`), so its scale is level 0's times
    ``f`` and its offset level 0's, whatever offsets the image's own levels
    have (averaging puts them at pixel centres).
    """
    datasets = image.multiscales["datasets"]
    first = datasets[0].get("coordinateTransformations")
    out = []
    for dataset, shape in zip(datasets, image.shapes, strict=True):
        level: dict = {"path": dataset["path"]}
        if first is not None:
            factors = [max(1, round(a / b)) for a, b in zip(image.shapes[0], shape, strict=True)]
            level["coordinateTransformations"] = [
                {**t, "scale": [v * f for v, f in zip(t["scale"], factors, strict=True)]}
                if t.get("type") == "scale" and "scale" in t
                else t
                for t in first
            ]
        out.append(level)
    return out


def _listed(group: object) -> list[str]:
    attrs = group.attrs.asdict()
    return list(attrs.get("ome", {}).get("labels", attrs.get("labels", [])))


def fill_pyramid(image: OmeImage, name: str) -> None:
    """Fill the lower levels of the label image from its full resolution (nearest).

    Read and written chunk by chunk through dask: memory stays at a few chunks.
    """
    import dask.array as da
    import zarr

    label = zarr.open_group(str(labels_path(image, name)), mode="r+")
    paths = [d["path"] for d in image.multiscales["datasets"]]
    full = da.from_zarr(label[paths[0]])
    for path in paths[1:]:
        target = label[path]
        factors = [max(1, round(a / b)) for a, b in zip(full.shape, target.shape, strict=True)]
        level = full[tuple(slice(None, None, f) for f in factors)]
        level = level[tuple(slice(0, s) for s in target.shape)]
        short = [(0, t - s) for s, t in zip(level.shape, target.shape, strict=True)]
        if any(pad for _, pad in short):
            level = da.pad(level, short, mode="edge")
        da.store(level.rechunk(target.chunks), target, lock=False)
