"""Screenshots of napari with the plugin's samples and widget, for the README.

Run under a virtual display as large as the largest screen shown, e.g.::

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/readme_screenshots.py

Writes the README's figures to ``docs/images/`` (or the folder given as the
first argument); ``--all`` adds one figure for each of the other samples;
``--reopen`` only the *Measure grains* figures (a reopened prediction
store, the NIST sample); ``--screens`` writes only the window of
``napari-finetune view`` on a laptop (1366 × 768) and a full-HD
(1920 × 1080) screen; ``--advisor`` only the *Compare strategies* figure
(24 runs of 4 s: a few minutes); ``--augment`` only the *Augmentation preview*
figure; ``--fine-tune`` only the *Fine-tune* figures (training, result, active
learning, measure, export); ``--phases`` only the figures of three
superalloy phases named in the *classes* field, fine-tuned and measured;
``--deep-stack`` only the figure of a deep stack predicted plane by plane after a
round; ``--stack-store`` only the
figures of an OME-Zarr z-stack's stopped store reopened and of *Predict* on
that multiscale stack; ``--every-plane`` only the figure of *Measure grains*'
*Every plane (CSV)…* on a prediction of serial sections.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import napari
from qtpy.QtWidgets import QApplication

PLUGIN = "napari-finetune"
WINDOW_SIZE = (1500, 900)
# Screens people have: a small laptop and full HD (the window as large as the screen).
SCREENS = ((1366, 768), (1920, 1080))
# The docks `napari-finetune view` opens, tabified; Fine-tune last, so in front.
VIEW_DOCKS = ("Synthetic grains", "Augmentation preview", "Measure grains", "Fine-tune")


def settle(viewer: napari.Viewer, rounds: int = 20) -> None:
    """Let Qt lay out and draw before a screenshot."""
    for _ in range(rounds):
        QApplication.processEvents()
    viewer.reset_view()
    for _ in range(rounds):
        QApplication.processEvents()


def settle_events(rounds: int = 20) -> None:
    """Let Qt lay out and draw, without moving the canvas."""
    for _ in range(rounds):
        QApplication.processEvents()


def shot(viewer: napari.Viewer, path: Path) -> None:
    settle(viewer)
    viewer.screenshot(str(path), canvas_only=False, flash=False)
    print(f"wrote {path}")


def augmentation_preview(path: Path) -> None:
    """The preview widget after one click on *Preview* on the painted sample."""
    viewer = napari.Viewer(title="napari-finetune: augmentation preview")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.open_sample(PLUGIN, "painted")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Augmentation preview")
    widget.toggles["ElasticTransform"].value = True
    widget.toggles["Affine"].value = True  # zoom: off by default, shown here
    widget.preview.clicked.emit()
    deadline = time.monotonic() + 120
    while widget._worker is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    settle(viewer)
    viewer.screenshot(str(path), canvas_only=False, flash=False)
    print(f"wrote {path}")
    viewer.close()


def scroll_dock_to(widget: object, child: object) -> None:
    """Scroll the dock holding ``widget`` so that ``child`` (a Qt widget) is in view."""
    from qtpy.QtWidgets import QScrollArea

    areas, parent = list(widget.native.findChildren(QScrollArea)), widget.native
    while parent is not None:
        areas += [parent] if isinstance(parent, QScrollArea) else []
        parent = parent.parentWidget()
    for area in areas:
        if area.widget() is not None and area.widget().isAncestorOf(child):
            area.ensureWidgetVisible(child, 0, 0)
            return


def fine_tune(out: Path, seconds: int = 40) -> None:
    """The Fine-tune widget mid-training (curves) and after (prediction over the image)."""
    viewer = napari.Viewer(title="napari-finetune: fine-tune")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.open_sample(PLUGIN, "painted")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Fine-tune")
    widget.seconds.value = seconds
    widget.train.clicked.emit()
    started, mid_done = time.monotonic(), False
    while widget._worker is not None and time.monotonic() - started < seconds + 120:
        QApplication.processEvents()
        time.sleep(0.01)
        if not mid_done and time.monotonic() - started > 0.7 * seconds:
            # The curves sit below the options: show them, as a user scrolls to them.
            scroll_dock_to(widget, widget.plot)
            settle_events()
            viewer.screenshot(str(out / "finetune_training.png"), canvas_only=False, flash=False)
            print(f"wrote {out / 'finetune_training.png'}")
            mid_done = True
    settle(viewer)
    viewer.layers.selection.active = viewer.layers["grains prediction"]
    viewer.screenshot(str(out / "finetune_result.png"), canvas_only=False, flash=False)
    print(f"wrote {out / 'finetune_result.png'}")
    active_learning(viewer, widget, out)
    # One click from the Fine-tune dock: grains of the new prediction.
    widget.files.measure.clicked.emit()
    for _ in range(600):
        QApplication.processEvents()
        time.sleep(0.05)
        if "grains E112 pattern" in viewer.layers:
            break
    for layer in viewer.layers:
        layer.visible = layer.name in ("grains", "grains grains", "grains E112 pattern")
    shot(viewer, out / "measure_prediction.png")
    export_model(viewer, widget, out)
    viewer.close()


def export_model(viewer: napari.Viewer, widget: object, out: Path) -> None:
    """*Export…* of the fine-tuned model as a BioImage.IO package (its status line after)."""
    import tempfile

    from napari_finetune._widgets._model_actions import ModelActions

    for layer in viewer.layers:
        layer.visible = layer.name in ("grains", "grains prediction")
    # Measure grains was tabified in front of the Fine-tune dock: bring that back,
    # scrolled down to the model buttons.
    from qtpy.QtWidgets import QScrollArea

    viewer.window._dock_widgets[f"Fine-tune ({PLUGIN})"].raise_()
    parent = widget.files.export.native.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is not None:
        QApplication.processEvents()
        parent.ensureWidgetVisible(widget.files.export.native)
    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "grains-unet.zip")
        ModelActions.ask_export_path = lambda self: target  # the file dialog's answer
        widget.files.export.clicked.emit()
        deadline = time.monotonic() + 120
        while not widget.files.export.enabled and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.02)
        shot(viewer, out / "export_model.png")


def active_learning(viewer: napari.Viewer, widget: object, out: Path) -> None:
    """After the run: the uncertainty map with the numbered suggestions, then *Next*."""
    for layer in viewer.layers:
        layer.visible = layer.name in ("grains uncertainty", "grains suggestions")
    viewer.layers.selection.active = viewer.layers["grains suggestions"]
    shot(viewer, out / "active_learning.png")
    for name in ("grains", "grains painted"):
        viewer.layers[name].visible = True
    widget.active.next.clicked.emit()
    for _ in range(20):
        QApplication.processEvents()
    viewer.screenshot(str(out / "next_suggestion.png"), canvas_only=False, flash=False)
    print(f"wrote {out / 'next_suggestion.png'}")


def wait_for(widget: object, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while widget._worker is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def measure_grains(out: Path) -> None:
    """The Measure grains dock on the NIST steel sample's traced boundaries."""
    viewer = napari.Viewer(title="napari-finetune: measure grains")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.open_sample(PLUGIN, "nist_steel")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Measure grains")
    widget.measure.clicked.emit()
    wait_for(widget)
    viewer.layers["NIST steel boundaries"].visible = False
    shot(viewer, out / "measure_grains.png")
    viewer.close()


