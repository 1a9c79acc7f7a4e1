"""Behaviour pin: fixed-seed sweeps and a fixed Interconnect trace reproduce data/noc_golden.json exactly.

The golden file was recorded from the network before the session-2 speed work (the router-option sweeps when those
options were added); performance changes must not move a single cycle (regenerate with
`python golden_scenarios.py --write` only for intended model changes).
"""
import json

import pytest
from golden_scenarios import GOLDEN, SWEEPS, interconnect_trace, sweep_results

WANT = json.loads(GOLDEN.read_text())


@pytest.fixture(scope="module")
def sweeps():
    return sweep_results()


@pytest.mark.parametrize("name", [s[0] for s in SWEEPS])
def test_sweep_point_is_unchanged(sweeps, name):
    assert sweeps[name] == WANT["sweeps"][name]


def test_interconnect_trace_is_unchanged():
    got = interconnect_trace()
    assert got["refused"] > 0  # the trace exercises back-pressure
    assert got == WANT["interconnect"]
