import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from napari_finetune._widgets import measure_grains as module
from napari_finetune._widgets._every_plane import EveryPlane
from napari_finetune._widgets.measure_grains import MeasureGrainsWidget


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(module, "show_error", shown.append)
    return shown


def measured(widget, qtbot):
    widget.measure.clicked.emit()
    qtbot.waitUntil(lambda: widget._worker is None, timeout=60_000)


def test_measures_the_traced_steel_boundaries_in_micrometres(steel, qtbot, errors):
    traced = steel.layers["NIST steel boundaries"]
    before = traced.data.copy()
    w = MeasureGrainsWidget(steel)
    assert w.source.value is traced  # the newest labels layer
    assert w.unit.value == "µm" and w.pixel_size.value == pytest.approx(0.2252)
    measured(w, qtbot)
    assert errors == []
    grains = steel.layers["NIST steel boundaries grains"]
    assert grains.data.shape == (600, 800) and grains.data.max() > 150
    # hovering a grain shows its row: features are indexed by grain id
    features = grains.features.set_index("index")
    some = int(grains.data[300, 400])
    assert features.loc[some, "area"] > 0 and "ecd" in features.columns
    pattern = steel.layers["NIST steel boundaries E112 pattern"]
    assert len(pattern.data) == 7 and list(pattern.shape_type).count("ellipse") == 3
    assert "ASTM E112 G =" in w.status.value and "µm" in w.status.value
    np.testing.assert_array_equal(traced.data, before)  # never modified


def test_export_writes_the_table_and_its_summary(steel, qtbot, tmp_path, monkeypatch):
    w = MeasureGrainsWidget(steel)
    measured(w, qtbot)
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "g.csv")
    )
    w.export.clicked.emit()
    table = pd.read_csv(tmp_path / "g.csv")
    summary = pd.read_csv(tmp_path / "g_summary.csv")
    assert len(table) == summary["grains"].iloc[0] and "area (µm²)" in table.columns
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "r.png")
    )
    w.report.clicked.emit()  # drawn in a worker, not the GUI thread
    qtbot.waitUntil(lambda: "Wrote r.png" in w.status.value, timeout=30_000)
    assert (tmp_path / "r.png").stat().st_size > 10_000


def test_measures_a_prediction_layer_and_names_the_results_after_the_image(
    make_napari_viewer, qtbot, errors
):
    import napari_finetune as nf

    viewer = make_napari_viewer()
    sample = nf.voronoi_grains((256, 256), 30, seed=1)
    viewer.add_image(sample.image, name="grains")
    role = {"napari_finetune": {"role": "prediction"}}  # as the Fine-tune dock marks it
    viewer.add_labels(sample.classes, name="grains prediction", metadata=role)
    w = MeasureGrainsWidget(viewer)
    assert w.source.value.name == "grains prediction" and w.unit.value == "px"
    measured(w, qtbot)
    assert viewer.layers["grains grains"].data.max() == 30
    assert "No pixel size" in w.status.value and "G =" not in w.status.value


def test_a_phase_prediction_gives_named_fractions_without_its_boundary_and_exports_them(
    make_napari_viewer, qtbot, errors, tmp_path, monkeypatch
):
    viewer = make_napari_viewer()
    classes = np.ones((96, 96), np.uint8)
    classes[:, 40:] = 3
    classes[:, 38:42] = 2  # a boundary between ferrite and pearlite
    viewer.add_image(classes.astype(np.float32), name="steel")
    named = {1: "ferrite", 2: "boundary", 3: "pearlite"}
    meta = {  # as the Fine-tune dock marks its predictions (colours_metadata)
        "napari_finetune": {
            "role": "prediction",
            "classes": {
                k: {"name": n, "colour": "red", "colour name": "red"} for k, n in named.items()
            },
        }
    }
    viewer.add_labels(classes, name="steel prediction", metadata=meta)
    w = MeasureGrainsWidget(viewer)
    measured(w, qtbot)
    assert errors == []
    assert "Phase area fractions: ferrite 41.7 % ± " in w.status.value
    assert "boundary" not in w.status.value.split("Phase area fractions:")[1]
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "g.csv")
    )
    w.export.clicked.emit()
    summary = pd.read_csv(tmp_path / "g_summary.csv").iloc[0]
    assert summary["fraction pearlite"] == pytest.approx(56 / 96)
    assert summary["fraction ferrite 95% CI"] > 0 and "fraction boundary" not in summary.index