def reopened_prediction(out: Path) -> None:
    """A 2400² prediction store reopened with *Open prediction…* in *Measure grains*, measured."""
    import tempfile

    import dask.array as da

    import napari_finetune as nf
    from napari_finetune._widgets import _open_prediction
    from napari_finetune.inference.lazy import predict_bands

    image = nf.voronoi_grains((2400, 2400), 900, target_domain=True, seed=7).image
    store = Path(tempfile.mkdtemp()) / "mosaic_prediction.zarr"
    layer = {"name": "mosaic", "scale": [0.05, 0.05], "translate": [0, 0], "units": ["µm"] * 2}
    for _ in predict_bands(
        nf.load_model("voronoi-unet"), da.from_array(image), store, uncertainty=True, layer=layer
    ):
        pass
    viewer = napari.Viewer(title="napari-finetune: a prediction store reopened")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.add_image(image, name="mosaic", scale=(0.05, 0.05), units="µm")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Measure grains")
    _open_prediction.ask_store_folder = lambda: str(store)
    widget.open_store.clicked.emit()
    widget.measure.clicked.emit()
    wait_for(widget)
    shot(viewer, out / "reopened_prediction.png")
    viewer.close()


def compare_strategies(out: Path, seconds: int = 4) -> None:
    """*Compare strategies…* run to the end on the painted sample (``seconds`` per run).

    Every strategy from both shipped start models (*also start from voronoi-unet*).
    """
    viewer = napari.Viewer(title="napari-finetune: compare strategies")
    viewer.window.resize(1700, 1000)
    viewer.open_sample(PLUGIN, "painted")
    _, dock = viewer.window.add_plugin_dock_widget(PLUGIN, "Fine-tune")
    panel = dock.advisor.open()
    panel.seconds.value = seconds
    panel.also.other_starts.value = True
    panel.start.clicked.emit()
    wait_for(panel, seconds=1200)
    shot(viewer, out / "compare_strategies.png")
    viewer.close()


