"""Equivalence: fixed traces reproduce the recorded per-request completion times, stats and command log."""
from __future__ import annotations

import json

import numpy as np
import pytest

from golden_cases import CASES, GOLDEN, run_case


@pytest.fixture(scope="module")
def golden():
    return np.load(GOLDEN)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_completion_times_match_the_golden_file(case, golden):
    got = run_case(case)
    want_done = golden[f"{case[0]}.done"]
    want = json.loads(str(golden[f"{case[0]}.meta"]))
    assert (got["done"] > 0).all()
    mismatch = np.flatnonzero(got["done"] != want_done)
    assert mismatch.size == 0, f"first differing request {mismatch[:5]}: {got['done'][mismatch[:5]]} vs {want_done[mismatch[:5]]}"
    assert got["log_len"] == want["log_len"]
    assert got["log_sha256"] == want["log_sha256"]
    assert json.loads(got["stats"]) == json.loads(want["stats"])


def test_same_inputs_give_the_same_cycles():
    a, b = run_case(CASES[1]), run_case(CASES[1])
    assert np.array_equal(a["done"], b["done"]) and a["log_sha256"] == b["log_sha256"]
