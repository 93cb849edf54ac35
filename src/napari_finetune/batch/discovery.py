"""Which image files a folder run reads: a folder, a glob pattern or a list (stdlib only).

A folder contributes its TIFF and PNG files and its OME-Zarr images (``*.zarr``
folders whose metadata has ``multiscales``), not its subfolders, nor the Zarr
stores this package writes its predictions to (which carry its attributes:
the viewer's ``<image>_prediction.zarr``, ``predict-large``'s outputs) or any
other Zarr store; a store named explicitly is read whatever it is. Hidden
files are left out (``._a.tif`` from
macOS, and the ``.a.1234abcd.partial.tif`` an interrupted atomic write may
leave). The order is deterministic: sorted by name within a folder or a
pattern, in the order given across several sources.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
from collections.abc import Iterable
from pathlib import Path

IMAGE_SUFFIXES = (".tif", ".tiff", ".png")
ZARR_SUFFIX = ".zarr"
_GLOB_CHARACTERS = frozenset("*?[")
# The attribute a prediction store keeps its state in
# (napari_finetune.session.prediction_store.STATE_KEY; not imported: stdlib only here).
PREDICTION_STATE_KEY = "napari_finetune"

Source = str | os.PathLike[str]


def find_images(source: Source | Iterable[Source]) -> list[Path]:
    """The image files named by a folder, a glob pattern, a file, or a list of those.

    Parameters
    ----------
    source : str, Path or iterable of them
        A folder (its ``.tif``/``.tiff``/``.png`` files and ``*.zarr`` /
        ``*.ome.zarr`` OME-Zarr images, not prediction stores), a glob
        pattern such as ``"data/*.tif"`` (``**`` descends into subfolders), an
        image file or an OME-Zarr store,
        or a list mixing them.

    Returns
    -------
    list of Path
        Each image once, sorted by name within a folder or pattern, in the
        order given across sources.

    Raises
    ------
    ValueError
        Naming the source, for a path that does not exist, a folder with no
        images, a pattern that matches none, or OME-Zarr stores when zarr is
        not installed.
    """
    sources = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not sources:
        raise ValueError("no images given: name a folder, a glob pattern or image files.")
    found: dict[str, Path] = {}
    for item in sources:
        for path in _expand(item):
            # The same file given twice (a file and its folder, say) is read once.
            found.setdefault(os.path.normcase(os.path.realpath(path)), path)
    images = list(found.values())
    _check_zarr_readable(images)
    return images


def is_zarr_store(path: Path) -> bool:
    """Whether ``path`` is an OME-Zarr (or plain Zarr) store: a folder named ``*.zarr``."""
    return path.suffix.lower() == ZARR_SUFFIX and path.is_dir()


def output_stem(image: Path) -> str:
    """The name outputs of ``image`` start with: ``a`` for a.tif, a.ome.tif and a.ome.zarr."""
    stem = image.stem
    if image.suffix.lower() in (*IMAGE_SUFFIXES, ZARR_SUFFIX) and stem.lower().endswith(".ome"):
        stem = stem[: -len(".ome")]
    return stem or image.stem


def _expand(item: Source) -> list[Path]:
    path = Path(item)
    if path.exists():
        if path.is_dir() and not is_zarr_store(path):
            images = _images_in(sorted(path.iterdir()))
            if not images:
                raise ValueError(
                    f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)} files or "
                    f"{ZARR_SUFFIX} stores)."
                )
            return images
        # A file named explicitly is read whatever its suffix: read_image says if it cannot.
        return [path]
    text = os.fspath(item)
    if _GLOB_CHARACTERS.isdisjoint(text):
        raise ValueError(f"{path} does not exist: give an image file, a folder or a glob pattern.")
    images = _images_in(Path(match) for match in sorted(glob.glob(text, recursive=True)))
    if not images:
        raise ValueError(f"the pattern {text} matches no images ({', '.join(IMAGE_SUFFIXES)}).")
    return images


def _images_in(paths: Iterable[Path]) -> list[Path]:
    return [
        path
        for path in paths
        if not path.name.startswith(".")
        and (
            _is_ome_zarr_image(path)
            if is_zarr_store(path)
            else path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
        )
    ]


def _is_ome_zarr_image(store: Path) -> bool:
    """Whether a store found in a folder is an OME-Zarr image, not a prediction store of ours."""
    attributes = _zarr_attributes(store)
    if PREDICTION_STATE_KEY in attributes:  # read again, it would fail every run
        return False
    ome = attributes.get("ome", attributes)  # NGFF 0.5 nests under 'ome'; 0.4 does not
    return isinstance(ome, dict) and "multiscales" in ome


def _zarr_attributes(store: Path) -> dict:
    """The root attributes of a Zarr v3 (``zarr.json``) or v2 (``.zattrs``) store; {} if none."""
    for name, key in (("zarr.json", "attributes"), (".zattrs", None)):
        try:
            metadata = json.loads((store / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        attributes = metadata.get(key, {}) if key and isinstance(metadata, dict) else metadata
        return attributes if isinstance(attributes, dict) else {}
    return {}


def _check_zarr_readable(images: list[Path]) -> None:
    # Said before any work, not once per store after torch has loaded.
    stores = [path for path in images if is_zarr_store(path)]
    if stores and importlib.util.find_spec("zarr") is None:
        names = ", ".join(path.name for path in stores[:3]) + (", ..." if len(stores) > 3 else "")
        raise ValueError(
            f"{len(stores)} OME-Zarr store(s) given ({names}) but zarr is not installed: "
            "pip install zarr, or give the TIFF/PNG files only."
        )
