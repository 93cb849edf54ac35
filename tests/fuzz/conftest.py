"""Fuzz tests: the hypothesis profile is loaded here, before any test module is read.

See fuzz_profiles.py for the profiles (``HYPOTHESIS_PROFILE=slow`` for the large run).
"""

import os

import pytest
from fuzz_profiles import PROFILE


def pytest_collection_modifyitems(config, items):
    """The slow profile runs for many minutes per test: lift the 180 s timeout there."""
    if PROFILE == "default":
        return
    folder = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(folder):
            item.add_marker(pytest.mark.timeout(0))
