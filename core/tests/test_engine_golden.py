"""Golden stats: cycles, per-unit busy time, DRAM traffic/row outcomes and instruction counts must match exactly.

Regenerate (only for an intended timing change): python core/tests/engine_golden.py
"""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # importlib mode: make engine_golden importable
from engine_golden import GOLDEN, cases, run_case  # noqa: E402

EXPECTED = json.loads(GOLDEN.read_text())


def test_golden_file_covers_every_case():
    assert sorted(EXPECTED) == sorted(f"{m}/{w}" for m, w in cases())


@pytest.mark.parametrize("machine,workload", cases())
def test_golden_stats(machine, workload):
    got = run_case(machine, workload)
    want = EXPECTED[f"{machine}/{workload}"]
    assert got["total_cycles"] == want["total_cycles"]
    assert got == want


def test_golden_stats_see_a_one_cycle_timing_change():
    import engine_golden

    preset, ov = engine_golden.MACHINES["small-8x8"]
    engine_golden.MACHINES["slower-noc"] = (preset, {**ov, "noc.latency_cycles": 5})  # preset: 4
    try:
        got = run_case("slower-noc", "gemm")
    finally:
        del engine_golden.MACHINES["slower-noc"]
    assert got["total_cycles"] != EXPECTED["small-8x8/gemm"]["total_cycles"]
