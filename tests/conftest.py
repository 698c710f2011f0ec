"""Hypothesis settings: the same verdict on every run.

The default profile, ``ci``, is derandomised: the examples are derived from each test itself, so
``make test`` draws the same cases on every machine and every run. Use
``HYPOTHESIS_PROFILE=explore`` for a long randomised search while developing.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