def phases(out: Path, seconds: int = 30) -> None:
    """Three superalloy phases named in the *classes* field, painted, fine-tuned.

    The paint image is one of the data set's ``train`` images; four boxes of its
    exact labels stand in for a user's painting, as in the benchmarks.
    """
    import numpy as np
    from skimage.io import imread

    folder = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nasa_superalloy"
    name = sorted((folder / "train").glob("*_image.png"))[0]
    image = imread(name)
    truth = imread(str(name).replace("_image", "_label")).astype(np.uint8) + 1
    viewer = napari.Viewer(title="napari-finetune: phases")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.add_image(image, name="superalloy")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Fine-tune")
    widget.pairs.class_names.value = "matrix, secondary γ′, tertiary γ′"
    widget.pairs.new_painting.clicked.emit()
    painting = viewer.layers["superalloy painted"]
    rng = np.random.default_rng(0)
    rows, cols = truth.shape
    for _ in range(4):
        y, x = int(rng.integers(0, rows - 64)), int(rng.integers(0, cols - 64))
        painting.data[y : y + 64, x : x + 64] = truth[y : y + 64, x : x + 64]
    painting.refresh()
    widget.seconds.value = seconds
    widget.train.clicked.emit()
    wait_for(widget, seconds=seconds + 120)
    for suffix in ("uncertainty", "suggestions"):  # shown in the active-learning figures
        viewer.layers[f"superalloy {suffix}"].visible = False
    viewer.layers.selection.active = viewer.layers["superalloy prediction"]
    viewer.layers["superalloy prediction"].opacity = 0.45
    shot(viewer, out / "phase_classes.png")
    # The prediction's phases measured: no boundary class, so area fractions only.
    _, measure = viewer.window.add_plugin_dock_widget(PLUGIN, "Measure grains")
    measure.measure_layer(viewer.layers["superalloy prediction"])
    wait_for(measure)
    settle_events()  # the long result laid out first
    scroll_dock_to(measure, measure.plot)  # the fractions' bars under the numbers
    settle_events()
    shot(viewer, out / "measure_phases.png")
    viewer.close()


def adaptation(out: Path, seconds: int = 20) -> None:
    """The dock's adaptation levers (L2-SP + MMD, pseudo-labels on) mid-training."""
    viewer = napari.Viewer(title="napari-finetune: adaptation")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.open_sample(PLUGIN, "painted")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Fine-tune")
    widget.seconds.value = seconds
    widget.adaptation.value = "l2sp+mmd"
    widget.semi_supervised.value = True
    widget.train.clicked.emit()
    started = time.monotonic()
    while time.monotonic() - started < 0.7 * seconds:
        QApplication.processEvents()
        time.sleep(0.01)
    shot(viewer, out / "adaptation.png")
    wait_for(widget, seconds=seconds + 120)
    viewer.close()


def view_on_screens(out: Path) -> None:
    """``napari-finetune view`` (painted sample, four docks tabified) filling each screen."""
    for width, height in SCREENS:
        viewer = napari.Viewer(title="napari-finetune")
        viewer.open_sample(PLUGIN, "painted")
        for name in VIEW_DOCKS:
            viewer.window.add_plugin_dock_widget(PLUGIN, name, tabify=True)
        window = viewer.window._qt_window
        window.resize(width, height)
        settle(viewer)
        if (window.width(), window.height()) != (width, height):
            print(
                f"the window does not fit {width} × {height}: it is {window.width()} × "
                f"{window.height()}",
                file=sys.stderr,
            )
        shot(viewer, out / f"view_{width}x{height}.png")
        viewer.close()


