"""*Export…*'s question: where, and as which file type (ONNX or a BioImage.IO package)."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtWidgets import QFileDialog, QMessageBox, QWidget

from napari_finetune.export_formats import with_format_suffix

FILTERS = {"ONNX model (*.onnx)": ".onnx", "BioImage.IO model package (*.zip)": ".zip"}


def ask_export_path(parent: QWidget, name: str) -> str:
    """Ask where to export ``name``, in the file type chosen; '' if cancelled.

    The name ends in the chosen type's suffix (``grains.onnx`` saved as a
    BioImage.IO package becomes ``grains.zip``: the type chosen decides, not a
    suffix left from the offered name). When that changed the name and the
    file exists, the dialog's replace question was about another name: it is
    asked again.
    """
    path, chosen = QFileDialog.getSaveFileName(
        parent, "Export model", f"{name}.onnx", ";;".join(FILTERS)
    )
    if not path:
        return ""
    final = with_format_suffix(path, FILTERS.get(chosen, ".onnx"))
    if final != Path(path) and final.exists():
        answer = QMessageBox.question(
            parent,
            "Export model",
            f"{final.name} exists. Replace it?",
            QMessageBox.Yes | QMessageBox.Cancel,
            QMessageBox.Cancel,
        )
        if answer != QMessageBox.Yes:
            return ""
    return str(final)
