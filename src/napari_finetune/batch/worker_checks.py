"""What the Dask workers must have before a run starts: to exist, the packages, the output folder.

Each is asked of the workers themselves (``client.run``), at the call, so a
run that would fail on every image, or write its results onto each worker's
own disk and report them done, is refused in one line before any work.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client

# A job-queue cluster's workers start when the queue runs their jobs: this long
# is waited for the first one before the run is refused.
WORKER_TIMEOUT = 60.0
# Hidden: a folder run over the output folder never takes it for an image.
_MARKER_PREFIX = ".napari-finetune-shared-check-"


def wait_for_workers(client: Client, timeout: float | None = None) -> None:
    """Return once the scheduler has a worker; a ValueError after ``timeout`` s without one.

    Parameters
    ----------
    client : distributed.Client
        An open client.
    timeout : float, optional
        Seconds to wait (default :data:`WORKER_TIMEOUT`).

    Raises
    ------
    ValueError
        When no worker has joined after ``timeout`` s, naming the scheduler.
    """
    timeout = WORKER_TIMEOUT if timeout is None else timeout
    if client.nthreads():
        return
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ValueError(
            f"the scheduler at {client.scheduler.address} has no workers yet (waited "
            f"{timeout:g} s): start them (e.g. cluster.scale(...)) and run again."
        ) from None


def needed_packages(backend: str) -> tuple[str, ...]:
    """The packages a worker imports to predict with ``backend`` (a resolved backend).

    Parameters
    ----------
    backend : {'torch', 'onnxruntime'}
        The resolved backend of the run.

    Returns
    -------
    tuple of str
        Import names, for :func:`check_worker_packages`.
    """
    return ("napari_finetune", "torch", *(("onnxruntime",) if backend == "onnxruntime" else ()))


def check_worker_packages(client: Client, packages: tuple[str, ...]) -> None:
    """ValueError naming the first of ``packages`` some worker cannot import.

    Parameters
    ----------
    client : distributed.Client
        An open client with workers.
    packages : tuple of str
        Import names, e.g. ``('napari_finetune', 'torch')``.

    Raises
    ------
    ValueError
        Naming the package and the workers that lack it.
    """
    for package in packages:
        # find_spec is the standard library's: it needs nothing installed there.
        found = client.run(importlib.util.find_spec, package)
        lacking = sorted(worker for worker, spec in found.items() if spec is None)
        if lacking:
            raise ValueError(
                f"the Dask workers at {', '.join(lacking)} lack {package}: install it in "
                "the workers' environment (the same one as here) and run again."
            )


def check_workers_write(client: Client, folder: str | os.PathLike[str], what: str) -> None:
    """ValueError unless every worker sees ``folder`` (the one here) and can write in it.

    The folder is made here if missing (and removed again when refused). A
    marker file written here must be seen by every worker: a node-local
    folder (``/tmp/out``) exists on each worker too, but holds its own files.

    Parameters
    ----------
    client : distributed.Client
        An open client with workers.
    folder : str or Path
        The run's output folder.
    what : str
        What must be shared, for the message.

    Raises
    ------
    ValueError
        Naming the workers and the folder: some cannot see the marker (a
        folder of their own), or cannot write beside it (with the reason).
    """
    folder = Path(folder).absolute()
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"{_MARKER_PREFIX}{uuid.uuid4().hex}"
    try:
        _leave_marker(marker)
        answers = client.run(_sees_and_writes, str(marker))
    finally:
        marker.unlink(missing_ok=True)
    blind = sorted(worker for worker, why in answers.items() if why == "blind")
    unwritable = sorted(worker for worker, why in answers.items() if why not in ("", "blind"))
    if not blind and not unwritable:
        return
    if made:
        folder.rmdir()
    if blind:
        raise ValueError(
            f"the Dask workers at {', '.join(blind)} cannot see the output folder {folder} "
            f"(a folder of their own?): a cluster needs {what} on a file system every "
            "worker mounts, under the same path."
        )
    raise ValueError(
        f"the Dask workers at {', '.join(unwritable)} cannot write in the output folder "
        f"{folder} ({answers[unwritable[0]]}): give a folder they can write."
    )


def _leave_marker(marker: Path) -> None:
    marker.write_bytes(b"")


def _sees_and_writes(marker: str) -> str:
    """On a worker: '' when it sees ``marker`` and can write beside it, else why not."""
    if not os.path.exists(marker):
        return "blind"
    probe = f"{marker}.{uuid.uuid4().hex}"
    try:
        with open(probe, "wb"):
            pass
        os.remove(probe)
    except OSError as err:
        return str(err).splitlines()[0] or type(err).__name__
    return ""
