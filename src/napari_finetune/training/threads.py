"""How many CPU threads a training run uses: fewer when another program is busy.

Instrument PCs run acquisition software beside the plugin. With a core taken
by another process, two OpenMP threads that meet at a barrier every few
microseconds wait on each other through the other program's time slices:
training on this 2-core machine fell from ~80 to 2.7 patches/s while a test
run used one core, and ran at 60 patches/s on one thread in the same
conditions (``benchmarks/bench_contention.py``). So a run measures, for a
quarter of a second before it starts, how busy the machine is (the plugin
itself is idle then) and leaves the busy cores to their owners.
"""

from __future__ import annotations

import os

import torch

# torch's thread count as the process started (a reused worker thread may hold a
# run's reduced count): the ceiling of every run, and what step-count runs use.
DEFAULT_THREADS = torch.get_num_threads()
# How long the machine is watched before a run, in seconds.
SAMPLE_SECONDS = 0.25
# A core counts as taken when others keep it this busy.
BUSY_CORE = 0.5


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def busy_cores(seconds: float = SAMPLE_SECONDS) -> float:
    """Cores kept busy by all processes over the next ``seconds`` (0 if unknown)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    return psutil.cpu_percent(interval=seconds) / 100 * (psutil.cpu_count() or 1)


def choose_threads(available: int, busy: float, current: int) -> int:
    """Threads for a run: the cores left after ``busy`` others, at most ``current``.

    Parameters
    ----------
    available : int
        CPUs this process may use.
    busy : float
        Cores kept busy by other programs (fractions count).
    current : int
        The thread count torch would use otherwise (the ceiling).
    """
    taken = int(busy + (1 - BUSY_CORE))  # 0.5 busy or more takes a core
    return max(1, min(current, available - taken))


def threads_for_run(steps: int | None) -> int:
    """Torch threads for a run: adapted to the machine's load for a time budget.

    A run with a step count keeps torch's usual thread count, whatever the load: its
    result must not depend on what else ran at the time (bitwise
    reproducibility). A time-budget run depends on the machine's speed anyway
    and gets :func:`choose_threads` of the load measured now.
    """
    if steps is not None:
        return DEFAULT_THREADS
    return choose_threads(cpu_count(), busy_cores(), DEFAULT_THREADS)
