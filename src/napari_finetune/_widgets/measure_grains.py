"""Dock widget *Measure grains*: grains, ASTM E112 grain size and phase fractions of a map.

Pick a prediction, probability or labels layer; the core
(:func:`napari_finetune.measure.measure_map`) finds the grains and measures them
in a worker; this dock shows ``<source> grains`` (hover a grain for its row of
the table), the E112 test pattern it counted, the size histogram and the G
numbers, and exports CSV and a PNG report. Of a stack it measures the plane in
view, and *Every plane (CSV)…* each plane (:mod:`._every_plane`). The user's
layers are only read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from magicgui.widgets import ComboBox, Container, FloatSpinBox, Label, PushButton, SpinBox
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error
from qtpy.QtWidgets import QFileDialog, QSizePolicy

from napari_finetune._widgets._controls import button_row, scroll_area
from napari_finetune._widgets._every_plane import EveryPlane
from napari_finetune._widgets._grain_layers import (
    add_calibrated_tiff,
    label_colours,
    map_to_measure,
    read_and_measure,
    remove_results,
    show_grains,
    show_pattern,
)
from napari_finetune._widgets._layers import (
    LayerFollower,
    without_copy_number,
)
from napari_finetune._widgets._measure_files import export_csv, save_report
from napari_finetune._widgets._measure_source import default_measure_source, measurable_layers
from napari_finetune._widgets._open_prediction import open_prediction_store_dialog
from napari_finetune._widgets._size_plot import SizePlot
from napari_finetune.measure import (
    BORDER_RULES,
    Calibration,
    GrainMeasurement,
    GrainOptions,
)
from napari_finetune.measure.instances import KINDS, MARKERS
from napari_finetune.measure.table import read_scale
from napari_finetune.session.class_metadata import class_names_of

if TYPE_CHECKING:
    import napari

UNITS = ["px", "µm", "nm", "mm"]
# Shown digits of the pixel size: 0.0002252 mm (a 0.2252 µm pixel) must not read 0.0002.
PIXEL_SIZE_DECIMALS = 8


class MeasureGrainsWidget(Container):
    """Grains and grain size from a prediction, probability or labels layer."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=False)  # the form below is labelled, inside a scroll area
        self._viewer = napari_viewer
        self._worker = None
        self.measurement: GrainMeasurement | None = None
        self.phase_colours: dict[int, tuple] | None = None  # a labels layer's, for phases
        self.measured_plane: int | None = None  # of a stack, the plane measured
        self._source_name = ""
        self.source = ComboBox(choices=self._source_choices, label="measure", nullable=True)
        self.kind = ComboBox(choices=list(KINDS), value="auto", label="it holds")
        self.min_size = SpinBox(value=16, min=1, max=10_000_000, label="smallest grain (px)")
        self.markers = ComboBox(choices=list(MARKERS), value="distance", label="split grains")
        self.border = ComboBox(choices=list(BORDER_RULES), value="half", label="cut by frame")
        self.pixel_size = FloatSpinBox(value=1.0, min=1e-6, max=1e6, step=1e-4, label="pixel size")
        self.pixel_size.native.setDecimals(PIXEL_SIZE_DECIMALS)
        self.unit = ComboBox(choices=UNITS, value="px", label="unit")
        self.open_tiff = PushButton(
            text="Open SEM TIFF…", tooltip="pixel size from FEI/Zeiss, OME-XML or ImageJ tags"
        )
        self.open_store = PushButton(
            text="Open prediction…", tooltip="a prediction store (.zarr) of a large image"
        )
        self.measure = PushButton(text="Measure grains")
        self.status = Label(value="Choose a prediction or labels layer and click Measure.")
        self.status.native.setWordWrap(True)
        self.status.native.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.plot = SizePlot()
        self.export = PushButton(text="Export CSV…", enabled=False)
        self.report = PushButton(text="Save report (PNG)…", enabled=False)
        form = Container(labels=True)
        form.extend([self.source, self.kind, self.min_size, self.markers, self.border])
        form.extend([self.pixel_size, self.unit])
        form.append(button_row(self.open_tiff, self.open_store))
        form.append(self.measure)
        form.append(self.status)
        form.native.layout().addWidget(self.plot)
        form.append(button_row(self.export, self.report))
        self.every_plane = EveryPlane(self)  # a stack's planes, each measured, in one CSV
        form.append(self.every_plane.button)
        # A long result (phases and their particles) scrolls instead of being squeezed.
        scroll_area(self, form)
        tips = ((self.kind, KINDS), (self.markers, MARKERS), (self.border, BORDER_RULES))
        for widget, tip in tips:
            widget.tooltip = "\n".join(f"{k}: {v}" for k, v in tip.items())
        self.source.changed.connect(self._read_calibration)
        self.kind.changed.connect(lambda _: self.every_plane.follow(self.source.value))
        self.measure.changed.connect(self.run)
        self.open_tiff.changed.connect(self._on_open_tiff)
        self.open_store.changed.connect(self._on_open_store)
        self.export.changed.connect(self._on_export)
        self.report.changed.connect(self._on_report)
        self._follower = LayerFollower(napari_viewer, self.reset_choices)
        self._default_source()

    # -- inputs --------------------------------------------------------------------

    def _source_choices(self, _widget: object = None) -> list:
        """The user's layers and the plugin's predictions and probabilities, newest first."""
        return measurable_layers(self._viewer)

    def _default_source(self) -> None:
        """The newest prediction, else the newest labels layer that is no painting."""
        layer = default_measure_source(self._viewer)
        if layer is not None:
            self.source.value = layer
        self._read_calibration()

    def _read_calibration(self, _value: object = None) -> None:
        """Pixel size and unit from the chosen layer's scale and units."""
        layer = self.source.value
        self.every_plane.follow(layer)
        if layer is None:
            return
        try:
            found = read_scale(layer.scale, str(layer.units[-1]))
        except ValueError as err:
            # The previous layer's pixel size must not measure this one: px until set.
            self.pixel_size.value, self.unit.value = 1.0, "px"
            self.status.value = f"Layer '{layer.name}': {err} Lengths in px until you set one."
            return
        self.pixel_size.value = found.pixel_size
        self.unit.value = found.unit if found.unit in UNITS else "px"
        if found.note:
            self.status.value = f"Layer '{layer.name}': {found.note}"

    # -- measuring -----------------------------------------------------------------

    def measure_layer(self, layer: object) -> None:
        """Choose ``layer`` and measure it (the Fine-tune dock's one click)."""
        self.source.value = layer
        self.run()

    def run(self) -> None:
        """Measure the chosen layer in a worker."""
        layer = self.source.value
        if self._worker is not None:
            return
        try:
            if layer is None:
                raise ValueError("Choose a prediction, probability or labels layer to measure.")
            read, kind, plane = map_to_measure(layer, self.kind.value, self._viewer.dims)
            options, calibration = self.settings()
        except ValueError as err:
            self._report_error(err, layer)
            return
        # 'grains prediction [1]' (beside a layer of the user's of that name) is of 'grains'.
        shown = without_copy_number(layer.name)
        base = shown.removesuffix(" prediction").removesuffix(" probabilities")
        # The model's class names say which classes are phases and name their fractions.
        names = class_names_of(layer.metadata)
        self.measure.enabled = False
        self.status.value = f"Measuring '{layer.name}'…"
        worker = create_worker(
            read_and_measure,
            read,
            kind,
            options,
            calibration,
            self.border.value,
            names,
            _start_thread=False,
            _ignore_errors=True,
        )
        worker.returned.connect(lambda result: self._show(result, base, layer, plane))
        worker.errored.connect(lambda err: self._report_error(err, layer))
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def settings(self) -> tuple[GrainOptions, Calibration]:
        """How grains are found, and the pixel size, as the dock's fields say."""
        options = GrainOptions(min_size=self.min_size.value, markers=self.markers.value)
        if self.unit.value == "px":
            return options, Calibration()
        return options, Calibration(self.pixel_size.value, self.unit.value)

    def _show(self, result: GrainMeasurement, base: str, layer: object, plane: int | None) -> None:
        self.measurement, self._source_name, self.phase_colours = result, base, None
        self.measured_plane = plane  # the report's image is read at this plane
        if layer not in self._viewer.layers:
            return
        remove_results(self._viewer, base)
        has_grains = result.report is not None  # None: phases only, no boundary class
        if has_grains:
            show_grains(self._viewer, base, result, layer, plane)
            show_pattern(self._viewer, base, result.grains.shape, layer)
            self.plot.show(result)
        elif result.phases is not None:  # the bars in the prediction layer's colours
            self.phase_colours = label_colours(layer, result.phases["class"], self._viewer)
            self.plot.show_phases(result.phases, self.phase_colours)
        lines = result.lines()
        if plane is not None:
            lines.insert(0, f"Plane {plane} of '{layer.name}' (the one in view).")
        self.status.value = "\n".join(lines)
        self.export.enabled = self.report.enabled = has_grains or result.phases is not None

    def _on_finished(self) -> None:
        self._worker = None
        self.measure.enabled = True

    def _report_error(self, err: BaseException, layer: object = None) -> None:
        where = f"layer '{layer.name}': " if layer is not None else ""
        self.status.value = f"Not measured: {where}{err}"
        show_error(f"Measure grains: {where}{err}")

    # -- files ---------------------------------------------------------------------

    def _ask_path(self, default: str, pattern: str) -> str:
        """Ask where to save (patched in tests)."""
        path, _ = QFileDialog.getSaveFileName(self.native, "Save", default, pattern)
        return path

    def _ask_open_path(self) -> str:
        """Ask for a TIFF to open (patched in tests)."""
        path, _ = QFileDialog.getOpenFileName(self.native, "Open", "", "TIFF (*.tif *.tiff)")
        return path

    def _on_open_tiff(self) -> None:
        """Open a TIFF calibrated from its instrument tags, without its data bar."""
        path = self._ask_open_path()
        if not path:
            return
        try:
            self.status.value = add_calibrated_tiff(self._viewer, path)
        except ValueError as err:
            self._report_error(err)

    def _on_open_store(self) -> None:
        """Open a prediction store (:mod:`._open_prediction`) and choose its prediction."""
        added = open_prediction_store_dialog(self._viewer)
        if added:
            self.reset_choices()
            self.source.value = added[-1]

    def _on_export(self) -> None:
        export_csv(self)

    def _on_report(self) -> None:
        save_report(self)
