"""Which export format a file name asks for (standard library only).

Shared by the command line, which must refuse a bad name before importing
torch, and by :mod:`napari_finetune.models.exporting`, which the dock uses.
"""

from __future__ import annotations

from pathlib import Path

from napari_finetune.choices import EXPORT_FORMATS

SUFFIXES = {".onnx": "onnx", ".zip": "bioimageio"}


def export_format(path: str | Path, requested: str | None = None) -> str:
    """The export format for ``path``: ``requested`` if given, else by the file's suffix.

    Raises
    ------
    ValueError
        For an unknown format, or a suffix that names none (with the ones that do).
    """
    if requested is not None:
        if requested not in EXPORT_FORMATS:
            known = ", ".join(EXPORT_FORMATS)
            raise ValueError(f"export format {requested!r} is unknown: choose one of {known}.")
        return requested
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(f"{s} ({f})" for s, f in SUFFIXES.items())
        raise ValueError(
            f"cannot tell the export format from the name {Path(path).name!r}: end it in {known}."
        )
    return SUFFIXES[suffix]


def with_format_suffix(path: str | Path, suffix: str) -> Path:
    """``path`` ending in ``suffix``: another format's suffix is replaced, none is added.

    ``grains.onnx`` as ``.zip`` is ``grains.zip``; ``grains`` is ``grains.zip``;
    ``grains.v2`` (no format's suffix) is ``grains.v2.zip``.
    """
    given = Path(path)
    if given.suffix.lower() in SUFFIXES:
        return given.with_suffix(suffix)
    return Path(f"{path}{suffix}")
