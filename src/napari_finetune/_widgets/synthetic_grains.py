"""Dock widget *Synthetic grains*: generate a new sample into new layers."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSpinBox,
    Label,
    LineEdit,
    PushButton,
    SpinBox,
)
from napari.layers import Layer
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error

from napari_finetune._sample_data import LayerData, grain_layer_data
from napari_finetune.synth.generation_cost import estimated_seconds
from napari_finetune.synth.grains import render_sample
from napari_finetune.synth.parameters import GrainParameters, TargetDomain
from napari_finetune.synth.strokes import describe_strokes, paint_strokes

if TYPE_CHECKING:
    import napari

# Generations estimated longer than this leave the GUI thread; shorter ones stay
# on it so their layers appear at once.
WORKER_THRESHOLD_SECONDS = 0.2
BY_COUNT, BY_DIAMETER = "number of grains", "mean diameter (px)"


def generate_layers(params: GrainParameters, name: str, add_strokes: bool) -> list[LayerData]:
    """Generate a sample and its layer-data tuples (pure compute: worker-safe)."""
    sample = render_sample(params)
    painted = paint_strokes(sample, seed=params.seed) if add_strokes else None
    return grain_layer_data(sample, name, painted=painted)


class SyntheticGrainsWidget(Container):
    """Parameters of a Voronoi microstructure and a *Generate* button."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__(labels=True)
        self._viewer = napari_viewer
        self._worker = None
        self._started = 0.0

        self.name = LineEdit(value="grains", label="layer name")
        self.rows = SpinBox(value=512, min=16, max=16384, step=64, label="height (px)")
        self.cols = SpinBox(value=512, min=16, max=16384, step=64, label="width (px)")
        self.size_by = ComboBox(choices=[BY_COUNT, BY_DIAMETER], value=BY_COUNT, label="size by")
        self.n_grains = SpinBox(value=60, min=1, max=1_000_000, label="grains")
        self.mean_diameter = FloatSpinBox(
            value=66.0, min=1.0, max=10_000.0, step=1.0, label="mean diameter (px)"
        )
        self.size_spread = FloatSpinBox(
            value=0.3, min=0.0, max=1.0, step=0.05, label="size spread"
        )
        self.boundary_width = SpinBox(value=3, min=1, max=100, label="boundary width (px)")
        self.morphology = ComboBox(choices=["equiaxed", "elongated"], label="morphology")
        self.elongation = FloatSpinBox(value=3.0, min=1.0, max=20.0, step=0.5, label="elongation")
        self.direction = FloatSpinBox(
            value=90.0, min=-180.0, max=180.0, step=5.0, label="long axis (° from x)"
        )
        self.contrast = FloatSpinBox(
            value=0.4, min=0.0, max=1.0, step=0.05, label="grain contrast"
        )
        self.boundary_contrast = FloatSpinBox(
            value=0.35, min=-1.0, max=1.0, step=0.05, label="groove depth"
        )
        self.dose = FloatSpinBox(
            value=50.0, min=0.0, max=1e6, step=10.0, label="dose (e⁻/px, 0 = no noise)"
        )
        self.blur = FloatSpinBox(value=1.0, min=0.0, max=20.0, step=0.25, label="blur σ (px)")
        self.target_domain = CheckBox(
            value=False, text="SEM target domain (scan jitter, vignetting, drift)"
        )
        self.add_strokes = CheckBox(value=False, text="add example painted strokes")
        self.seed = SpinBox(value=0, min=0, max=2**31 - 1, label="seed")
        self.generate = PushButton(text="Generate")
        self.status = Label(value="")
        # Long error texts must wrap, not widen the dock over the canvas.
        self.status.native.setWordWrap(True)

        self.extend(
            [
                self.name,
                self.rows,
                self.cols,
                self.size_by,
                self.n_grains,
                self.mean_diameter,
                self.size_spread,
                self.boundary_width,
                self.morphology,
                self.elongation,
                self.direction,
                self.contrast,
                self.boundary_contrast,
                self.dose,
                self.blur,
                self.target_domain,
                self.add_strokes,
                self.seed,
                self.generate,
                self.status,
            ]
        )
        tips = {
            self.name: "Name of the new image layer; label layers are named after it.",
            self.size_by: "Set the grain size by a count or by a mean diameter.",
            self.n_grains: "Exact number of grains in the image.",
            self.mean_diameter: "Mean equivalent-circle grain diameter, in pixels.",
            self.size_spread: (
                "Spread of grain sizes (std of log local diameter): 0 = near-uniform, "
                "0.6 and above = duplex regions of fine and coarse grains."
            ),
            self.boundary_width: "Width of the boundary label and rendered groove, in px.",
            self.morphology: (
                "equiaxed: recrystallised grains; elongated: columnar grains as in "
                "directional solidification."
            ),
            self.elongation: "Aspect ratio of elongated grains (long / short axis).",
            self.direction: (
                "Long axis of elongated grains, degrees counter-clockwise from x: "
                "90 = vertical columns (thermal gradient along y)."
            ),
            self.contrast: "Spread of grain grey levels (orientation / channelling contrast).",
            self.boundary_contrast: (
                "Boundary groove depth: > 0 dark etched grooves, < 0 bright SE edges."
            ),
            self.dose: "Electrons per pixel at full signal (Poisson noise); 0 = noise-free.",
            self.blur: "Gaussian probe blur sigma, in pixels.",
            self.target_domain: (
                "Render like a real instrument: scan-line jitter, vignetting and slow "
                "gain/offset drift (the sim-to-real gap)."
            ),
            self.add_strokes: (
                "Instead of the exact labels, add a sparse painted layer "
                "(1 = interior, 2 = boundary) to fine-tune on."
            ),
            self.seed: "Same seed and parameters give the same sample.",
        }
        for widget, tip in tips.items():
            widget.tooltip = tip

        self.size_by.changed.connect(self._sync_enabled)
        self.morphology.changed.connect(self._sync_enabled)
        self.generate.changed.connect(self._on_generate)
        self._sync_enabled()

    def _sync_enabled(self) -> None:
        by_count = self.size_by.value == BY_COUNT
        self.n_grains.visible = by_count
        self.mean_diameter.visible = not by_count
        elongated = self.morphology.value == "elongated"
        self.elongation.enabled = elongated
        self.direction.enabled = elongated

    def parameters(self) -> GrainParameters:
        """The widget's values as validated parameters (raises ValueError)."""
        by_count = self.size_by.value == BY_COUNT
        elongated = self.morphology.value == "elongated"
        return GrainParameters(
            shape=(self.rows.value, self.cols.value),
            n_grains=self.n_grains.value if by_count else None,
            mean_diameter=None if by_count else self.mean_diameter.value,
            size_spread=self.size_spread.value,
            boundary_width=self.boundary_width.value,
            morphology=self.morphology.value,
            elongation=self.elongation.value if elongated else None,
            direction=self.direction.value,
            contrast=self.contrast.value,
            boundary_contrast=self.boundary_contrast.value,
            dose=self.dose.value or None,
            blur=self.blur.value,
            target_domain=TargetDomain() if self.target_domain.value else None,
            seed=self.seed.value,
        )

    def _on_generate(self) -> None:
        if self._worker is not None:
            return
        try:
            params = self.parameters()
        except ValueError as err:
            self._report_error(err)
            return
        name = self.name.value.strip() or "grains"
        self._started = time.perf_counter()
        rows, cols = params.shape
        if estimated_seconds(params) <= WORKER_THRESHOLD_SECONDS:
            try:
                layers = generate_layers(params, name, self.add_strokes.value)
            except ValueError as err:
                self._report_error(err)
                return
            self._add_layers(layers)
            return
        self.generate.enabled = False
        self.status.value = f"Generating {rows}×{cols} px in the background…"
        worker = create_worker(
            generate_layers,
            params,
            name,
            self.add_strokes.value,
            _start_thread=False,
            _ignore_errors=True,  # errors go to our own errored slot, shown to the user
        )
        worker.returned.connect(self._add_layers)
        worker.errored.connect(self._report_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    def _add_layers(self, layers: list[LayerData]) -> None:
        for data, kwargs, layer_type in layers:
            self._viewer.add_layer(Layer.create(data, kwargs, layer_type))
        params = layers[0][1]["metadata"]["napari_finetune"]["synthetic"]
        seconds = time.perf_counter() - self._started
        rows, cols = params["shape"]
        painted = [data for data, kw, _ in layers if kw["name"].endswith(" painted")]
        strokes = f"; {describe_strokes(painted[-1])}" if painted else ""
        self.status.value = (
            f"{params['grain_count']} grains, {rows}×{cols} px, seed {params['seed']}: "
            f"{seconds:.2f} s{strokes}"
        )

    def _report_error(self, err: BaseException) -> None:
        self.status.value = f"Not generated: {err}"
        show_error(f"Synthetic grains: {err}")

    def _on_finished(self) -> None:
        self._worker = None
        self.generate.enabled = True
