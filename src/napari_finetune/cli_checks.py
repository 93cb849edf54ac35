"""What a ``napari-finetune`` job checks before it starts work (standard library only).

A job refuses at once, in one line naming the file, when an input is missing or
an output cannot be written: a training run must not end in a traceback, and a
missing file must not cost the seconds it takes to import torch. Every message
is a ValueError, which :func:`napari_finetune.cli.main` prints with exit status 2.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from napari_finetune.data.safe_write import check_writable_file


def check_inputs(paths: Iterable[Path], what: str) -> None:
    """Raise ValueError naming the first of ``paths`` that is not an existing file.

    Parameters
    ----------
    paths : iterable of Path
        Files the job reads.
    what : str
        What they are, for the message (e.g. ``'--images'``).
    """
    for path in paths:
        if path.is_dir():
            raise ValueError(f"{what} {path} is a folder, not a file.")
        if not path.is_file():
            raise ValueError(f"{what} {path} does not exist.")


def row_names(paths: Sequence[Path], what: str) -> list[str]:
    """How a table names each of ``paths``: its file name, or the path where names repeat.

    Two maps of the same name in different folders (``A/p.tif B/p.tif``) are
    two rows, not one that the second silently replaces.

    Raises
    ------
    ValueError
        If the same file is given twice.
    """
    seen: dict[Path, Path] = {}
    for path in paths:
        same = seen.setdefault(path.resolve(), path)
        if same is not path:
            raise ValueError(f"{what} {path} is given twice ({same} and {path}).")
    names = [path.name for path in paths]
    if len(set(names)) == len(names):
        return names
    return [str(path) for path in paths]


def check_new_output(path: Path, overwrite: bool, what: str = "--output") -> Path:
    """Raise ValueError unless ``path`` can be written, and is new or may be overwritten.

    Parameters
    ----------
    path : Path
        The file the job will write (missing parent folders are fine: they are made).
    overwrite : bool
        Whether an existing file may be replaced (the ``--overwrite`` flag).
    what : str
        What the file is, for the message.

    Returns
    -------
    Path
        ``path``.
    """
    check_writable_file(path, what)
    if path.exists() and not overwrite:
        raise ValueError(
            f"{what} {path} already exists: give --overwrite to replace it, or another name."
        )
    return path


def check_not_inputs(outputs: Iterable[Path], inputs: Iterable[Path], what: str) -> None:
    """Raise ValueError if any of ``outputs`` is one of the ``inputs`` (or two outputs clash).

    Parameters
    ----------
    outputs : iterable of Path
        Files the job will write.
    inputs : iterable of Path
        Files the job reads; none of them may be written over.
    what : str
        The job, for the message (e.g. ``'predict'``).
    """
    read = {_identity(path): path for path in inputs}
    written: dict[object, Path] = {}
    for path in outputs:
        key = _identity(path)
        if key in read:
            raise ValueError(
                f"{what} would write {path} over its input {read[key]}: "
                "choose another --output folder."
            )
        if key in written:
            raise ValueError(
                f"{what} would write {path} twice (inputs with the same name): "
                "run them with separate --output folders."
            )
        written[key] = path


def _identity(path: Path) -> object:
    # The same file under two spellings (relative, symlinked, hard-linked) is one file.
    if path.exists():
        stat = os.stat(path)
        return (stat.st_dev, stat.st_ino)
    return os.path.normcase(os.path.realpath(path))
