"""Synthetic training batches rendered by worker processes, for pretraining beside a GPU.

A GPU trains the small U-Net far faster than one CPU core renders synthetic
micrographs (measured on an H200: one process renders ~12 per second, and the
GPU sat 39 % busy with 14 of them), so beside a GPU the rendering is the
bottleneck. Each data-loader worker renders a stream of its own, seeded from
``(seed, worker)``, and the loader takes their batches in turn: the same seed
and number of workers give the same batches in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np
import torch

Batches = Iterator[tuple[torch.Tensor, torch.Tensor]]


class SeededBatchStream(torch.utils.data.IterableDataset):
    """An endless batch stream, one independent seed per worker process.

    Parameters
    ----------
    render : callable
        ``render(seed)`` returns an endless iterator of ``(patches, targets)``
        batches (a picklable callable, e.g. a :func:`functools.partial` of a
        module-level function: workers started by *spawn* receive a copy).
    seed : int
        The run's seed. Read in the training process itself, the stream is
        ``render(seed)``, exactly the one a run without workers always had.
    """

    def __init__(self, render: Callable[[int | np.random.SeedSequence], Batches], seed: int):
        super().__init__()
        self.render, self.seed = render, seed

    def __iter__(self) -> Batches:
        info = torch.utils.data.get_worker_info()
        if info is None:
            return self.render(self.seed)
        # Each worker renders on one core: its threads would fight the other workers.
        torch.set_num_threads(1)
        return self.render(np.random.SeedSequence([self.seed, info.id]))


def default_data_workers(device: torch.device) -> int:
    """How many processes render training samples when none is asked for.

    None on the CPU or MPS (the training itself needs the cores there, and a
    single stream keeps a pretraining what it always was); beside a CUDA GPU
    all cores but two (the training loop and the system), at most 16.
    """
    if device.type != "cuda":
        return 0
    return max(0, min(16, (os.cpu_count() or 1) - 2))


def loader_batches(stream: SeededBatchStream, workers: int, device: torch.device) -> Batches:
    """The stream's batches: from ``workers`` processes, or this one when 0.

    Beside a CUDA GPU the batches come in pinned memory, so that copying them
    to the GPU does not wait for the host.
    """
    if workers == 0:
        return iter(stream)
    loader = torch.utils.data.DataLoader(
        stream,
        batch_size=None,  # the stream yields whole batches
        num_workers=workers,
        pin_memory=device.type == "cuda",
        prefetch_factor=8,  # rendering times vary by kind: keep a queue
    )
    return iter(loader)
