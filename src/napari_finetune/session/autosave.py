"""Autosave of painted labels (no Qt): nothing the user painted is ever lost.

Painting is the user's only irreplaceable input: a crash, a closed window or a
deleted layer must not cost an afternoon of strokes. :class:`PaintingAutosave`
decides *when* a painting is written (at most every ``min_interval`` seconds and
only when it changed, or at once before training and on close), writes it as a
compressed TIFF plus a JSON sidecar, lists what was saved and reads it back.

Each instance (one Fine-tune dock, one napari window) writes into a session
folder of its own, named by time, process id and a random suffix, so two
windows never overwrite each other. Nothing is written outside ``folder``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from napari_finetune.session.autosave_files import (
    AutosaveEntry,
    content_hash,
    read_painting,
    write_entry,
)
from napari_finetune.session.autosave_versions import SavedVersion, versions_to_keep

FOLDER_VARIABLE = "NAPARI_FINETUNE_AUTOSAVE_DIR"
_SESSION = re.compile(r"^\d{8}-\d{6}-\d+-[0-9a-f]{6}$")
_OURS = (".tif", ".json")


def default_folder() -> Path:
    """Where autosaves go: ``$NAPARI_FINETUNE_AUTOSAVE_DIR``, else the user data folder.

    The variable lets a user point autosaves at a fast local disk, and tests at
    a temporary folder.
    """
    if os.environ.get(FOLDER_VARIABLE):
        return Path(os.environ[FOLDER_VARIABLE]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("napari-finetune", appauthor=False)) / "autosave"


class PaintingAutosave:
    """Throttled, atomic autosave of painted layers into a folder of its own.

    Parameters
    ----------
    folder : Path, optional
        The autosave folder (session folders go inside); by default
        :func:`default_folder`.
    min_interval : float
        Seconds between two writes of one painting, so that a long painting
        session costs a few small writes, not one per brush stroke.
    keep_sessions : int
        Session folders kept (newest activity first); older ones are deleted
        after this session's first write, and only when also older than
        ``keep_days`` (a crashed session's only copy outlives many launches).
        The current one is never deleted.
    keep_versions : int
        The newest versions of one painting kept in this session. Older ones
        are thinned, not all dropped: an accidental erase is autosaved too,
        and the version before it must survive it (see :func:`versions_to_keep`).
    keep_days : float
        Days a session folder is kept whatever ``keep_sessions`` says.
    max_bytes : int
        Larger paintings are not autosaved: the caller's copy would double the
        memory they take (see :meth:`skip_reason`).
    clock : callable
        Seconds, monotonic; replaced by a fake clock in tests.

    Notes
    -----
    Safe to call from a worker thread: writes are serialised by a lock.
    """

    def __init__(
        self,
        folder: Path | None = None,
        min_interval: float = 30.0,
        keep_sessions: int = 20,
        keep_versions: int = 5,
        max_bytes: int = 2**30,
        clock: Callable[[], float] = time.monotonic,
        keep_days: float = 30.0,
    ) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.min_interval, self.keep_sessions = min_interval, keep_sessions
        self.keep_days = keep_days
        self.keep_versions, self._clock = max(int(keep_versions), 1), clock
        self.max_bytes = max_bytes
        stamp = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.session_folder = self.folder / stamp  # made at the first write
        self._lock = threading.Lock()
        self._last_time: dict[str, float] = {}
        self._last_state: dict[str, tuple[str, str]] = {}  # content hash, placement
        self._files: dict[str, list[SavedVersion]] = {}
        self._numbers: dict[str, int] = {}
        self._writes, self._pruned = 0, False

    def due(self, key: str) -> bool:
        """Whether ``min_interval`` has passed since ``key`` was last written."""
        last = self._last_time.get(key)
        return last is None or self._clock() - last >= self.min_interval

    def skip_reason(self, data: object) -> str | None:
        """Why ``data`` is not autosaved (None: it is).

        Only in-memory numpy arrays are: a lazy or file-backed painting (Dask,
        Zarr, multiscale) already lives on disk, and copying it would read all of it.
        """
        if not isinstance(data, np.ndarray):
            return "it is not an in-memory array (file-backed or multiscale)"
        if data.nbytes > self.max_bytes:
            return (
                f"it is too large to copy ({data.nbytes / 2**30:.1f} GiB, the limit is "
                f"{self.max_bytes / 2**30:.1f} GiB): save it with File ▸ Save Selected Layers"
            )
        return None

    def save(
        self,
        key: str,
        data: np.ndarray,
        *,
        image_name: str | None = None,
        scale: Sequence[float] | None = None,
        translate: Sequence[float] | None = None,
        units: Sequence[str] | None = None,
        colors: Mapping[int | None, Sequence[float]] | None = None,
        class_names: Mapping[int, str] | None = None,
        force: bool = False,
        layer_name: str | None = None,
    ) -> AutosaveEntry | None:
        """Write ``data`` (painting ``key``) if due and changed.

        Parameters
        ----------
        key : str
            The painting's series: one per layer, not per name (a new layer
            that takes a removed one's name must not prune its versions).
        data : np.ndarray
            A copy of the layer's data (the caller copies; this may run in a worker).
        image_name, scale, translate, units, colors, class_names
            Stored in the sidecar so that a restored layer lands where it was
            and shows each class in its colour (``colors``: label -> RGBA,
            None for the default) and by its name (``class_names``: label -> name).
        force : bool
            Ignore ``min_interval`` (before training starts, on close): an
            unchanged painting is still not written twice.
        layer_name : str, optional
            The layer's name, shown when restoring (default: ``key``).

        Returns
        -------
        AutosaveEntry or None
            What was written, or None when nothing was due or nothing changed.

        Raises
        ------
        OSError
            When the folder cannot be written; the previous versions stay.
        """
        with self._lock:
            if not force and not self.due(key):
                return None
            data = np.asarray(data)
            digest = content_hash(data)
            placement = _placement_json(scale, translate, units, colors, class_names)
            # A renamed or recoloured legend is a change too: a restore must show it.
            state = (digest, json.dumps(placement, sort_keys=True))
            files = self._files.get(key, [])
            if state == self._last_state.get(key) and files and files[-1].path.is_file():
                self._last_time[key] = self._clock()
                return None
            name = layer_name if layer_name is not None else key
            entry, now = self._write(key, name, data, digest, image_name, placement), self._clock()
            self._last_state[key], self._last_time[key] = state, now
            files.append(SavedVersion(entry.path, now, entry.painted_pixels))
            kept = versions_to_keep(files, now, self.keep_versions)
            for version in files:
                if version not in kept:
                    _remove_entry(version.path)
            self._files[key] = kept
            return entry

    def _write(self, key, name, data, digest, image_name, placement) -> AutosaveEntry:
        self.session_folder.mkdir(parents=True, exist_ok=True)
        number = self._numbers.setdefault(key, len(self._numbers) + 1)
        self._writes += 1
        slug = re.sub(r"[^\w.-]+", "_", name).strip("._")[:40] or "labels"
        path = self.session_folder / f"{number:02d}-{slug}-{self._writes:05d}.tif"
        meta = {
            "layer_name": name,
            "image_name": image_name,
            "shape": list(data.shape),
            "dtype": data.dtype.str,
            "painted_pixels": int(np.count_nonzero(data)),
            "saved_at": time.time(),
            "saved": datetime.now().astimezone().isoformat(timespec="seconds"),  # for people
            "content_hash": digest,
            **placement,
        }
        entry = write_entry(path, data, meta)
        if not self._pruned:  # once, when this session first holds a saved copy
            self._pruned = True
            self.prune()
        return entry

    def saved(self) -> list[AutosaveEntry]:
        """Every painting saved in ``folder`` by any session, newest first.

        Broken or half-written entries (a crash, a foreign file) are skipped.
        """
        entries = []
        for session in self._sessions():
            for sidecar in session.glob("*.json"):
                try:
                    entries.append(AutosaveEntry.read(sidecar))
                except (OSError, KeyError, TypeError, ValueError):
                    continue
        return sorted(entries, key=lambda e: (e.saved_at, e.path.name), reverse=True)

    def load(self, entry: AutosaveEntry) -> np.ndarray:
        """The saved painting, checked against its checksum (see :func:`read_painting`)."""
        return read_painting(entry)

    def prune(self) -> list[Path]:
        """Delete the oldest session folders beyond ``keep_sessions``; never the current one.

        Only files this class writes are deleted; a folder holding anything else
        is left in place.
        """
        others = [s for s in self._sessions() if s != self.session_folder]
        others.sort(key=_last_activity, reverse=True)
        old = time.time() - self.keep_days * 86_400
        removed = [s for s in others[max(self.keep_sessions - 1, 0) :] if _last_activity(s) < old]
        for session in removed:
            try:  # another window may be pruning the same folder
                for path in session.iterdir():
                    if path.is_file() and path.suffix in _OURS:
                        path.unlink(missing_ok=True)
                session.rmdir()
            except OSError:
                continue
        return removed

    def _sessions(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        # Never a symlink: pruning one would delete files in the folder it points to.
        return [
            p
            for p in self.folder.iterdir()
            if p.is_dir() and not p.is_symlink() and _SESSION.match(p.name)
        ]


def _placement_json(
    scale: Sequence[float] | None,
    translate: Sequence[float] | None,
    units: Sequence[str] | None,
    colors: Mapping[int | None, Sequence[float]] | None,
    class_names: Mapping[int, str] | None,
) -> dict:
    def floats(values):
        return [float(v) for v in values] if values is not None else None

    return {
        "scale": floats(scale),
        "translate": floats(translate),
        "units": [str(u) for u in units] if units is not None else None,
        "colors": [[None if k is None else int(k), floats(c)] for k, c in colors.items()]
        if colors
        else None,
        "class_names": [[int(k), str(n)] for k, n in class_names.items()] if class_names else None,
    }


def _remove_entry(path: Path) -> None:
    path.with_suffix(".json").unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def _last_activity(session: Path) -> float:
    try:
        times = [p.stat().st_mtime for p in session.iterdir() if p.is_file()]
        return max(times, default=session.stat().st_mtime)
    except OSError:  # pruned meanwhile by another window
        return 0.0