def test_bad_layers_get_a_message_naming_them(make_napari_viewer, qtbot, errors):
    viewer = make_napari_viewer()
    rgb = viewer.add_image(np.zeros((3, 64, 64, 3), np.uint8), name="colour stack", rgb=True)
    w = MeasureGrainsWidget(viewer)
    w.source.value = rgb
    w.measure.clicked.emit()
    assert "'colour stack'" in errors[-1] and "RGB" in errors[-1]
    calibrated = viewer.add_labels(np.ones((64, 64), np.uint8), name="in µm", scale=(0.2, 0.2))
    calibrated.units = ("µm", "µm")
    w.source.value = calibrated
    assert (w.pixel_size.value, w.unit.value) == (0.2, "µm")
    uneven = viewer.add_labels(np.ones((64, 64), np.uint8), name="uneven", scale=(1, 2))
    w.source.value = uneven
    assert "'uneven'" in w.status.value and "not square" in w.status.value
    assert (w.pixel_size.value, w.unit.value) == (1.0, "px")  # not the last layer's µm
    flat = viewer.add_labels(np.ones((64, 64), np.uint8), name="one class")
    w.source.value = flat
    measured(w, qtbot)
    assert "'one class'" in errors[-1] and "one value only" in errors[-1]
    assert "one class grains" not in viewer.layers
    np.testing.assert_array_equal(flat.data, 1)


def test_a_stack_is_measured_on_the_plane_in_view(make_napari_viewer, qtbot, errors):
    import napari_finetune as nf

    viewer = make_napari_viewer()
    planes = [nf.voronoi_grains((128, 128), n, seed=1).boundaries for n in (10, 20)]
    viewer.add_labels(np.stack(planes), name="stack")
    viewer.dims.set_current_step(0, 1)
    w = MeasureGrainsWidget(viewer)
    measured(w, qtbot)
    grains = viewer.layers["stack grains"]
    # One plane, placed on plane 1 of the stack axis: no stack of zeros is made.
    assert grains.data.shape == (1, 128, 128) and grains.data.max() == 20
    assert tuple(grains.translate) == (1, 0, 0)
    assert "Plane 1" in w.status.value


def test_every_plane_of_a_stack_goes_into_one_csv_with_g_over_the_planes(
    make_napari_viewer, qtbot, errors, tmp_path, monkeypatch
):
    # Only the plane in view was measured; serial sections need each plane, one CSV.
    import napari_finetune as nf

    viewer = make_napari_viewer()
    planes = [nf.voronoi_grains((128, 128), n, seed=1).boundaries for n in (10, 20, 30)]
    painted = viewer.add_labels(np.stack(planes), name="stack", scale=(1, 0.5, 0.5))
    painted.units = ("µm", "µm", "µm")
    before = painted.data.copy()
    viewer.add_labels(planes[0], name="one plane")
    w = MeasureGrainsWidget(viewer)
    assert w.source.value.name == "one plane" and not w.every_plane.button.enabled  # a 2D map
    w.source.value = painted
    assert w.every_plane.button.enabled and w.unit.value == "µm"
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "s.csv")
    )
    said, shown = [], EveryPlane._on_plane
    monkeypatch.setattr(
        EveryPlane, "_on_plane", lambda self, n: (shown(self, n), said.append(w.status.value))
    )
    w.every_plane.button.clicked.emit()
    assert w.every_plane.button.text == "Stop measuring planes"
    qtbot.waitUntil(lambda: w.every_plane._worker is None, timeout=60_000)
    assert errors == [] and w.every_plane.button.text == "Every plane (CSV)…"
    assert said == ["Measured plane 1 of 3…", "Measured plane 2 of 3…", "Measured plane 3 of 3…"]
    summary = pd.read_csv(tmp_path / "s_summary.csv")
    assert summary["image"].tolist() == ["stack plane 0", "stack plane 1", "stack plane 2"]
    assert summary["grains"].tolist() == [10, 20, 30] and summary["plane"].tolist() == [0, 1, 2]
    assert set(pd.read_csv(tmp_path / "s.csv")["image"]) == set(summary["image"])
    # G over the planes as E112 fields, in the status line.
    assert "Wrote s.csv and s_summary.csv (a row per plane of 3)." in w.status.value
    assert "by the intercept method over 3 planes" in w.status.value
    # The plot: every plane's counted grains together (not the last plane's alone).
    bars = int(sum(patch.get_height() for patch in w.plot.axes.patches))
    counted = pd.read_csv(tmp_path / "s.csv")  # each grain a row; 'border' half-counted
    assert bars == len(counted) and bars > 30
    assert w.plot.axes.get_title() == f"{bars:,} grains of 3 planes"
    assert "log-normal" in w.plot.axes.get_legend().get_texts()[0].get_text()
    np.testing.assert_array_equal(painted.data, before)  # only read
    # Stopped while it runs: nothing is written.
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "t.csv")
    )
    w.every_plane.button.clicked.emit()
    w.every_plane.button.clicked.emit()  # Stop
    qtbot.waitUntil(lambda: w.every_plane._worker is None, timeout=60_000)
    assert not (tmp_path / "t.csv").exists()
    assert w.status.value == "Stopped measuring planes: nothing was written."


