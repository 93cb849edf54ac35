"""Start-up time of the ``napari-finetune`` command: how long until it answers.

Each command runs ``--repeats`` times in a fresh process (the console script
next to this Python, or on ``PATH``); the table gives the median, fastest and
slowest wall time. Commands that fail on their arguments must answer as fast
as ``--help``: they are refused before torch and friends are imported.

- ``--help``: the parser only;
- ``fit`` with missing input files: one line naming the file, exit status 2;
- ``import napari_finetune``: the package and its version, nothing heavy.

Usage::

    python benchmarks/bench_cli_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import markdown_table


def console_script() -> list[str]:
    """The installed ``napari-finetune`` (beside this Python first: no pyenv shim in the clock)."""
    beside = Path(sys.executable).with_name("napari-finetune")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("napari-finetune")
    if found:
        return [found]
    return [sys.executable, "-m", "napari_finetune.cli"]


def commands() -> dict[str, tuple[list[str], int]]:
    """Name -> (command line, expected exit status)."""
    cli = console_script()
    return {
        "napari-finetune --help": ([*cli, "--help"], 0),
        "napari-finetune fit --images nope.tif --labels nope.tif --seconds -1": (
            [*cli, "fit", "--images", "nope.tif", "--labels", "nope.tif", "--seconds", "-1"],
            2,
        ),
        "python -c 'import napari_finetune'": (
            [sys.executable, "-c", "import napari_finetune"],
            0,
        ),
    }


def wall_times(command: list[str], expected: int, repeats: int, folder: Path) -> list[float]:
    """Seconds each run took; RuntimeError if a run exits with another status."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != expected:
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}, not {expected}:\n{done.stderr}"
            )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args()
    rows = []
    # An empty working folder: `nope.tif` is missing and nothing is written beside the code.
    with tempfile.TemporaryDirectory() as folder:
        for name, (command, expected) in commands().items():
            times = wall_times(command, expected, args.repeats, Path(folder))
            rows.append([f"`{name}`", statistics.median(times), min(times), max(times)])
    print(markdown_table(["command", "median (s)", "min (s)", "max (s)"], rows))
    print(f"{args.repeats} runs each; {console_script()[0]}")


if __name__ == "__main__":
    main()
