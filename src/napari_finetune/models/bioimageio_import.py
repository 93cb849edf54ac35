"""Loading a BioImage.IO package that napari-finetune exported: its checkpoint only.

A package (a zip with an ``rdf.yaml``) carries an architecture source file,
weights in two formats and, when napari-finetune wrote it, our own checkpoint
as an attachment. Only that checkpoint is read, through
:func:`~napari_finetune.models.checkpoint.load_checkpoint` and its checks:
nothing in a package is ever imported or executed, so a package is no more
dangerous to open than a checkpoint. The rdf is parsed with ``yaml.safe_load``
(plain data only) and the attachment is checked against the SHA-256 the rdf
lists. This module needs neither bioimageio.spec nor bioimageio.core.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import Any

import yaml

from napari_finetune._version import __version__
from napari_finetune.models.checkpoint import CheckpointError, _shown, load_checkpoint
from napari_finetune.models.model import SegmentationModel

# Format of the config.napari_finetune section; raise it when the importer
# must refuse packages of this version.
PACKAGE_VERSION = 1
CONFIG_KEY = "napari_finetune"
# The names bioimageio.spec gives a package's description (the older first).
RDF_NAMES = ("rdf.yaml", "bioimageio.yaml")
# Far above anything we write (the rdf ~10 kB, a checkpoint a few MB): a
# hostile archive cannot make the import fill the memory or the disk.
MAX_RDF_BYTES = 16 * 2**20
MAX_CHECKPOINT_BYTES = 2**31
_CHUNK = 2**20
ONLY_OURS = (
    "napari-finetune only loads its own checkpoints and the BioImage.IO packages it "
    "exported, and never runs code from a package"
)


def load_exported_package(path: str | Path) -> SegmentationModel | None:
    """The model inside a BioImage.IO package exported by napari-finetune.

    Parameters
    ----------
    path : str or Path
        Any existing file.

    Returns
    -------
    SegmentationModel or None
        The model of the package's attached checkpoint (in evaluation mode);
        None if ``path`` is not a zip archive, or is one written by
        ``torch.save`` (an old checkpoint, for
        :func:`~napari_finetune.models.checkpoint.load_checkpoint`).

    Raises
    ------
    CheckpointError
        For a damaged archive, any other zip, a package napari-finetune did not
        export or exported in a newer format, or an attachment that does not
        match its checksum; the message is one plain sentence.
    """
    path = Path(path)
    name = _shown(path.name)
    try:
        with path.open("rb") as handle:
            if handle.read(2) != b"PK":
                return None
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            rdf_name = next((n for n in RDF_NAMES if n in members), None)
            if rdf_name is None:
                if any(PurePosixPath(n).name == "data.pkl" for n in members):
                    return None  # torch.save's archive: a version-1 checkpoint
                raise CheckpointError(
                    f"{name} is a zip archive but not a BioImage.IO model package (it has no "
                    f"rdf.yaml); {ONLY_OURS}."
                )
            rdf = _read_rdf(archive, rdf_name, path)
            ours = _our_section(path, rdf)
            checkpoint, sha256 = _attached_checkpoint(path, rdf, ours, members)
            with TemporaryDirectory(prefix="napari-finetune-") as folder:
                # Our own file name: the one in the rdf is only looked up, never written.
                target = Path(folder) / f"{path.stem[:100] or 'package'}.ckpt"
                _extract_checked(archive, checkpoint, sha256, target, path)
                try:
                    return load_checkpoint(target)
                except CheckpointError as err:
                    raise CheckpointError(
                        f"{name}: its attached checkpoint cannot be loaded: {err}"
                    ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        # Truncated downloads, bad CRCs, unknown compression: all the same to a user.
        raise CheckpointError(
            f"{name} is a damaged or incomplete zip archive and cannot be read (download or "
            "export it again)."
        ) from None
    except OSError as err:
        raise CheckpointError(f"{name} cannot be read: {err.strerror or err}.") from None


def _read_rdf(archive: zipfile.ZipFile, rdf_name: str, path: Path) -> Any:
    if archive.getinfo(rdf_name).file_size > MAX_RDF_BYTES:
        raise CheckpointError(
            f"{_shown(path.name)} has a {rdf_name} of over {MAX_RDF_BYTES // 2**20} MB: it is "
            f"not a package napari-finetune exported; {ONLY_OURS}."
        )
    try:
        return yaml.safe_load(archive.read(rdf_name))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        raise CheckpointError(
            f"{_shown(path.name)} is a damaged BioImage.IO package: its {rdf_name} is not "
            "valid YAML."
        ) from None


def _our_section(path: Path, rdf: Any) -> dict[str, Any]:
    """``config.napari_finetune`` of a package we exported, in a version we can read."""
    name = _shown(path.name)
    config = rdf.get("config") if isinstance(rdf, dict) else None
    ours = config.get(CONFIG_KEY) if isinstance(config, dict) else None
    if not isinstance(ours, dict):
        kind = rdf.get("type") if isinstance(rdf, dict) else None
        what = f"a BioImage.IO {kind}" if isinstance(kind, str) else "a BioImage.IO"
        raise CheckpointError(
            f"{name} is {_shown(what, 60)} package that napari-finetune did not export; "
            f"{ONLY_OURS}."
        )
    if rdf.get("type") != "model":
        raise CheckpointError(
            f"{name} describes a BioImage.IO {_shown(str(rdf.get('type')), 40)}, not a model; "
            f"{ONLY_OURS}."
        )
    version = ours.get("package_version")
    # bool is an int to Python, not to us; no int() of strings (huge digit runs).
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(
            f"{name} has an unknown napari-finetune package version {_shown(repr(version), 40)}."
        )
    if version > PACKAGE_VERSION:
        plugin = ours.get("plugin_version")
        by = f"napari-finetune {_shown(str(plugin), 40)}" if plugin else "napari-finetune"
        raise CheckpointError(
            f"{name} was exported by {by}, a newer version (package format {version}; "
            f"this is {__version__}, which reads up to format {PACKAGE_VERSION}); update "
            "napari-finetune to load it."
        )
    return ours


def _attached_checkpoint(
    path: Path, rdf: dict[str, Any], ours: dict[str, Any], members: set[str]
) -> tuple[str, str]:
    """The checkpoint's name in the archive and its SHA-256 as the rdf's attachments list it."""
    name = _shown(path.name)
    checkpoint = ours.get("checkpoint")
    if not isinstance(checkpoint, str) or checkpoint not in members:
        raise CheckpointError(
            f"{name} is incomplete: the checkpoint its description names, "
            f"{_shown(repr(checkpoint), 60)}, is not in the archive."
        )
    # The spec's own attachment list (what validators check), not a copy in our section.
    attachments = rdf.get("attachments")
    listed = [
        entry.get("sha256")
        for entry in (attachments if isinstance(attachments, list) else [])
        if isinstance(entry, dict) and entry.get("source") == checkpoint
    ]
    sha256 = listed[0] if len(listed) == 1 else None
    if not (isinstance(sha256, str) and len(sha256) == 64):
        raise CheckpointError(
            f"{name} is incomplete: its rdf.yaml lists no SHA-256 for the attached checkpoint."
        )
    return checkpoint, sha256.lower()


def _extract_checked(
    archive: zipfile.ZipFile, member: str, sha256: str, target: Path, path: Path
) -> None:
    """Copy ``member`` to ``target`` while hashing it; refuse it unless the hash is ``sha256``."""
    if archive.getinfo(member).file_size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"{_shown(path.name)} attaches a checkpoint of over "
            f"{MAX_CHECKPOINT_BYTES // 2**30} GB: it is not a package napari-finetune exported."
        )
    digest, size = hashlib.sha256(), 0
    with archive.open(member) as source, target.open("wb") as out:
        # Counted as read too: a header can understate what the data expands to.
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > MAX_CHECKPOINT_BYTES:
                raise CheckpointError(
                    f"{_shown(path.name)} attaches a checkpoint of over "
                    f"{MAX_CHECKPOINT_BYTES // 2**30} GB: it is not a package napari-finetune "
                    "exported."
                )
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise CheckpointError(
            f"{_shown(path.name)} is damaged: its attached checkpoint does not match the "
            "SHA-256 in its rdf.yaml (the package was changed or corrupted after export)."
        )


def looks_like_onnx(path: str | Path) -> bool:
    """Whether ``path`` is, by its suffix or its first bytes, an ONNX model file."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(32)
    except OSError:
        return False
    # An ONNX ModelProto starts with ir_version (field 1, varint: 0x08 n) and,
    # from every exporter we know, producer_name (field 2, string: 0x12 len name).
    if len(head) < 4 or head[0] != 0x08 or head[2] != 0x12:
        return False
    producer = head[4 : 4 + head[3]]
    return len(producer) == head[3] and producer.isascii() and producer.decode().isprintable()


def onnx_refusal(path: str | Path) -> CheckpointError:
    """The error for an ONNX file given as a model to load."""
    return CheckpointError(
        f"{_shown(Path(path).name)} is an ONNX model file, which napari-finetune writes for "
        f"other tools but cannot load back; {ONLY_OURS} (load the .ckpt or BioImage.IO .zip "
        "it was exported with)."
    )