def test_every_plane_of_a_stack_of_phases_gives_each_phase_over_the_planes(
    make_napari_viewer, qtbot, errors, tmp_path, monkeypatch
):
    """Serial sections of a superalloy: each phase's fraction over the planes as fields."""
    viewer = make_napari_viewer()
    planes = np.ones((4, 96, 96), np.uint8)
    for z in range(4):  # γ′ grows from 30 to 45 of 96 columns
        planes[z, :, 10 : 40 + 5 * z] = 2
    named = {1: "matrix", 2: "γ′"}
    meta = {"napari_finetune": {"classes": {k: {"name": n} for k, n in named.items()}}}
    layer = viewer.add_labels(planes, name="alloy prediction", metadata=meta)
    w = MeasureGrainsWidget(viewer)
    w.source.value = layer
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "p.csv")
    )
    w.every_plane.button.clicked.emit()
    qtbot.waitUntil(lambda: w.every_plane._worker is None, timeout=60_000)
    assert errors == []
    summary = pd.read_csv(tmp_path / "p_summary.csv")
    per_plane = [(30 + 5 * z) / 96 for z in range(4)]
    assert summary["fraction γ′"].tolist() == pytest.approx(per_plane)
    mean = 100 * np.mean(per_plane)
    assert f"Area fraction: γ′ {mean:.1f} % (95% CI" in w.status.value
    assert "over 4 planes." in w.status.value
    # The plot: the mean over the planes, in the layer's colours (no grains to pool).
    bars = w.plot.axes.patches
    assert [b.get_width() for b in bars] == pytest.approx([100 - mean, mean])
    np.testing.assert_allclose(bars[1].get_facecolor()[:3], layer.get_color(2)[:3])
    assert w.plot.axes.get_title() == "mean of 4 planes"


def test_every_plane_without_grains_clears_the_plot_of_the_plane_measured_before(
    make_napari_viewer, qtbot, errors, tmp_path, monkeypatch
):
    import napari_finetune as nf

    viewer = make_napari_viewer()
    planes = np.stack([nf.voronoi_grains((96, 96), 12, seed=1).boundaries] * 2)
    viewer.add_labels(planes, name="stack")
    w = MeasureGrainsWidget(viewer)
    measured(w, qtbot)  # the plane in view: its histogram is drawn
    assert w.plot.axes.patches
    blank = viewer.add_labels(np.zeros_like(planes), name="blank")  # no boundary on any plane
    w.source.value = blank
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "b.csv")
    )
    w.every_plane.button.clicked.emit()
    qtbot.waitUntil(lambda: w.every_plane._worker is None, timeout=60_000)
    assert errors == [] and "2 of 2 planes: not measured" in w.status.value
    assert not w.plot.axes.patches and w.plot.axes.get_title() == ""


