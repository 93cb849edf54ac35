"""The *Apply to folder…* question: where the outputs go, and what is written besides labels.

A small dialog rather than a message box: a message box holds one check box,
and a folder run offers two (probabilities, grain measurements).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qtpy.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

PROBABILITIES_TEXT = "also class probabilities (<name>_probabilities.tif)"
MEASURE_TEXT = "Measure grains (CSV per image + table)"
MEASURE_TIP = (
    "grains and ASTM E112 grain size of every image, as Measure grains exports them: "
    "<name>_grains.csv per image, measurements.csv with one row per image (per plane of a "
    "stack) and, with two images or planes or more that have a G, grain_size.csv: G over "
    "them as E112 fields (and "
    "phase_fractions.csv for models of phases). Pixel "
    "size from the image's FEI/Zeiss, OME-XML or ImageJ tags, else lengths in px (no G)."
)


@dataclass(frozen=True)
class FolderChoice:
    """What the user chose: the output folder, and whether probabilities and grains too."""

    output: str
    probabilities: bool = False
    measure: bool = False


class OutputFolderDialog(QDialog):
    """*Write there*, *Choose another folder…* or *Cancel*, with the two check boxes.

    Parameters
    ----------
    parent : QWidget
        The dock's button (the dialog is modal over it).
    input_dir : Path
        The folder of images, named in the question.
    default : Path
        The output folder offered.
    last : FolderChoice
        The last choice: its check boxes are offered again.
    """

    def __init__(
        self, parent: QWidget, input_dir: Path, default: Path, last: FolderChoice
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Apply to folder")
        question = QLabel(
            f"Write the predictions of every image in {input_dir.name} to:\n{default}"
        )
        question.setWordWrap(True)
        note = QLabel(
            "One <name>_prediction.tif per image; images whose outputs are there already "
            "are skipped, unless another model made them (you are asked then)."
        )
        note.setWordWrap(True)
        self.probabilities = QCheckBox(PROBABILITIES_TEXT)
        self.probabilities.setChecked(last.probabilities)
        self.measure = QCheckBox(MEASURE_TEXT)
        self.measure.setToolTip(MEASURE_TIP)
        self.measure.setChecked(last.measure)
        buttons = QDialogButtonBox()
        self.write = buttons.addButton("Write there", QDialogButtonBox.AcceptRole)
        self.other = buttons.addButton("Choose another folder…", QDialogButtonBox.ActionRole)
        self.cancel = buttons.addButton(QDialogButtonBox.Cancel)
        self.write.setDefault(True)
        self.clicked: QAbstractButton | None = None
        buttons.clicked.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        for widget in (question, note, self.probabilities, self.measure, buttons):
            layout.addWidget(widget)

    def _on_clicked(self, button: QAbstractButton) -> None:
        self.clicked = button
        self.accept() if button is not self.cancel else self.reject()


def ask_output_folder(
    parent: QWidget, input_dir: Path, default: Path, last: FolderChoice
) -> FolderChoice | None:
    """Ask where the outputs of a folder run go and what besides labels; None if cancelled.

    Parameters
    ----------
    parent : QWidget
        The widget the dialogs open over.
    input_dir : Path
        The folder of images.
    default : Path
        The output folder offered (:func:`~napari_finetune.batch.default_output_dir`);
        *Choose another folder…* opens a folder dialog titled "Output folder".
    last : FolderChoice
        The last choice, whose check boxes are offered again.

    Returns
    -------
    FolderChoice or None
        The folder and the check boxes' states.
    """
    dialog = OutputFolderDialog(parent, input_dir, default, last)
    try:
        dialog.exec()
        probabilities, measure = dialog.probabilities.isChecked(), dialog.measure.isChecked()
        write, other = dialog.clicked is dialog.write, dialog.clicked is dialog.other
    finally:
        # A child of the dock's button: kept, every Apply to folder… would add one.
        dialog.deleteLater()
    if write:
        return FolderChoice(str(default), probabilities, measure)
    if other:
        chosen = QFileDialog.getExistingDirectory(parent, "Output folder", str(default.parent))
        return FolderChoice(chosen, probabilities, measure) if chosen else None
    return None


def ask_replace_outputs(parent: QWidget, found: str) -> bool:
    """Ask whether to predict again the images whose outputs were made otherwise.

    Parameters
    ----------
    parent : QWidget
        The widget the question opens over.
    found : str
        What was found (:attr:`~napari_finetune.batch.made_by.StaleOutputs.found`).

    Returns
    -------
    bool
        True for *Yes* (replace); *Cancel* is the default.
    """
    box = QMessageBox(
        QMessageBox.Question,
        "Apply to folder",
        f"{found}.\n\nPredict those images again with this model, replacing their "
        "outputs? (To keep them, cancel and choose another output folder.)",
        QMessageBox.Yes | QMessageBox.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.Cancel)
    try:
        return box.exec() == QMessageBox.Yes
    finally:
        box.deleteLater()  # a child of the dock's button: not kept