def deep_stack(out: Path, seconds: int = 20) -> None:
    """A deep stack (64 × 1024²): a round, then Predict plane by plane, shot mid-run."""
    import dask.array as da
    import numpy as np

    import napari_finetune as nf
    from napari_finetune.synth.strokes import paint_strokes

    samples = [nf.voronoi_grains((1024, 1024), 80, target_domain=True, seed=s) for s in range(8)]
    planes = np.stack([(s.image * 255).astype(np.uint8) for s in samples])
    stack = da.concatenate([da.from_array(planes, chunks=(1, 1024, 1024))] * 8)
    painting = np.zeros(stack.shape, np.uint8)
    painting[3] = paint_strokes(samples[3], seed=3)
    painting[21] = paint_strokes(samples[5], seed=5)
    viewer = napari.Viewer(title="napari-finetune: a deep stack")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.add_image(stack, name="FIB-SEM stack", contrast_limits=(0, 255))
    viewer.add_labels(painting, name="FIB-SEM stack painted")
    viewer.dims.set_current_step(0, 21)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Fine-tune")
    widget.seconds.value = seconds
    widget.train.clicked.emit()
    wait_for(widget, seconds=300)
    viewer.layers["FIB-SEM stack uncertainty"].visible = False
    viewer.layers["FIB-SEM stack suggestions"].visible = False
    viewer.layers.selection.active = viewer.layers["FIB-SEM stack prediction"]
    widget.files.predict_on.value = viewer.layers["FIB-SEM stack"]
    widget.files.predict_button.clicked.emit()
    viewer.dims.set_current_step(0, 5)  # predicted early: the plane in view goes first, then 0…
    shot_mid_prediction(viewer, widget, out / "deep_stack.png", 15)
    viewer.close()


def shot_mid_prediction(viewer: napari.Viewer, widget: object, path: Path, seconds: float) -> None:
    """Shoot a plane-by-plane *Predict* ``seconds`` after its click, then stop it."""
    scroll_dock_to(widget, widget.files.predict_button.native)
    end = time.time() + seconds
    while time.time() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    shot(viewer, path)
    widget.files.predict_button.clicked.emit()  # Stop prediction
    while widget.files.stack.running:
        QApplication.processEvents()
        time.sleep(0.02)


def stack_store(out: Path, planes: int = 24, stop_after: int = 10) -> None:
    """An OME-Zarr z-stack predicted by ``predict-large``'s core, stopped, reopened; then Predict.

    Two figures: ``stack_store.png`` (the stopped store reopened over the
    multiscale z-stack, the warning saying how many planes are final) and
    ``multiscale_stack_predict.png`` (the dock's *Predict* on that multiscale
    stack, plane by plane, mid-run).
    """
    import tempfile

    import dask.array as da
    import numpy as np
    import zarr

    import napari_finetune as nf
    from napari_finetune._widgets._open_prediction import add_prediction_store
    from napari_finetune.inference.lazy import predict_bands

    sample = nf.voronoi_grains((1536, 1536), 200, target_domain=True, seed=11).image
    base = (255 * sample).astype(np.uint8)
    stack = np.stack([base[4 * z : 4 * z + 1024, 3 * z : 3 * z + 1024] for z in range(planes)])
    store = Path(tempfile.mkdtemp()) / "fib-sem.ome.zarr"
    root = zarr.open_group(str(store), mode="w", zarr_format=2)
    axes = [{"name": n, "type": "space", "unit": "micrometer"} for n in "zyx"]
    datasets = []
    for level in range(2):
        f = 2**level
        root.create_array(str(level), data=stack[:, ::f, ::f], chunks=(1, 512, 512))
        scale = [{"type": "scale", "scale": [0.02, 0.005 * f, 0.005 * f]}]
        datasets.append({"path": str(level), "coordinateTransformations": scale})
    root.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": datasets}]
    events = predict_bands(nf.load_model("world-unet"), store, uncertainty=True)
    for event in events:
        if getattr(event, "planes_done", 0) == stop_after:
            break
    events.close()  # as Ctrl-C in predict-large: the planes done stay, marked incomplete

    viewer = napari.Viewer(title="napari-finetune: a z-stack predicted plane by plane")
    viewer.window.resize(*WINDOW_SIZE)
    levels = [da.from_zarr(root[str(level)]) for level in range(2)]
    image = viewer.add_image(
        levels, name="fib-sem.ome", multiscale=True, scale=(0.02, 0.005, 0.005), units="µm"
    )
    add_prediction_store(viewer, str(store / "labels" / "prediction"))
    viewer.dims.set_current_step(0, stop_after - 3)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Fine-tune")
    settle(viewer)
    shot(viewer, out / "stack_store.png")
    widget.files.predict_on.value = image
    viewer.dims.set_current_step(0, stop_after + 4)  # not in the store: the dock does it first
    widget.files.predict_button.clicked.emit()
    shot_mid_prediction(viewer, widget, out / "multiscale_stack_predict.png", 12)
    viewer.close()