def test_a_plane_of_a_per_class_probability_stack_is_measured(make_napari_viewer, qtbot, errors):
    import napari_finetune as nf

    viewer = make_napari_viewer()
    boundaries = np.stack([nf.voronoi_grains((96, 96), n, seed=1).boundaries for n in (8, 12)])
    probs = np.stack([1.0 - boundaries, boundaries, np.zeros_like(boundaries)]).astype(np.float32)
    role = {"napari_finetune": {"role": "probabilities", "shows": "each class"}}
    # (class, plane, row, col): 3 classes, 2 planes, with a plane step of 2 from 10
    viewer.add_image(probs, name="grains probabilities", metadata=role, scale=(1, 2, 1, 1))
    viewer.layers[-1].translate = (0, 10, 0, 0)
    viewer.dims.set_current_step(1, 12)  # world 12: plane 1
    w = MeasureGrainsWidget(viewer)
    w.source.value = viewer.layers["grains probabilities"]
    measured(w, qtbot)
    assert errors == []
    grains = viewer.layers["grains grains"]
    assert grains.data.shape == (1, 96, 96) and grains.data.max() == 12
    assert tuple(grains.translate) == (12, 0, 0) and tuple(grains.scale) == (2, 1, 1)


def test_pixel_size_keeps_its_digits_and_a_unitless_scale_is_prefilled(make_napari_viewer):
    viewer = make_napari_viewer()
    fine = viewer.add_labels(np.zeros((32, 32), np.uint8), name="fine", scale=(2.252e-4,) * 2)
    fine.units = ("mm", "mm")
    w = MeasureGrainsWidget(viewer)
    w.source.value = fine
    assert w.unit.value == "mm" and w.pixel_size.value == pytest.approx(2.252e-4, rel=1e-6)
    bare = viewer.add_labels(np.zeros((32, 32), np.uint8), name="bare", scale=(0.2252, 0.2252))
    w.source.value = bare  # napari's default unit: 'pixel'
    assert w.pixel_size.value == pytest.approx(0.2252) and w.unit.value == "px"
    assert "'bare'" in w.status.value and "no unit: choose the unit" in w.status.value


def test_a_painting_is_not_measured_by_default_and_refused_when_chosen(
    make_napari_viewer, qtbot, errors
):
    import napari_finetune as nf
    from napari_finetune._sample_data import painted_layer
    from napari_finetune.synth.strokes import paint_strokes

    viewer = make_napari_viewer()
    sample = nf.voronoi_grains((128, 128), 12, seed=1)
    viewer.add_labels(sample.boundaries, name="grains boundaries")
    data, kwargs, _ = painted_layer(paint_strokes(sample, seed=0), "grains painted")
    painting = viewer.add_labels(data, **kwargs)
    w = MeasureGrainsWidget(viewer)
    assert w.source.value.name == "grains boundaries"  # not the newer painting
    w.source.value = painting
    measured(w, qtbot)
    assert "'grains painted'" in errors[-1] and "it is a painting, not a map" in errors[-1]
    assert "grains painted grains" not in viewer.layers


