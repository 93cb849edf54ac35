"""Export a model as a BioImage.IO model package (a validated ``.zip``, model spec 0.5).

The package runs in any BioImage.IO consumer (bioimageio.core, deepImageJ,
ilastik, the BioImage Model Zoo): weights as a PyTorch state dict with the
U-Net's own source file (:class:`~napari_finetune.models.unet.UNetProbabilities`)
and as ONNX (:mod:`~napari_finetune.models.onnx_export`); test tensors made by
this plugin's own prediction; a cover; a model card; and our own checkpoint as
an attachment, which is all that napari-finetune reads back
(:mod:`~napari_finetune.models.bioimageio_import`), so a round trip is exact.
The description (:mod:`~napari_finetune.models.bioimageio_description`) and the
zip are made by bioimageio.spec, which validates the package before it is
renamed into place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

import numpy as np
import tifffile
import torch

from napari_finetune.data.safe_write import atomic_write
from napari_finetune.models.bioimageio_card import Credits, model_card
from napari_finetune.models.checkpoint import save_model
from napari_finetune.models.exporting import check_export
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.onnx_export import onnx_model_bytes

if TYPE_CHECKING:
    from napari_finetune.models.bioimageio_description import PackageFiles

# Side of the synthetic test image (the test tensors and the cover): large
# enough to show grains, small enough that consumers test it in a blink.
TEST_SIDE = 256
CHECKPOINT_NAME = "napari-finetune.ckpt"


def export_bioimageio(
    model: SegmentationModel,
    path: str | Path,
    *,
    overwrite: bool = False,
    authors: Sequence[str] | None = None,
    license: str | None = None,
) -> Path:
    """Write ``model`` as a BioImage.IO model package.

    Parameters
    ----------
    model : SegmentationModel
        The model to export (left unchanged).
    path : str or Path
        Destination file, conventionally ``*.zip``; parent folders are created.
    overwrite : bool
        Replace an existing file.
    authors : sequence of str, optional
        The package's authors, its points of contact (default: the plugin's
        developers, as for the shipped models; give your own for weights you
        trained).
    license : str, optional
        SPDX licence identifier of the package, e.g. ``'CC-BY-4.0'`` (default
        ``'BSD-3-Clause'``, the plugin's).

    Returns
    -------
    Path
        The written package. ``napari_finetune.load_model(path)`` loads it back
        (from its attached checkpoint, bit for bit).

    Raises
    ------
    ValueError
        If ``model`` is not a model, ``path`` cannot be written, or it exists
        and ``overwrite`` is False.

    Notes
    -----
    Needs ``bioimageio.spec`` (and ``onnx`` for the ONNX weights); testing a
    package with ``bioimageio.core.test_model`` also needs ``bioimageio.core``
    and ``onnxruntime``.
    """
    path = check_export(model, path, "BioImage.IO package", overwrite)
    credits = _credits(authors, license)
    # Imported here: bioimageio.spec takes a second to import and only export needs it.
    try:
        import onnx  # noqa: F401 (the ONNX weights need it)
        from bioimageio.spec import save_bioimageio_package
    except ImportError as err:
        raise ImportError(
            f"exporting a BioImage.IO package needs the {err.name} package: "
            "pip install bioimageio.spec onnx"
        ) from None

    from napari_finetune.models.bioimageio_description import describe_model

    training = model.net.training  # predicting the test tensors switches to eval mode
    try:
        with TemporaryDirectory(prefix="napari-finetune-bioimageio-") as folder:
            files = write_package_files(model, Path(folder), credits)
            description = describe_model(model, files, credits)
            with atomic_write(path) as temporary:
                # The library writes and then validates the zip; an invalid one raises
                # here, before it could replace anything at ``path``.
                save_bioimageio_package(description, output_path=temporary)
    finally:
        model.net.train(training)
    return path


def _credits(authors: Sequence[str] | None, license: str | None) -> Credits:
    """Authors and licence, checked before any work."""
    default = Credits()
    names = tuple(str(a).strip() for a in (authors or ()) if str(a).strip())
    if authors is not None and not names:
        raise ValueError("authors must name at least one person or group.")
    if license is not None:
        known = isinstance(license, str) and license.strip() and _spdx(license.strip())
        if not known:
            raise ValueError(
                f"license {license!r} is not an SPDX licence identifier (such as 'CC-BY-4.0', "
                "'MIT' or 'BSD-3-Clause')."
            )
    return Credits(names or default.authors, license.strip() if license else default.license)


def _spdx(identifier: str) -> bool:
    """Whether the BioImage.IO spec takes ``identifier`` as a licence (checked before any work)."""
    try:
        from bioimageio.spec.model import v0_5
    except ImportError:  # said when the export needs it
        return True
    try:
        v0_5.LicenseId(identifier)
    except ValueError:  # pydantic's ValidationError is one
        return False
    return True


def write_package_files(
    model: SegmentationModel, folder: Path, credits: Credits | None = None
) -> PackageFiles:
    """Write every file of the package into ``folder``; return their paths.

    The test input is a synthetic grain image; the test output is what
    :func:`napari_finetune.predict` (this plugin's own pipeline) makes of it.
    """
    from napari_finetune.inference.predict import predict
    from napari_finetune.models.bioimageio_description import PackageFiles
    from napari_finetune.synth import voronoi_grains

    image = voronoi_grains(shape=(TEST_SIDE, TEST_SIDE), seed=0).image
    if model.in_channels == 3:
        image = np.repeat(image[..., None], 3, axis=-1)  # grey given as RGB
    probabilities = predict(model, image)
    channels_first = image[None] if image.ndim == 2 else np.moveaxis(image, -1, 0)
    files = PackageFiles(
        state_dict=folder / "weights.pt",
        onnx=folder / "weights.onnx",
        checkpoint=folder / CHECKPOINT_NAME,
        test_input=folder / "test_input.npy",
        test_output=folder / "test_output.npy",
        sample_input=folder / "sample_input.tif",
        sample_output=folder / "sample_output.tif",
        cover=folder / "cover.png",
        documentation=folder / "README.md",
    )
    np.save(files.test_input, channels_first[None].astype(np.float32))
    np.save(files.test_output, probabilities[None].astype(np.float32))
    tifffile.imwrite(files.sample_input, channels_first.astype(np.float32), compression="zlib")
    tifffile.imwrite(files.sample_output, probabilities.astype(np.float32), compression="zlib")
    state = {k: v.detach().cpu().contiguous() for k, v in model.net.state_dict().items()}
    torch.save(state, files.state_dict)
    files.onnx.write_bytes(onnx_model_bytes(model, output="probabilities"))
    save_model(model, files.checkpoint)
    write_cover(model.normalization(image), probabilities, files.cover)
    files.documentation.write_text(model_card(model, credits), encoding="utf-8")
    return files


def write_cover(normalised: np.ndarray, probabilities: np.ndarray, path: Path) -> None:
    """A 2:1 PNG: the normalised input on the left, the prediction on the right.

    The prediction shows each class in its own colour, weighted by its
    probability (class 1 blue, class 2 orange, further classes the next tab10 hues).
    """
    from matplotlib import colormaps
    from matplotlib.image import imsave

    grey = normalised if normalised.ndim == 2 else normalised.mean(axis=-1)
    left = np.repeat(np.clip(grey, 0, 1)[..., None], 3, axis=-1)
    palette = colormaps["tab10"].colors
    colours = np.array([palette[k % 10] for k in range(len(probabilities))])
    right = np.tensordot(np.moveaxis(probabilities, 0, -1), colours, axes=1)
    imsave(path, np.clip(np.concatenate([left, right], axis=1), 0, 1), format="png")
