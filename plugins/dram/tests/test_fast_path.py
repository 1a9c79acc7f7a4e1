"""The bank-set scheduler of the common policy (FR-FCFS or FRFCFS-RowHit, open row, all-bank refresh, one rank;
HBM's split or DDR4/LPDDR5's shared command bus) decides exactly as the generic ready-list scheduler: same
completion times, statistics and command logs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dram_helpers import make
from golden_cases import trace
from npusim_dram.replay import replay

CASES = [  # (standard, params, trace kind, request bytes, arrival interval in ps)
    ("hbm2", dict(channels=4), "random", 32, 0),
    ("hbm2", dict(channels=2, address_mapping="MOP4CLXOR"), "stream_wr", 32, 0),
    ("hbm2", dict(channels=2, address_mapping="ChRaBaRoCo", write_queue_size=8), "mixed", 32, 0),
    ("hbm2", dict(channels=2, read_queue_size=4), "mixed", 128, 1333),
    ("hbm3", dict(channels=2), "random", 32, 0),
    ("hbm3", dict(channels=1, address_mapping="MOP4CLXOR", read_queue_size=64), "mixed", 64, 0),
    ("hbm2", dict(channels=16), "stream", 32, 0),
    ("hbm2", dict(channels=2, address_mapping="MOP4CLXOR", scheduler="frfcfs_rowhit"), "mixed", 32, 0),
    # one shared command bus
    ("ddr4", dict(channels=1, address_mapping="MOP4CLXOR"), "mixed", 32, 0),
    ("ddr4", dict(channels=2, write_queue_size=8), "random", 32, 0),
    ("lpddr5", dict(channels=1), "random", 64, 0),
    ("lpddr5", dict(channels=2, address_mapping="MOP4CLXOR"), "stream_wr", 32, 0),
    ("ddr4", dict(channels=1, scheduler="frfcfs_rowhit"), "mixed", 32, 0),
    ("hbm2", dict(channels=2, refresh_hold="target"), "random", 32, 0),
]


def run(standard, params, addrs, writes, req_bytes, interval, fast, timing=None):
    comp = make(standard, timing={**(timing or {}), "fast_path": int(fast)}, command_log=True, **params)
    done = np.zeros(len(addrs), dtype=np.int64)
    replay(comp, addrs, writes, completions=done, req_bytes=req_bytes, interval_ps=interval)
    stats = comp.stats()
    decisions = sum(c.pop("decisions") for c in stats["channels"])  # a work counter: differs by design
    log = np.asarray(comp.cpp.command_log(), dtype=np.int64).reshape(-1, 8)
    return done, stats, log[np.argsort(log[:, 2], kind="stable")], decisions


def assert_same(standard, params, addrs, writes, req_bytes=32, interval=0, timing=None):
    fd, fs, fl, _ = run(standard, params, addrs, writes, req_bytes, interval, True, timing)
    gd, gs, gl, _ = run(standard, params, addrs, writes, req_bytes, interval, False, timing)
    assert (fd > 0).all()
    assert np.array_equal(fd, gd)
    assert fs == gs
    assert np.array_equal(fl, gl)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}B-{i}" for i, c in enumerate(CASES)])
def test_bank_set_scheduler_matches_the_generic_scheduler(case):
    standard, params, kind, req_bytes, interval = case
    addrs, writes = trace(kind, n=2500)
    assert_same(standard, params, addrs // req_bytes * req_bytes, writes, req_bytes, interval)


@pytest.mark.parametrize("rrd_s,rrd_l", [(4, 7), (6, 2)], ids=["tRRD_L>tRRD_S", "tRRD_L<tRRD_S"])
def test_bank_set_scheduler_matches_with_other_act_spacing(rrd_s, rrd_l):
    # HBM2 (split buses) whose bank-group ACT spacing exceeds or undercuts the unit's: the bank-set scheduler
    # checks ACTs against the unit bound alone only when tRRD_L <= tRRD_S
    addrs, writes = trace("random", n=2500)
    assert_same("hbm2", dict(channels=2), addrs // 32 * 32, writes, timing=dict(nRRDS=rrd_s, nRRDL=rrd_l))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4095), st.booleans()), min_size=1, max_size=300),
       st.sampled_from(["RoBaRaCoCh", "MOP4CLXOR", "ChRaBaRoCo"]), st.integers(1, 40),
       st.sampled_from(["hbm2", "ddr4"]), st.sampled_from(["frfcfs", "frfcfs_rowhit"]))
def test_bank_set_scheduler_matches_on_generated_traces(reqs, mapping, queue, standard, scheduler):
    # few rows and banks (4096 x 32 B over one channel): hits, misses and conflicts interleave, queues fill
    addrs = np.asarray([a * 32 * 37 % (1 << 22) for a, _ in reqs], dtype=np.int64)
    writes = np.asarray([w for _, w in reqs], dtype=np.int8)
    assert_same(standard, dict(channels=1, address_mapping=mapping, read_queue_size=queue, write_queue_size=queue,
                               scheduler=scheduler), addrs, writes)


@pytest.mark.parametrize("standard,params,fast", [
    ("hbm2", dict(), True), ("hbm3", dict(), True), ("ddr4", dict(), True), ("lpddr5", dict(), True),
    ("hbm2", dict(row_policy="closed"), False), ("hbm2", dict(scheduler="fcfs"), False),
    ("hbm2", dict(refresh="per_bank"), False), ("ddr4", dict(org_preset="DDR4_8Gb_x8_2R"), False),
])
def test_the_fast_path_is_taken_for_the_common_policy_only(standard, params, fast):
    assert bool(make(standard, **params).cpp.uses_fast_path()) is fast
    assert not make(standard, timing={"fast_path": 0}, **params).cpp.uses_fast_path()