def main(out: Path, every_sample: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    view_on_screens(out)

    viewer = napari.Viewer(title="napari-finetune")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.window.add_plugin_dock_widget(PLUGIN, "Synthetic grains")
    viewer.open_sample(PLUGIN, "painted")
    viewer.open_sample(PLUGIN, "equiaxed")
    # Readme figure: the painted strokes over the equiaxed sample's boundaries
    # would clutter; show the equiaxed sample with its boundaries on top.
    for layer in viewer.layers:
        layer.visible = layer.name.startswith("equiaxed") and "ids" not in layer.name
    shot(viewer, out / "napari_equiaxed_sample.png")

    for layer in viewer.layers:
        layer.visible = layer.name in ("grains", "grains painted")
    viewer.layers.selection.active = viewer.layers["grains painted"]
    shot(viewer, out / "napari_painted_sample.png")
    viewer.close()

    augmentation_preview(out / "augmentation_preview.png")
    fine_tune(out)
    measure_grains(out)
    every_plane(out)
    reopened_prediction(out)
    compare_strategies(out)
    phases(out)
    deep_stack(out)
    stack_store(out)
    if not every_sample:
        return

    for key in ("directional", "target_domain", "nist_steel"):
        viewer = napari.Viewer(title=f"napari-finetune: {key}")
        viewer.window.resize(*WINDOW_SIZE)
        viewer.open_sample(PLUGIN, key)
        shot(viewer, out / f"napari_{key}_sample.png")
        viewer.close()


def every_plane(out: Path, planes: int = 8) -> None:
    """*Every plane (CSV)…* of Measure grains on a prediction of serial sections, done."""
    import numpy as np

    import napari_finetune as nf
    from napari_finetune._widgets.measure_grains import MeasureGrainsWidget

    csv = tempfile.TemporaryDirectory()  # the CSVs it writes are no figures
    asked = MeasureGrainsWidget._ask_path
    MeasureGrainsWidget._ask_path = lambda self, default, pattern: str(Path(csv.name, default))
    viewer = napari.Viewer(title="napari-finetune: every plane")
    viewer.window.resize(*WINDOW_SIZE)
    grains = [
        nf.voronoi_grains((384, 384), 40 + 5 * z, target_domain=True, seed=20 + z)
        for z in range(planes)
    ]
    placed = {"scale": (0.05, 0.2, 0.2), "units": ("µm",) * 3}  # 50 nm sections, 0.2 µm px
    viewer.add_image(np.stack([g.image for g in grains]), name="sections", **placed)
    role = {"napari_finetune": {"role": "prediction", "classes": {"1": "grain", "2": "boundary"}}}
    classes = np.stack([g.classes for g in grains])
    viewer.add_labels(classes, name="sections prediction", metadata=role, **placed)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Measure grains")
    widget.source.value = viewer.layers["sections prediction"]
    viewer.dims.set_current_step(0, 3)
    widget.every_plane.button.clicked.emit()
    deadline = time.monotonic() + 120
    while widget.every_plane._worker is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    shot(viewer, out / "every_plane.png")
    viewer.close()
    MeasureGrainsWidget._ask_path = asked
    csv.cleanup()


def reopen_and_measure(out: Path) -> None:
    """The figures of ``--reopen``: a store reopened and measured, then *Measure grains*."""
    reopened_prediction(out)
    measure_grains(out)


# One flag, one figure (or a few): the rest of the run is left out.
ONLY = {
    "--screens": view_on_screens,
    "--phases": phases,
    "--adaptation": adaptation,
    "--reopen": reopen_and_measure,
    "--every-plane": every_plane,
    "--deep-stack": deep_stack,
    "--stack-store": stack_store,
    "--advisor": compare_strategies,
    "--fine-tune": fine_tune,
    "--augment": lambda out: augmentation_preview(out / "augmentation_preview.png"),
}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = Path(args[0]) if args else Path("docs/images")
    chosen = [flag for flag in ONLY if flag in sys.argv]
    if chosen:
        folder.mkdir(parents=True, exist_ok=True)
        ONLY[chosen[0]](folder)
    else:
        main(folder, every_sample="--all" in sys.argv)
