"""The kernel playground's core: presets, cells, responses, and the learned kernels like them."""

import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.inference.kernels import (
    KERNEL_PRESETS,
    KernelCellError,
    apply_kernel,
    kernel_cells,
    kernel_preset,
    parse_kernel,
)
from napari_finetune.inference.learned_kernels import (
    describe_similar,
    first_layer_kernels,
    kernel_mosaic,
    kernel_similarity,
)
from napari_finetune.models.fused import fused_for_inference


def test_a_cell_that_is_not_a_number_is_refused_naming_it():
    cells = [["1", "0", "-1"], ["2", "0", "abc"], ["1", "0", "-1"]]
    with pytest.raises(ValueError, match=r"row 2, column 3: 'abc' is not a number"):
        parse_kernel(cells)
    cells[1][2] = " "
    with pytest.raises(ValueError, match="row 2, column 3 is empty"):
        parse_kernel(cells)
    for bad in ("nan", "inf", "1/0", "0,5"):
        cells[1][2] = bad
        with pytest.raises(ValueError, match="row 2, column 3"):
            parse_kernel(cells)
    for huge in ("1e400", "-1E400", "inf", "-Infinity", "NaN"):  # 1e400 overflowed uncaught
        cells[1][2] = huge
        with pytest.raises(KernelCellError, match=r"row 2, column 3: .* is not a finite number"):
            parse_kernel(cells)
    with pytest.raises(ValueError, match="square grid with an odd side"):
        parse_kernel([["1", "2"], ["3", "4"]])


def test_cells_read_fractions_and_presets_round_trip():
    assert parse_kernel([["1/16", "−2", "3e-1"]] * 3)[0].tolist() == [0.0625, -2.0, 0.3]
    for name, sizes in KERNEL_PRESETS.items():
        for size in sizes:
            kernel = kernel_preset(name, size)
            assert kernel.shape == (size, size)
            np.testing.assert_array_equal(parse_kernel(kernel_cells(kernel)), kernel)
    assert kernel_cells(kernel_preset("Gaussian", 3))[1] == ["1/8", "1/4", "1/8"]
    with pytest.raises(ValueError, match="unknown: choose Sobel x"):
        kernel_preset("Prewitt")
    with pytest.raises(ValueError, match="3 and 5"):
        kernel_preset("Sobel x", 7)


def test_sobel_x_responds_to_a_vertical_edge_not_a_horizontal_one():
    vertical = np.zeros((64, 64), np.uint8)
    vertical[:, 32:] = 200  # dark left, bright right
    horizontal = vertical.T.copy()
    for size in (3, 5):
        sobel_x = kernel_preset("Sobel x", size)
        on_edge = apply_kernel(vertical, sobel_x)
        assert on_edge.dtype == np.float32 and on_edge.shape == (64, 64)
        assert on_edge[:, 31:33].min() > 1  # normalised step of 1: a strong response
        assert np.abs(on_edge[:, :28]).max() == 0 and np.abs(on_edge[:, 36:]).max() == 0
        assert np.abs(apply_kernel(horizontal, sobel_x)).max() == 0
        assert apply_kernel(horizontal, kernel_preset("Sobel y", size))[31:33].min() > 1
    # a correlation, as a CNN computes: no flip, so bright-right is positive
    on_edge = apply_kernel(vertical, kernel_preset("Sobel x"))
    assert on_edge[10, 31] == pytest.approx(4)  # 1 + 2 + 1 across a step of 1
    np.testing.assert_allclose(apply_kernel(vertical, -kernel_preset("Sobel x")), -on_edge)
    rgb = np.repeat(vertical[..., None], 3, axis=-1)
    np.testing.assert_allclose(apply_kernel(rgb, kernel_preset("Sobel x")), on_edge)
    with pytest.raises(ValueError, match="one 2D plane"):
        apply_kernel(np.zeros((2, 64, 64)), kernel_preset("Sobel x"))


def test_kernel_similarity_finds_a_planted_kernel():
    rng = np.random.default_rng(1)
    learned = rng.normal(0, 1, (8, 1, 3, 3))
    learned[5, 0] = 3 * kernel_preset("Sobel x")
    learned[2, 0] = -0.5 * kernel_preset("Sobel x")
    similarity = kernel_similarity(kernel_preset("Sobel x"), learned)
    assert similarity.shape == (8,) and np.argmax(similarity) == 5
    assert similarity[5] == pytest.approx(1) and similarity[2] == pytest.approx(-1)
    # a 5x5 kernel is compared by its centre
    assert np.argmax(kernel_similarity(kernel_preset("Sobel x", 5), learned)) == 5
    line = describe_similar(similarity, n=2)
    assert line.startswith("Most like your kernel: learned kernel 5 (+1.00), 2 (-1.00)")
    assert not kernel_similarity(np.zeros((3, 3)), learned).any()
    assert "all-zero" in describe_similar(np.zeros(8))


def test_first_layer_kernels_are_the_folded_filters_the_network_applies():
    model = nf.load_model("voronoi-unet")
    kernels = first_layer_kernels(model)
    assert kernels.shape == (8, 1, 3, 3) and kernels.dtype == np.float32
    folded = fused_for_inference(model.net).encoder_stages[0][0].weight.numpy()
    np.testing.assert_allclose(kernels, folded, rtol=1e-5, atol=1e-6)
    mosaic, corners = kernel_mosaic(kernels, per_row=4)
    assert mosaic.shape == (7, 15) and corners[5] == (4, 4)
    np.testing.assert_array_equal(mosaic[4:7, 4:7], kernels[5, 0])
    assert np.isnan(mosaic[3]).all() and np.isnan(mosaic[:, 3]).all()  # the gaps
    rgb = kernel_mosaic(np.zeros((3, 3, 5, 5)))[0]
    assert rgb.shape == (17, 17)  # three input channels one above the other


def test_one_nan_pixel_is_refused_not_a_blank_response():
    image = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    image[5, 7] = np.nan
    with pytest.raises(ValueError, match="image contains NaN or infinite values"):
        apply_kernel(image, kernel_preset("Sobel x"))
    image[5, 7] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        apply_kernel(np.stack([image] * 3, axis=-1), kernel_preset("Sobel x"))


def test_a_grey_plane_with_a_channel_axis_of_1_is_grey():
    # (rows, cols, 1) was refused as "not one 2D plane", though predict reads it as grey.
    image = nf.voronoi_grains((48, 64), 6, seed=0).image
    kernel = kernel_preset("Sobel y")
    np.testing.assert_array_equal(
        apply_kernel(image[..., None], kernel), apply_kernel(image, kernel)
    )
    with pytest.raises(ValueError, match=r"shape \(48, 64, 2\) is not one 2D plane"):
        apply_kernel(np.stack([image, image], axis=-1), kernel)
