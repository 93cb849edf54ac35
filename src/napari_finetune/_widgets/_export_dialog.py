"""*Export…*'s question: where, and as which file type (ONNX or a BioImage.IO package)."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtWidgets import QFileDialog, QMessageBox, QWidget

from napari_finetune.export_formats import with_format_suffix

FILTERS = {"ONNX model (*.onnx)": ".onnx", "BioImage.IO model package (*.zip)": ".zip"}


def ask_export_path(parent: QWidget, name: str) -> str:
    """Ask where to export ``name``, in the file type chosen; '' if cancelled.

    A suffix the user typed decides (``grains.zip``); else the type chosen:
    ``grains.onnx``, the name offered, saved as a BioImage.IO package becomes
    ``grains.zip``, and a bare name gets the type's suffix. When that changed
    the name and the file exists, the dialog's replace question was about
    another name: it is asked again.
    """
    offered = ".onnx"
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export model", f"{name}{offered}", ";;".join(FILTERS)
    )
    if not path:
        return ""
    typed = Path(path).suffix.lower()
    wanted = typed if typed in FILTERS.values() and typed != offered else None
    final = with_format_suffix(path, wanted or FILTERS.get(chosen, offered))
    if not replace_renamed(parent, "Export model", path, final):
        return ""
    return str(final)


def replace_renamed(parent: QWidget | None, title: str, typed: str | Path, final: Path) -> bool:
    """Whether to write ``final``, a suffix added to the ``typed`` name: asked if it exists.

    The file dialog asked about replacing the name typed, not this one.
    """
    if final == Path(typed) or not final.exists():
        return True
    answer = QMessageBox.question(
        parent,
        title,
        f"{final.name} exists. Replace it?",
        QMessageBox.Yes | QMessageBox.Cancel,
        QMessageBox.Cancel,
    )
    return answer == QMessageBox.Yes
