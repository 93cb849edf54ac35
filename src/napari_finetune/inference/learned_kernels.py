"""The network's first-layer filters: as small images, and compared with a hand-made kernel.

A U-Net's first convolutions are the only filters that see the image
directly, so they are the ones a user can compare with a Sobel or Laplacian
kernel typed into the playground (:mod:`~napari_finetune.inference.kernels`).
"""

from __future__ import annotations

import numpy as np

from napari_finetune.models.model import SegmentationModel


def first_layer_kernels(model: SegmentationModel) -> np.ndarray:
    """The first convolution's filters: float32 ``(out_channels, in_channels, k, k)``.

    With the BatchNorm that follows folded in (its scale per filter; its shift
    is a bias, not part of the shape). That is the filter the network really
    applies to the normalised image before the ReLU: a negative BatchNorm
    scale turns a raw filter upside down, and what a user compares with a
    hand-made kernel is that effective shape and sign.
    """
    first = model.net.encoder_stages[0]
    weights = first[0].weight.detach().cpu().numpy().astype(np.float32)
    norm = first[1] if len(first) > 1 else None
    if hasattr(norm, "running_var") and norm.running_var is not None:
        gamma = norm.weight.detach().cpu().numpy() if norm.affine else 1.0
        var = norm.running_var.detach().cpu().numpy()
        scale = (gamma / np.sqrt(var + norm.eps)).astype(np.float32)
        weights = weights * scale[:, None, None, None]
    return weights


def _fit(kernel: np.ndarray, size: int) -> np.ndarray:
    """``kernel`` cropped or zero-padded about its centre to ``size`` x ``size``."""
    own = kernel.shape[0]
    if own >= size:
        cut = (own - size) // 2
        return kernel[cut : cut + size, cut : cut + size]
    add = (size - own) // 2
    return np.pad(kernel, add)


def kernel_similarity(kernel: np.ndarray, learned: np.ndarray) -> np.ndarray:
    """Cosine similarity of a hand-made kernel with each learned first-layer filter.

    Parameters
    ----------
    kernel : numpy.ndarray
        2D square kernel; cropped or zero-padded about its centre to the learned size.
    learned : numpy.ndarray
        ``(out, in, k, k)`` (:func:`first_layer_kernels`) or ``(out, k, k)``.
        Filters over several input channels are summed over them: that is
        their response to a grey image given in every channel.

    Returns
    -------
    numpy.ndarray
        float64 ``(out,)`` in [-1, 1]: +1 the same shape, -1 the same shape
        with its sign flipped (the same edge, dark and bright swapped), 0 for
        an all-zero kernel or filter.
    """
    learned = np.asarray(learned, np.float64)
    if learned.ndim == 4:
        learned = learned.sum(axis=1)
    mine = _fit(np.asarray(kernel, np.float64), learned.shape[-1]).ravel()
    flat = learned.reshape(len(learned), -1)
    norms = np.linalg.norm(flat, axis=1) * np.linalg.norm(mine)
    return np.divide(flat @ mine, norms, out=np.zeros(len(flat)), where=norms > 0)


def describe_similar(similarity: np.ndarray, n: int = 3) -> str:
    """One line naming the learned kernels most like the user's (by absolute cosine)."""
    similarity = np.asarray(similarity, float)
    if not np.any(similarity):
        return "An all-zero kernel has no shape to compare with the learned ones."
    # By strength as shown (two decimals), the same kernel before its negative.
    best = sorted(
        range(len(similarity)), key=lambda k: (-round(abs(similarity[k]), 2), -similarity[k])
    )
    best = best[:n]
    parts = [f"{k} ({similarity[k]:+.2f})" for k in best]
    line = "Most like your kernel: learned kernel " + ", ".join(parts) + "."
    if min(similarity[k] for k in best) < 0:
        line += " A negative one is the same pattern with dark and bright swapped."
    return line


def kernel_mosaic(
    kernels: np.ndarray, per_row: int = 8, gap: int = 1
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Kernels side by side in one float32 image, gaps NaN; and each kernel's top-left corner.

    ``(out, in, k, k)`` filters are laid out ``per_row`` to a row, numbered
    left to right, then top to bottom; a filter over several input channels
    shows them one above the other.
    """
    kernels = np.asarray(kernels, np.float32)
    if kernels.ndim == 3:
        kernels = kernels[:, None]
    out, ins, k = kernels.shape[0], kernels.shape[1], kernels.shape[-1]
    columns, rows = min(per_row, out), -(-out // per_row)
    cell_h, cell_w = ins * (k + gap), k + gap
    mosaic = np.full((rows * cell_h - gap, columns * cell_w - gap), np.nan, np.float32)
    corners = []
    for index in range(out):
        y, x = (index // per_row) * cell_h, (index % per_row) * cell_w
        corners.append((y, x))
        for c in range(ins):
            top = y + c * (k + gap)
            mosaic[top : top + k, x : x + k] = kernels[index, c]
    return mosaic, corners
