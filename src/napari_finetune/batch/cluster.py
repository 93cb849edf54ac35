"""A Dask cluster to run on: connect to a scheduler, check a client and its workers.

Folder runs (:mod:`~napari_finetune.batch.folder_cluster`) and large images
(:mod:`~napari_finetune.inference.lazy_cluster`) run on an existing
``dask.distributed`` cluster when given a client (or, on the command line, a
scheduler address). Dask does all the scheduling: files or bands are tasks,
results come back as they finish. A cluster on SLURM or PBS comes from
dask-jobqueue (``SLURMCluster``, ``PBSCluster``), started by the user; its
client is passed as is.

``distributed`` is an optional dependency (``pip install
"napari-finetune[cluster]"``) imported here only, and only when a cluster is
asked for.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client

INSTALL_HINT = 'pip install "napari-finetune[cluster]"'
# A scheduler that does not answer within this is reported, not waited for.
CONNECT_TIMEOUT = 5.0


def import_distributed() -> ModuleType:
    """The ``distributed`` package; ImportError naming the extra to install when missing."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(
            f"running on a Dask cluster needs the 'distributed' package: {INSTALL_HINT}"
        ) from err
    return distributed


def connect(address: str, timeout: float | None = None) -> Client:
    """A client of the Dask scheduler at ``address``, or a ValueError within ``timeout`` s.

    Parameters
    ----------
    address : str
        The scheduler, e.g. ``'tcp://host:8786'``.
    timeout : float, optional
        Seconds to wait for it to answer; None: ``CONNECT_TIMEOUT``.

    Returns
    -------
    distributed.Client
        Not made the default Dask scheduler: other Dask work in this process
        (reading stores, filling label pyramids) stays local.

    Raises
    ------
    ValueError
        In one line, when nothing (or something other than a Dask scheduler)
        answers at ``address``.
    ImportError
        When ``distributed`` is not installed.
    """
    distributed = import_distributed()
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    # Asked first, on a connection of its own: a Client that fails half-way
    # through its start leaves an object whose clean-up waits 10 s and prints
    # a traceback when the program exits.
    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever runs here
        asking = asyncio.wait_for(_identity(address, timeout), timeout)
        try:
            identity = thread.submit(asyncio.run, asking).result()
        except Exception as err:
            # Refused, timed out, a malformed address, or a service that is not
            # Dask (whose answer fails to deserialise in any of several ways).
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ValueError(
                f"no Dask scheduler answers at {address} within {timeout:g} s ({reason}): "
                "check the address and that the scheduler is running."
            ) from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        what = identity.get("type", "service") if isinstance(identity, dict) else "service"
        raise ValueError(
            f"{address} is a Dask {what}, not the scheduler: give the scheduler's address "
            "(its log says 'Scheduler at: tcp://...')."
        )
    return distributed.Client(address, timeout=timeout, set_as_default=False)


async def _identity(address: str, timeout: float) -> object:
    """What answers at ``address`` says it is (Dask's ``identity`` message)."""
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def check_client(client: object, backend: str | None = None) -> Client:
    """``client`` if it is an open ``distributed.Client``; a ValueError saying why not.

    Parameters
    ----------
    client : object
        What was given as ``client=``.
    backend : str, optional
        A resolved backend: also wait for a first worker
        (:func:`~napari_finetune.batch.worker_checks.wait_for_workers`) and
        check that the workers can import this package and the backend.

    Returns
    -------
    distributed.Client
        The same client.
    """
    distributed = import_distributed()
    if not isinstance(client, distributed.Client):
        raise ValueError(
            f"client= is a {type(client).__name__}: give a distributed.Client, e.g. "
            "Client('tcp://host:8786') or Client(SLURMCluster(...))."
        )
    if client.status != "running":
        raise ValueError(
            f"the Dask client is {client.status}: give an open client (connect again with "
            "distributed.Client(address))."
        )
    if backend is not None:
        from napari_finetune.batch.worker_checks import (
            check_worker_packages,
            needed_packages,
            wait_for_workers,
        )

        wait_for_workers(client)
        check_worker_packages(client, needed_packages(backend))
    return client


def check_workers_see(client: Client, path: str | os.PathLike[str], what: str) -> None:
    """ValueError unless every worker of ``client`` sees ``path`` (none yet: no check).

    Parameters
    ----------
    client : distributed.Client
        An open client.
    path : str or Path
        A file or folder the tasks will open.
    what : str
        What must be shared, for the message (e.g. "the images and the output folder").
    """
    if not client.nthreads():  # no workers yet to ask
        return
    where = str(Path(path).absolute())
    blind = [worker for worker, seen in client.run(os.path.exists, where).items() if not seen]
    if blind:
        raise ValueError(
            f"the Dask workers at {', '.join(sorted(blind))} cannot see {where}: a cluster "
            f"needs {what} on a file system every worker mounts, under the same path."
        )


def worker_count(client: Client) -> int:
    """Workers the scheduler knows now (0 while a job-queue cluster is still starting)."""
    return len(client.nthreads())


def worker_device(device: str | None, backend: str) -> str:
    """Where a worker runs the network when asked for ``device`` (None: chosen there).

    The model travels as a CPU copy, so "where its weights are" would always be
    the CPU: None is ``'auto'`` on the worker (its GPU where it has one), except
    for ONNX Runtime, which runs on the CPU only.
    """
    return device or ("cpu" if backend == "onnxruntime" else "auto")