def test_a_model_of_phases_only_gives_fractions_no_grains_and_exports_them(
    make_napari_viewer, qtbot, errors, tmp_path, monkeypatch
):
    """Its fractions are plotted as bars and leave the canvas: Export CSV and the report.

    Both buttons stayed disabled before: a phase map's fractions could only be copied
    from the status line.
    """
    viewer = make_napari_viewer()
    classes = np.ones((96, 96), np.uint8)
    classes[:, 40:] = 3
    classes[:, 38:62] = 2  # a wide band of γ′: a 4 px one is thin, as a boundary is
    named = {1: "matrix", 2: "secondary γ′", 3: "tertiary γ′"}
    classes_meta = {
        k: {"name": n, "colour": "red", "colour name": "red"} for k, n in named.items()
    }
    meta = {"napari_finetune": {"role": "prediction", "classes": classes_meta}}
    viewer.add_image(np.random.default_rng(0).random((96, 96)), name="alloy")
    layer = viewer.add_labels(classes, name="alloy prediction", metadata=meta)
    before = classes.copy()
    w = MeasureGrainsWidget(viewer)
    measured(w, qtbot)
    assert errors == [] and "alloy grains" not in viewer.layers
    assert w.status.value.startswith("no class is a boundary: grain size not measured")
    assert "Phase area fractions: matrix" in w.status.value
    # The plot: one bar per phase, as long as its fraction, in the layer's colours.
    bars = w.plot.axes.patches
    assert [round(b.get_width(), 1) for b in bars] == [
        round(100 * (classes == k).mean(), 1) for k in (1, 2, 3)
    ]
    assert [t.get_text() for t in w.plot.axes.get_yticklabels()] == list(named.values())
    np.testing.assert_allclose(bars[1].get_facecolor()[:3], layer.get_color(2)[:3])
    assert w.export.enabled and w.report.enabled
    asked = []

    def ask(self, default, pattern):
        asked.append(default)
        return str(tmp_path / ("f.csv" if pattern.startswith("CSV") else "f.png"))

    monkeypatch.setattr(MeasureGrainsWidget, "_ask_path", ask)
    w.export.clicked.emit()
    table = pd.read_csv(tmp_path / "f.csv")
    assert table["phase"].tolist() == list(named.values())
    assert table["image"].unique().tolist() == ["alloy"]
    assert table["area fraction"].tolist() == pytest.approx(
        [(classes == k).mean() for k in (1, 2, 3)]
    )
    assert (table["95% low"] <= table["area fraction"]).all() and table["fields"].eq(9).all()
    assert table["particles per px²"].isna().all()  # bands, not particles: no discrete phase
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv"]  # no empty grain files
    w.report.clicked.emit()  # drawn in a worker, over the image read there
    qtbot.waitUntil(lambda: "Wrote f.png" in w.status.value, timeout=30_000)
    assert (tmp_path / "f.png").stat().st_size > 10_000
    assert asked == ["alloy phase fractions.csv", "alloy phases.png"]
    np.testing.assert_array_equal(layer.data, before)  # never modified


def test_phase_probabilities_take_their_predictions_colours_and_the_report_its_plane(
    make_napari_viewer, qtbot, errors, tmp_path, monkeypatch
):
    """A stack's probabilities: bars in the prediction's colours; the report's image is
    the plane measured even when the slider has moved since."""
    from napari_finetune._widgets import _measure_files

    viewer = make_napari_viewer()
    classes = np.ones((2, 64, 64), np.uint8)
    classes[0, :, 20:] = 2
    classes[1, :, 40:] = 2
    classes[:, :8, :8] = 3  # a fine phase: three classes, stored per class
    images = np.stack([np.full((64, 64), z, np.float32) for z in (0, 1)])  # plane z holds z
    viewer.add_image(images, name="alloy")
    named = {k: {"name": n} for k, n in {1: "matrix", 2: "γ′", 3: "fine γ′"}.items()}
    prediction = viewer.add_labels(
        classes, name="alloy prediction", metadata={"napari_finetune": {"role": "prediction"}}
    )
    probabilities = np.stack([classes == k for k in (1, 2, 3)]).astype(np.float32)
    shows = "probability of each class (first axis = class 1..K)"  # as the dock marks it
    meta = {"napari_finetune": {"role": "probabilities", "classes": named, "shows": shows}}
    layer = viewer.add_image(probabilities, name="alloy probabilities", metadata=meta)
    viewer.dims.set_current_step(1, 1)  # the per-class axis first: planes are axis 1
    w = MeasureGrainsWidget(viewer)
    w.source.value, w.kind.value = layer, "probabilities"
    measured(w, qtbot)
    assert errors == [] and w.status.value.startswith("Plane 1 of 'alloy probabilities'")
    bars = w.plot.axes.patches
    expected = [100 * (classes[1] == k).mean() for k in (1, 2, 3)]
    assert [b.get_width() for b in bars] == pytest.approx(expected)  # plane 1's
    np.testing.assert_allclose(bars[1].get_facecolor()[:3], prediction.get_color(2)[:3])
    drawn = {}
    monkeypatch.setattr(
        _measure_files,
        "write_phase_report",
        lambda path, image, classes, phases, lines, colours: (
            drawn.update(image=image, lines=lines, colours=colours) or Path(path)
        ),
    )
    monkeypatch.setattr(
        MeasureGrainsWidget, "_ask_path", lambda self, default, pattern: str(tmp_path / "r.png")
    )
    viewer.dims.set_current_step(1, 0)  # the user looks at plane 0, then saves the report
    w.report.clicked.emit()
    qtbot.waitUntil(lambda: "Wrote r.png" in w.status.value, timeout=30_000)
    assert drawn["image"].shape == (64, 64) and (drawn["image"] == 1).all()  # plane 1
    assert drawn["lines"][0] == "Plane 1 of the stack."
    assert drawn["colours"][2][:3] == pytest.approx(prediction.get_color(2)[:3])


