"""The kernel playground's grid: 3x3 or 5x5 number cells, presets, a bad cell marked.

Cells are plain text boxes; the core reads them
(:func:`~napari_finetune.inference.kernels.parse_kernel`) and names a cell that
is not a number, which is then outlined in red until it is mended. Editing a
cell makes the kernel "custom"; picking a preset fills the cells.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from magicgui.widgets import ComboBox, Container, LineEdit
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QSizePolicy

from napari_finetune._widgets._controls import form
from napari_finetune.inference.kernels import (
    KERNEL_PRESETS,
    KERNEL_SIZES,
    KernelCellError,
    kernel_cells,
    kernel_preset,
    parse_kernel,
)

CUSTOM = "custom"
LARGEST = max(KERNEL_SIZES)
BAD_CELL_STYLE = "border: 2px solid #e0503c;"
CELL_WIDTH = 52  # px: '-0.125' fits


class KernelGrid(Container):
    """Size and preset choices above a grid of cells; ``on_change()`` after every edit."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        super().__init__(labels=False)
        self._on_change = on_change
        self._filling = False
        self.kernel_size = ComboBox(
            choices=[(f"{n} × {n}", n) for n in KERNEL_SIZES], value=3, label="kernel size"
        )
        self.preset = ComboBox(choices=[*KERNEL_PRESETS, CUSTOM], value="Sobel x", label="preset")
        self.cells = [[LineEdit(value="0") for _ in range(LARGEST)] for _ in range(LARGEST)]
        rows = []
        for row in self.cells:
            for cell in row:
                cell.native.setFixedWidth(CELL_WIDTH)
                cell.native.setAlignment(Qt.AlignCenter)
                cell.changed.connect(self._on_cell)
            line = Container(widgets=row, layout="horizontal", labels=False)
            line.margins = (0, 0, 0, 0)
            line.native.layout().setSpacing(2)
            line.native.layout().addStretch()
            line.native.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
            rows.append(line)
        self.cell_rows = Container(widgets=rows, labels=False)
        self.cell_rows.margins = (0, 0, 0, 0)
        self.cell_rows.native.layout().setSpacing(2)
        self.margins = (0, 0, 0, 0)
        self.extend([form(self.kernel_size, self.preset), self.cell_rows])
        self.kernel_size.changed.connect(self._on_size)
        self.preset.changed.connect(self._on_preset)
        self._show_size()
        self._fill(kernel_preset(self.preset.value, self.kernel_size.value))

    # -- what the grid holds -----------------------------------------------------------

    def _shown_cells(self) -> list[list[LineEdit]]:
        cut = (LARGEST - self.kernel_size.value) // 2
        return [row[cut : LARGEST - cut] for row in self.cells[cut : LARGEST - cut]]

    def texts(self) -> list[list[str]]:
        """The visible cells' texts, row by row."""
        return [[cell.value for cell in row] for row in self._shown_cells()]

    def kernel(self) -> np.ndarray:
        """The kernel typed in; a bad cell is outlined in red.

        Raises
        ------
        ValueError
            Naming the first cell that is not a number (the core's words).
        """
        self.mark(None)
        try:
            return parse_kernel(self.texts())
        except KernelCellError as err:
            self.mark(err)
            raise

    def mark(self, error: KernelCellError | None) -> None:
        """Outline the cell ``error`` names (None: clear every outline)."""
        for row in self.cells:
            for cell in row:
                cell.native.setStyleSheet("")
                cell.tooltip = None
        if error is not None:
            cell = self._shown_cells()[error.row - 1][error.column - 1]
            cell.native.setStyleSheet(BAD_CELL_STYLE)
            cell.tooltip = str(error)

    # -- edits -------------------------------------------------------------------------

    def set_kernel(self, kernel: np.ndarray) -> None:
        """Show ``kernel`` (3x3 or 5x5) in the cells, as a custom kernel."""
        kernel = np.asarray(kernel, float)
        with self.kernel_size.changed.blocked(), self.preset.changed.blocked():
            self.kernel_size.value = kernel.shape[0]
            self.preset.value = CUSTOM
        self._show_size()
        self._fill(kernel)
        self._on_change()

    def _fill(self, kernel: np.ndarray) -> None:
        self._filling = True
        try:
            for row, texts in zip(self._shown_cells(), kernel_cells(kernel), strict=True):
                for cell, text in zip(row, texts, strict=True):
                    cell.value = text
        finally:
            self._filling = False
        self.mark(None)

    def _show_size(self) -> None:
        shown = {id(c) for row in self._shown_cells() for c in row}
        for row in self.cells:
            for cell in row:
                cell.visible = id(cell) in shown
        for line in self.cell_rows:
            line.visible = any(id(c) in shown for c in line)

    def _on_size(self, size: int) -> None:
        if self.preset.value == CUSTOM:
            # A custom kernel keeps its centre; a ring that appears starts at 0.
            inner = range((LARGEST - 3) // 2, (LARGEST + 3) // 2)
            for i, row in enumerate(self.cells):
                for j, cell in enumerate(row):
                    if size > 3 and (i not in inner or j not in inner):
                        self._set_quietly(cell, "0")
            self._show_size()
        else:
            self._show_size()
            self._fill(kernel_preset(self.preset.value, size))
        self._on_change()

    def _on_preset(self, name: str) -> None:
        if name != CUSTOM:
            self._fill(kernel_preset(name, self.kernel_size.value))
        self._on_change()

    def _on_cell(self, _text: str = "") -> None:
        if self._filling:
            return
        if self.preset.value != CUSTOM:
            with self.preset.changed.blocked():
                self.preset.value = CUSTOM
        self._on_change()

    def _set_quietly(self, cell: LineEdit, text: str) -> None:
        self._filling = True
        try:
            cell.value = text
        finally:
            self._filling = False
