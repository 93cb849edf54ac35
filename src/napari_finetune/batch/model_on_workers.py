"""The model held by every Dask worker, those that join later included (a worker plugin).

Scattered data cannot be rebuilt: when the workers holding a scattered model
are lost (out of memory, a SLURM walltime) every task still waiting for it is
cancelled. A worker plugin is kept by the scheduler and handed to each worker
as it joins, so a replaced or added worker gets the model too. Tasks find it
by the run's name (:func:`model_here`); the run forgets it when it ends
(:func:`forget_model`).
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from typing import TYPE_CHECKING

from distributed import WorkerPlugin

if TYPE_CHECKING:
    from distributed import Client

    from napari_finetune.models.model import SegmentationModel

_NAME_PREFIX = "napari-finetune-model-"


class ModelPlugin(WorkerPlugin):
    """A worker plugin that only carries the model (unpickled once on each worker)."""

    def __init__(self, model: SegmentationModel) -> None:
        self.model = model


def ship_model(client: Client, model: SegmentationModel) -> str:
    """Send ``model`` to every worker, now and as they join; the name tasks find it by.

    Weights on a GPU travel as a CPU copy: a worker without that GPU could not
    unpickle them (tasks then run on the device their ``device`` names).

    Parameters
    ----------
    client : distributed.Client
        An open client.
    model : SegmentationModel
        The run's model.

    Returns
    -------
    str
        This run's name for it (:func:`model_here`, :func:`forget_model`).
    """
    if next(model.net.parameters()).device.type != "cpu":
        model = copy.deepcopy(model)
        model.net.cpu()
    name = f"{_NAME_PREFIX}{uuid.uuid4().hex}"  # runs sharing a cluster keep their own
    client.register_plugin(ModelPlugin(model), name=name)
    return name


def model_here(name: str) -> SegmentationModel:
    """On a worker: the model shipped as ``name`` (:func:`ship_model`)."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(name)
    if not isinstance(plugin, ModelPlugin):
        raise RuntimeError(f"this Dask worker has no model {name}: the run that sent it ended.")
    return plugin.model


def forget_model(client: Client, name: str) -> None:
    """Take the model shipped as ``name`` off the workers and the scheduler."""
    # Best effort, at the end of a run: a closed client or a scheduler that has
    # gone already holds nothing more, and the run's own outcome is what matters.
    with contextlib.suppress(Exception):
        client.unregister_worker_plugin(name)
