"""pytest11 entry point: registers the kit's markers and hypothesis profile."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("npusim", deadline=None, max_examples=int(os.environ.get("NPUSIM_HYPOTHESIS_EXAMPLES", "25")),
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
                          derandomize=True)
settings.load_profile("npusim")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running tests")
    config.addinivalue_line("markers", "conformance: component conformance-kit tests")
