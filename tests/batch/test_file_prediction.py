"""One image of a folder run: an SEM image's data bar is cropped before predicting."""

import numpy as np
import tifffile

import napari_finetune as nf
from napari_finetune.batch import predict_folder
from napari_finetune.data.calibration import open_calibrated

BAR = 24


def test_a_data_bar_is_cropped_before_predicting_and_its_rows_are_not_predicted(
    tmp_path, model, grains_image
):
    specimen = grains_image(0, (104, 96))
    image = np.vstack([specimen, np.zeros((BAR, 96), specimen.dtype)])
    image[-12:-4, 10:80] = 4 * specimen.max()  # the bar's white text
    folder = tmp_path / "in"
    folder.mkdir()
    ini = "[Scan]\nPixelWidth=2e-07\n[Image]\nResolutionY=104\n"
    tifffile.imwrite(folder / "fei.tif", image, extratags=[(34682, "s", 0, ini, True)])
    run = predict_folder(model, folder, tmp_path / "out", probabilities=True)
    assert run.rows[0].shape == image.shape
    labels = tifffile.imread(tmp_path / "out" / "fei_prediction.tif")
    probabilities = tifffile.imread(tmp_path / "out" / "fei_probabilities.tif")
    assert labels.shape == image.shape and probabilities.shape == (2, *image.shape)
    # The specimen is predicted as the viewer's Open SEM TIFF shows it: bar cropped.
    viewed, _ = open_calibrated(folder / "fei.tif")
    expected = nf.predict(model, viewed)
    np.testing.assert_allclose(probabilities[:, :-BAR], expected, atol=1e-5)
    # The bar's rows are "not predicted": label 0, probability 0.
    assert not labels[-BAR:].any() and not probabilities[:, -BAR:].any()
    np.testing.assert_array_equal(labels[:-BAR], nf.inference.labels_from_probabilities(expected))
