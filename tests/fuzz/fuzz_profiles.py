"""Hypothesis profiles of the fuzz tests, chosen with ``HYPOTHESIS_PROFILE``.

- ``default``: about five hundred examples over the folder, the same ones on
  every run (``derandomize``), well under a minute on two CPU cores: part of
  the default suite.
- ``slow``: twenty times as many, freshly random on each run, no per-test
  timeout (see conftest.py)::

      HYPOTHESIS_PROFILE=slow python -m pytest tests/fuzz

Each test asks for its :func:`share` of the profile's ``max_examples``
(training examples cost about a second, suggesting boxes a millisecond).
Neither profile keeps an example database, so nothing is written into the
working tree; the slow profile prints a ``@reproduce_failure`` blob instead.
"""

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
# Large arrays are the point, and training examples are slow by nature.
_TOLERATED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "default",
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    # Shrink the first failure only: a broken build fails in minutes, not a quarter hour.
    report_multiple_bugs=False,
    suppress_health_check=_TOLERATED,
)
settings.register_profile(
    "slow",
    max_examples=2000,
    derandomize=False,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_TOLERATED,
)
PROFILE = os.environ.get(PROFILE_VARIABLE, "default")
settings.load_profile(PROFILE)


def share(fraction: float) -> settings:
    """Settings for a test that runs ``fraction`` of the profile's ``max_examples``."""
    return settings(max_examples=max(1, round(settings.default.max_examples * fraction)))
