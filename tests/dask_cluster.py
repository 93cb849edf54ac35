"""A 2-worker Dask ``LocalCluster`` for the cluster tests, as module-scoped fixtures.

A test module makes its own: ``cluster_client = local_cluster_fixture()``
(workers are threads of this process: starts in a fraction of a second, and
its torch threads are this process's, so results equal the single-process
run's: class maps bit for bit, probabilities to the last float bits, see
``assert_same_output``), or ``local_cluster_fixture(processes=True)`` (workers are
processes, as on a real cluster: about 3 s to start; Dask starts them with
``OMP_NUM_THREADS=1``, so torch runs one thread in each).
"""

import os
import time

import numpy as np
import pytest


def local_cluster_fixture(processes=False):
    """A module-scoped fixture: a client of a 2-worker, 1-thread-each ``LocalCluster``."""

    @pytest.fixture(scope="module")
    def client():
        distributed = pytest.importorskip("distributed")
        # A process LocalCluster sets OMP_NUM_THREADS=1 (and friends) in this
        # process's environment and leaves it: every later subprocess of the test
        # run would then start torch with one thread.
        environment = dict(os.environ)
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster, set_as_default=False) as client,
        ):
            yield client
        os.environ.clear()
        os.environ.update(environment)

    return client


def wait_until_idle(client, timeout=20.0):
    """Wait until no worker runs a task (cancelled tasks that had started finish their file)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        busy = client.run(lambda dask_worker: len(dask_worker.state.executing))
        if not any(busy.values()):
            return
        time.sleep(0.05)
    raise TimeoutError("the cluster is still busy")


def assert_same_output(data, other, name=""):
    """Class maps exact; probabilities to the last float bits a loaded machine moves.

    Two worker threads predicting at once on a machine busy with another job
    gave probabilities 3e-8 apart (a different summation order in the
    convolutions); a real difference (another tile, model or normalisation) is
    orders of magnitude larger.
    """
    if np.issubdtype(data.dtype, np.floating):
        np.testing.assert_allclose(data, other, rtol=0, atol=1e-5, err_msg=name)
    else:
        assert np.array_equal(data, other), name
