"""Export a model in one of the formats other tools read: the one entry point.

The command line (``napari-finetune export``) and the Fine-tune dock's
*Export…* both come here, so the format is chosen by the same rule: given, or
read from the file name (``.onnx`` → ONNX, ``.zip`` → BioImage.IO package).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from napari_finetune.data.safe_write import check_writable_file
from napari_finetune.export_formats import SUFFIXES as SUFFIXES
from napari_finetune.export_formats import export_format
from napari_finetune.models.model import SegmentationModel


def check_export(model: object, path: str | Path, what: str, overwrite: bool) -> Path:
    """Raise ValueError unless ``model`` is a model and ``path`` a new, writable file.

    Every exporter calls this before any work, so all refuse alike.

    Parameters
    ----------
    model : object
        What was given as the model.
    path : str or Path
        The destination.
    what : str
        What the file is, for the message (e.g. ``'ONNX file'``).
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    Path
        ``path`` as a Path.
    """
    if not isinstance(model, SegmentationModel):
        raise ValueError(
            f"there is no model to export: got {type(model).__name__}, not a "
            "SegmentationModel (load or fine-tune one first)."
        )
    path = check_writable_file(path, what)
    if path.exists() and not overwrite:
        raise ValueError(f"{path} already exists: choose another name or allow overwriting.")
    return path


def export_model(
    model: SegmentationModel,
    path: str | Path,
    format: str | None = None,
    *,
    overwrite: bool = False,
    authors: Sequence[str] | None = None,
    license: str | None = None,
) -> Path:
    """Write ``model`` as an ONNX file or a BioImage.IO model package.

    Parameters
    ----------
    model : SegmentationModel
        The model to export (left unchanged).
    path : str or Path
        Destination; parent folders are created.
    format : {'onnx', 'bioimageio'}, optional
        Defaults to the one the suffix names (``.onnx``, ``.zip``).
    overwrite : bool
        Replace an existing file.
    authors, license : optional
        The package's authors and SPDX licence (BioImage.IO only; see
        :func:`~napari_finetune.models.bioimageio_package.export_bioimageio`).

    Returns
    -------
    Path
        The written file (written under a temporary name, then renamed).

    Raises
    ------
    ValueError
        With no model, an unknown format, a path that cannot be written, or an
        existing file without ``overwrite``.
    """
    if export_format(path, format) == "onnx":
        from napari_finetune.models.onnx_export import export_onnx

        return export_onnx(model, path, overwrite=overwrite)
    from napari_finetune.models.bioimageio_package import export_bioimageio

    return export_bioimageio(model, path, overwrite=overwrite, authors=authors, license=license)
