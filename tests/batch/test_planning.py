import pytest
import tifffile

from napari_finetune.batch import plan_predictions


def test_outputs_are_named_and_done_files_skipped(folder, tmp_path):
    out = tmp_path / "out"
    plan = plan_predictions(folder, out, probabilities=True)
    assert plan.files[0].outputs == (
        out / "a_prediction.tif",
        out / "a_probabilities.tif",
    )
    assert len(plan.to_do) == 3 and not plan.skipped and not out.exists()
    out.mkdir()
    (out / "a_prediction.tif").write_bytes(b"done")
    assert len(plan_predictions(folder, out).skipped) == 1
    # With probabilities asked for, a file with only its labels is not done yet.
    assert not plan_predictions(folder, out, probabilities=True).skipped
    assert not plan_predictions(folder, out, overwrite=True).skipped


def test_the_input_folder_is_refused_as_output(folder):
    with pytest.raises(ValueError, match=r"is the folder of the input a\.tif"):
        plan_predictions(folder, folder)
    with pytest.raises(ValueError, match="is the folder of the input"):
        plan_predictions(folder / "b.tif", folder / "." / "")


def test_an_output_folder_below_a_file_is_refused(folder, tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match=r"notes\.txt is a file, not a folder"):
        plan_predictions(folder, tmp_path / "notes.txt" / "out")
    with pytest.raises(ValueError, match=r"--output .*notes\.txt is a file, not a folder"):
        plan_predictions(folder, tmp_path / "notes.txt", what="--output")


def test_images_with_one_output_name_are_refused(folder, tmp_path, grains_image):
    from skimage.io import imsave

    imsave(folder / "a.png", (grains_image(3) * 0).astype("uint8"), check_contrast=False)
    with pytest.raises(ValueError, match=r"a\.png and .*a\.tif would both write a_prediction"):
        plan_predictions(folder, tmp_path / "out")
    (tmp_path / "other").mkdir()
    tifffile.imwrite(tmp_path / "other" / "b.tif", grains_image(4))
    with pytest.raises(ValueError, match=r"would both write b_prediction\.tif"):
        plan_predictions([folder / "b.tif", tmp_path / "other" / "b.tif"], tmp_path / "out")


def test_names_differing_in_case_or_unicode_form_are_one_output(tmp_path, grains_image):
    # On macOS and Windows disks A_prediction.tif and a_prediction.tif are one file.
    images = tmp_path / "images"
    images.mkdir()
    tifffile.imwrite(images / "A.tif", grains_image(0))
    tifffile.imwrite(images / "a.tiff", grains_image(1))
    with pytest.raises(ValueError, match=r"A\.tif and .*a\.tiff would both write a_prediction"):
        plan_predictions(images, tmp_path / "out")
    (images / "A.tif").unlink()
    tifffile.imwrite(images / "caf\u00e9.tif", grains_image(2))  # é composed, and decomposed
    tifffile.imwrite(images / "cafe\u0301.tif", grains_image(3))
    with pytest.raises(ValueError, match="would both write caf"):
        plan_predictions(images, tmp_path / "out")


def test_the_default_output_folder_is_beside_the_images(folder, tmp_path):
    from napari_finetune.batch import default_output_dir

    out = default_output_dir(folder)
    assert out == tmp_path / "images_predictions"
    assert default_output_dir(f"{folder}/") == out
    plan = plan_predictions(folder, out)  # accepted: not the images' folder
    assert plan.files[0].outputs == (out / "a_prediction.tif",)
