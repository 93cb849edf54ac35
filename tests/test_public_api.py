"""The public API of ``import napari_finetune``: loaded on first use, same objects as before."""

import importlib
import json
import subprocess
import sys

import pytest

import napari_finetune as nf

# Where each public name lives: the package's own table, checked against the modules.
HOMES = nf._LAZY


def test_import_loads_nothing_heavy_until_a_name_is_used(tmp_path):
    code = """
import json, sys
heavy = ("torch", "numpy", "pandas", "skimage", "scipy", "napari")
import napari_finetune as nf
before = sorted(m for m in heavy if m in sys.modules)
listed = set(nf.__all__) <= set(dir(nf))
from napari_finetune import voronoi_grains
after = sorted(m for m in heavy if m in sys.modules)
print(json.dumps({"before": before, "listed": listed, "after": after}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["before"] == []
    assert said["listed"] is True
    assert "numpy" in said["after"]  # the name was loaded for real


@pytest.mark.parametrize("name", sorted(HOMES))
def test_every_public_name_is_its_home_module_object(name):
    assert getattr(nf, name) is getattr(importlib.import_module(HOMES[name]), name)
    namespace = {}
    exec(f"from napari_finetune import {name}", namespace)
    assert namespace[name] is getattr(nf, name)


def test_all_lists_exactly_the_version_and_the_lazy_names():
    assert sorted(nf.__all__) == sorted([*HOMES, "__version__"])
    assert isinstance(nf.__version__, str)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'fitt'"):
        nf.fitt  # noqa: B018
    with pytest.raises(ImportError):
        exec("from napari_finetune import fitt", {})
