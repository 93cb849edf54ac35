"""Smoke runs of the benchmark scripts with tiny budgets: ``pytest -m slow``.

Skipped by default (they need the ``benchmarks`` extra and minutes of CPU); they
keep the scripts runnable, they do not check the numbers.
"""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "args",
    [
        ["bench_synth.py", "--repeats", "1"],
        ["bench_augment.py", "--repeats", "1", "--views", "2"],
        ["bench_transfer.py", "--steps", "3", "--seeds", "1", "--budgets", "1"],
        ["bench_real_data.py", "--seconds", "3", "--seeds", "1"],
        ["bench_speed.py", "--seconds", "5"],
        [
            "bench_inference.py",
            *("--sizes", "64", "--side", "512", "--repeats", "1", "--no-compile"),
        ],
        ["bench_large_image.py", "--side", "1024"],
        ["bench_large_stack.py", "--planes", "2", "--side", "512"],
        ["bench_cluster.py", "--images", "2"],
        ["bench_advisor.py", "--datasets", "painted", "--seconds", "1"],
        [
            "bench_feature_forest.py",
            *("--datasets", "nist_steel", "nasa", "--seconds", "2", "--seeds", "1"),
        ],
        ["bench_feature_maps.py", "--side", "256", "--repeats", "1"],
        [
            "bench_levers.py",
            *("--datasets", "nist_steel", "strokes", "--levers", "none", "l2sp+semi", "dann"),
            *("nofold", "noval+mmd"),
            *("--seconds", "2", "--seeds", "1", "--average-views", "--peer"),
            *("--patch-size", "64", "--batch-size", "4"),
        ],
        ["bench_held_out_classes.py", "--seeds", "0", "--seconds", "2"],
        ["bench_phase_fractions.py", "--seconds", "2"],
        ["bench_viewer_memory.py", "--runs", "2", "--images", "2", "--side", "256"],
        ["bench_stroke_checks.py", "--sides", "512", "--boxes", "2", "--repeats", "1"],
        ["bench_suggestion_cost.py", "--sides", "128", "--repeats", "1"],
        ["bench_deep_stack.py", "--planes", "4", "--side", "128", "--steps", "2"],
        [
            "bench_active_learning.py",
            *("--datasets", "tuning isbi2012", "tuning superalloy"),
            *("--modes", "active", "random", "not seeking thin"),
            *("--seeds", "1", "--rounds", "2", "--steps", "3", "--weight", "4", "--rounds-only"),
            *("--start", "voronoi-unet", "--afresh", "--no-fold-in"),
        ],
        [
            "bench_grains.py",
            *("--seeds", "1", "--size", "256", "--grains", "30", "--steps", "3", "--boxes", "2"),
        ],
    ],
    ids=lambda args: args[0],
)
def test_benchmark_script_runs(args):
    pytest.importorskip("sklearn")
    result = subprocess.run(
        [sys.executable, *args], cwd=BENCHMARKS, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "|" in result.stdout  # printed a table
