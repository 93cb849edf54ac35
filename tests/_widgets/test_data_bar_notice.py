"""The Fine-tune dock says when an SEM image in training still has its FEI data bar."""

import numpy as np
import pytest
import tifffile
from napari.layers._source import layer_source
from napari.utils.colormaps import DirectLabelColormap

from napari_finetune._widgets import _data_bar_notice as notice
from napari_finetune._widgets.fine_tune_dock import FineTuneWidget

# 100 rows in the file, 90 imaged: a 10-row data bar; 50 nm pixels.
FEI_INI = "[Scan]\nPixelWidth=5e-08\n[Image]\nResolutionX=120\nResolutionY=90\n"


def _fei_tiff(path):
    image = np.random.default_rng(0).integers(60, 140, (100, 120), dtype=np.uint8)
    image[90:] = 255  # the bar: white text on black
    image[90:, ::7] = 0
    tifffile.imwrite(path, image, extratags=[(34682, "s", 0, FEI_INI, True)])
    return path


def _shown(widget):
    return not widget.native.isHidden()


def test_crop_data_bar_adds_cropped_calibrated_layers_and_the_row_uses_them(
    make_napari_viewer, tmp_path, monkeypatch
):
    reads = []
    counted = notice.data_bar_rows_left
    monkeypatch.setattr(notice, "data_bar_rows_left", lambda *a: reads.append(a) or counted(*a))
    viewer = make_napari_viewer()
    # napari's own File ▸ Open: the whole file, the bar included, the file as its source.
    [image] = viewer.open(_fei_tiff(tmp_path / "sem_001.tif"), plugin="napari")
    assert image.data.shape == (100, 120) and image.source.path
    strokes = np.zeros((100, 120), np.uint8)
    strokes[10:20, 10:60], strokes[95, :] = 1, 2  # a stroke in the bar too
    colours = DirectLabelColormap(color_dict={None: "black", 1: "cyan", 2: "magenta"})
    meta = {"napari_finetune": {"classes": {1: "grain interior", 2: "boundary"}}}
    labels = viewer.add_labels(strokes, name="sem_001 painted", colormap=colours, metadata=meta)
    before_image, before_labels = image.data.copy(), labels.data.copy()
    w = FineTuneWidget(viewer)
    row = w.pairs.rows()[0]
    assert row.image_layer.value is image and row.labels_layer.value is labels
    bar = w.data_bar
    assert _shown(bar.line) and _shown(bar.button)
    assert bar.line.value == (
        "'sem_001' still has its 10-row FEI data bar: the network would learn it and "
        "normalise with it."
    )
    w._suggest_strategy()  # every layer event and stroke re-checks: the file is read once
    labels.events.paint(value=None)
    assert len(reads) == 1

    bar.crop.clicked.emit()

    specimen = viewer.layers["sem_001 specimen"]
    copied = viewer.layers["sem_001 painted specimen"]
    np.testing.assert_array_equal(specimen.data, before_image[:90])
    np.testing.assert_array_equal(copied.data, before_labels[:90])
    assert tuple(specimen.scale) == pytest.approx((50, 50)) and tuple(copied.scale) == tuple(
        specimen.scale
    )
    assert str(specimen.units[-1]) == "nanometer" and str(copied.units[-1]) == "nanometer"
    assert copied.colormap.map(2)[:3] == pytest.approx(colours.map(2)[:3])
    assert copied.metadata == meta and copied.metadata is not labels.metadata
    # The user's layers are as they were; the row trains on the new ones.
    np.testing.assert_array_equal(image.data, before_image)
    np.testing.assert_array_equal(labels.data, before_labels)
    assert image.data.shape == (100, 120) and tuple(image.scale) == (1, 1)
    assert row.image_layer.value is specimen and row.labels_layer.value is copied
    copied.data[0, 0] = 2  # the copy is the user's to paint: never the original's pixels
    assert labels.data[0, 0] == 0
    assert not _shown(bar.line) and not _shown(bar.button)
    assert w.pairs.session_pairs()[0].image.shape == (90, 120)
    assert w.status.value == (
        "Added 'sem_001 specimen' and 'sem_001 painted specimen' without the 10-row data "
        "bar; training uses them. 'sem_001' is unchanged."
    )


def test_the_line_follows_the_image_chosen_and_hides_for_other_images(
    make_napari_viewer, tmp_path
):
    viewer = make_napari_viewer()
    [sem] = viewer.open(_fei_tiff(tmp_path / "sem.tif"), plugin="napari")
    plain = viewer.add_image(np.zeros((100, 120), np.uint8), name="plain")
    w = FineTuneWidget(viewer)
    row = w.pairs.rows()[0]
    assert row.image_layer.value is plain
    assert not _shown(w.data_bar.line) and not _shown(w.data_bar.button)
    row.image_layer.value = sem  # no labels change: the row's own event says it
    assert _shown(w.data_bar.line) and "'sem' still has its 10-row" in w.data_bar.line.value
    # The same file read without its bar: nothing to say.
    with layer_source(path=str(tmp_path / "sem.tif")):
        viewer.add_image(sem.data[:90], name="opened cropped")
    assert viewer.layers["opened cropped"].source.path
    row.image_layer.value = viewer.layers["opened cropped"]
    assert not _shown(w.data_bar.line)
    # With no labels painted on it, the button adds the image only.
    row.image_layer.value = sem
    w.data_bar.crop.clicked.emit()
    assert row.image_layer.value is viewer.layers["sem specimen"]
    assert [layer.name for layer in viewer.layers if "specimen" in layer.name] == ["sem specimen"]
