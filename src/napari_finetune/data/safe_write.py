"""Writing files so that nothing is lost: check first, then write-and-rename.

A job checks its output path before it starts (a training run must not end in a
traceback because the output folder is read-only), and every file is written
under a temporary name in the same folder and renamed over the target only when
complete: a crash or a full disk leaves the old file, never half of a new one.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


def check_writable_file(path: str | Path, what: str = "output") -> Path:
    """Raise ValueError unless a file can be written at ``path`` (parents may be missing).

    Parameters
    ----------
    path : str or Path
        The file to be written.
    what : str
        What the file is, for the message (e.g. ``'--output'``).

    Returns
    -------
    Path
        ``path`` as a Path.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder: give a file name inside it.")
    existing = _nearest_existing(path.parent)
    if not existing.is_dir():
        raise ValueError(f"{what} {path} cannot be written: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path} cannot be written: {existing} is not writable.")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{what} {path} cannot be written: the file is read-only.")
    return path


def check_writable_folder(path: str | Path, what: str = "output folder") -> Path:
    """Raise ValueError unless ``path`` is, or can be made, a writable folder.

    Parameters
    ----------
    path : str or Path
        The folder to write into (missing parents are fine: they can be made).
    what : str
        What the folder is, for the message (e.g. ``'--output'``).

    Returns
    -------
    Path
        ``path`` as a Path.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{what} {path} is a file, not a folder.")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise ValueError(f"{what} {path} cannot be made: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path} cannot be written: {existing} is not writable.")
    return path


# Suffixes that name a format together with the one after them: tifffile writes
# OME-XML only into a file whose name ends in ``.ome.tif`` (or ``.ome.tiff``).
_FORMAT_MARKERS = (".ome",)


def _format_suffix(path: Path) -> str:
    """``path``'s suffix as a writer reads it: ``.ome.tif`` whole, else the last one."""
    suffixes = path.suffixes
    if len(suffixes) >= 2 and suffixes[-2].lower() in _FORMAT_MARKERS:
        return "".join(suffixes[-2:])
    return path.suffix


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    Parent folders are created. If the block raises, the temporary file is
    removed and ``path`` is left as it was. The block must create the
    temporary file (give it to the writer as the file name).

    A ``path`` that is a symbolic link (a shared ``grains.ckpt`` pointing at
    the current model) is followed: the file it points to is replaced and the
    link stays a link. A file that exists keeps its permission bits (a
    group-writable 0o660 stays so); a new one gets the user's usual ones.

    Parameters
    ----------
    path : str or Path
        The file to write.

    Yields
    ------
    Path
        The temporary file to write instead; it keeps ``path``'s suffix, since
        some writers choose the format by it, and a double one such as
        ``.ome.tif`` whole (tifffile writes OME-XML only under that name).

    Examples
    --------
    >>> with atomic_write("out.tif") as tmp:  # doctest: +SKIP
    ...     tifffile.imwrite(tmp, data)
    """
    path = Path(path)
    if path.is_symlink():
        # Renaming over the link would make it a plain file and leave every
        # other user of its target with the old content.
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same folder, so the final rename is atomic (no copy across file systems);
    # the suffix is kept because some writers choose the format by it. The
    # writer creates the file, so it gets the user's usual permissions.
    suffix = _format_suffix(path)
    stem = path.name[: len(path.name) - len(suffix)]
    temporary = path.with_name(f".{stem}.{uuid.uuid4().hex[:8]}.partial{suffix}")
    try:
        yield temporary
        # On disk before the rename: otherwise a power cut just after it can
        # leave an empty file under the final name on some file systems.
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        if path.exists():
            # The replaced file's mode, not the umask's: a file shared with a
            # group (0o660) must not become unwritable for the others.
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