def test_a_lazy_map_is_read_in_the_worker_and_a_huge_one_is_refused(
    make_napari_viewer, qtbot, errors
):
    import dask
    import dask.array as da

    import napari_finetune as nf

    viewer = make_napari_viewer()
    boundaries = nf.voronoi_grains((128, 128), 12, seed=2).boundaries
    in_gui_thread = []

    def noted(block):
        in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return block

    lazy = da.from_array(boundaries, chunks=64).map_blocks(noted, dtype=boundaries.dtype)
    layer = viewer.add_labels(lazy, name="lazy map", visible=False)  # hidden: napari reads none
    w = MeasureGrainsWidget(viewer)
    w.source.value = layer
    in_gui_thread.clear()
    with dask.config.set(scheduler="synchronous"):  # blocks computed in the thread that asks
        measured(w, qtbot)
    assert errors == [] and in_gui_thread == [False] * 4  # 4 chunks, all read in the worker
    assert viewer.layers["lazy map grains"].data.max() > 0

    def never(block):
        raise AssertionError("a pixel of the huge map was read")

    huge = da.zeros((30_000, 30_000), np.uint8, chunks=10_000).map_blocks(never, dtype=np.uint8)
    role = {"napari_finetune": {"role": "prediction"}}
    levels = [huge, huge[::4, ::4], huge[::16, ::16]]
    big = viewer.add_labels(levels, name="huge prediction", metadata=role, visible=False)
    w.source.value = big
    w.measure.clicked.emit()
    assert w._worker is None
    assert errors[-1].startswith("Measure grains: layer 'huge prediction': its planes are 30000")
    assert "napari-finetune predict --measure" in errors[-1]
    assert "huge grains" not in viewer.layers


def test_open_sem_tiff_sets_the_calibration_and_crops_the_data_bar(
    make_napari_viewer, tmp_path, monkeypatch
):
    import tifffile

    ini = "[Scan]\nPixelWidth=5e-08\n[Image]\nResolutionY=90\n"
    path = tmp_path / "sem.tif"
    tifffile.imwrite(path, np.ones((100, 120), np.uint8), extratags=[(34682, "s", 0, ini, True)])
    viewer = make_napari_viewer()
    w = MeasureGrainsWidget(viewer)
    monkeypatch.setattr(MeasureGrainsWidget, "_ask_open_path", lambda self: str(path))
    w.open_tiff.clicked.emit()
    layer = viewer.layers["sem"]
    assert layer.data.shape == (90, 120)
    assert layer.scale[-1] == pytest.approx(50.0) and str(layer.units[-1]) == "nanometer"
    assert "data bar was cropped" in w.status.value and "50 nm/px" in w.status.value


def test_measuring_again_replaces_both_result_layers_in_one_batch(
    make_napari_viewer, qtbot, errors, monkeypatch
):
    import gc

    import napari_finetune as nf

    viewer = make_napari_viewer()
    sample = nf.voronoi_grains((128, 128), 12, seed=2)
    viewer.add_labels(sample.classes, name="grains")
    w = MeasureGrainsWidget(viewer)
    measured(w, qtbot)
    first = viewer.layers["grains grains"]
    # napari (0.9) collects garbage after each removal: 0.1-0.4 s with torch loaded
    collections = []
    with monkeypatch.context() as patch:  # undone here: napari's teardown collects for real
        patch.setattr(gc, "collect", lambda *a, **k: collections.append(a) or 0)
        measured(w, qtbot)
    assert len(collections) <= 1  # the old grains and pattern removed as one batch
    names = [layer.name for layer in viewer.layers]
    assert names == ["grains", "grains grains", "grains E112 pattern"]
    assert viewer.layers["grains grains"] is not first and errors == []
