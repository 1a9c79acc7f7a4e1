"""The replay's direct DramDevice path (lazy per-channel offer / run_until_room / collect) equals the kernel interface
(try_send / advance), and skipping idle refresh intervals equals simulating them."""
from __future__ import annotations

import numpy as np
import pytest

from dram_helpers import make
from golden_cases import trace
from npusim_dram.replay import replay, route

CASES = [  # (standard, params, trace kind, request bytes, arrival interval in ps)
    ("hbm2", dict(channels=4), "stream_wr", 32, 0),
    ("hbm2", dict(channels=2, address_mapping="MOP4CLXOR"), "random", 32, 0),
    ("hbm2", dict(channels=2, row_policy="closed", refresh="per_bank"), "mixed", 128, 1333),
    ("ddr4", dict(channels=1, scheduler="fcfs"), "mixed", 32, 0),
    # 16 channels, in-order frontend blocked on full queues: the direct path steps channels lazily
    ("hbm2", dict(channels=16, read_queue_size=8, write_queue_size=8), "random", 32, 0),
]


def interface_replay(comp, addrs, writes, req_bytes, interval) -> np.ndarray:
    """dram_replay's loop written against the MemoryDevice interface (try_send / next_event / advance)."""
    import cppyy

    dev = comp.cpp
    ch, local = route(comp, addrs)
    n = len(addrs)
    done = np.zeros(n, dtype=np.int64)
    out = cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]()
    now, i, completed = 0, 0, 0
    while completed < n:
        blocked = False
        while i < n and (interval * i if interval else 0) <= now:
            q = cppyy.gbl.npusim.MemRequest()
            q.id, q.addr, q.bytes, q.is_write, q.channel = i, int(local[i]), req_bytes, int(writes[i]), int(ch[i])
            if not dev.try_send(q, now):
                blocked = True
                break
            i += 1
        nxt = dev.next_event()
        if i < n and not blocked and interval:
            nxt = min(nxt, i * interval)
        now = max(nxt, now + 1)
        out.clear()
        dev.advance(now, out)
        for c in out:
            done[c.req.id] = c.time
            completed += 1
    return done


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}B" for c in CASES])
def test_direct_replay_path_matches_the_kernel_interface(case):
    standard, params, kind, req_bytes, interval = case
    addrs, writes = trace(kind, n=600)
    addrs = addrs // req_bytes * req_bytes
    fast = np.zeros(len(addrs), dtype=np.int64)
    a = make(standard, **params)
    replay(a, addrs, writes, completions=fast, req_bytes=req_bytes, interval_ps=interval)
    b = make(standard, **params)
    slow = interface_replay(b, addrs, writes, req_bytes, interval)
    assert (fast > 0).all()
    assert np.array_equal(fast, slow)
    assert a.stats()["channels"] == b.stats()["channels"]


@pytest.mark.parametrize("refresh,interval_us", [("all_bank", 40), ("per_bank", 9)])
def test_idle_refresh_fast_forward_matches_step_by_step_simulation(refresh, interval_us):
    # requests this far apart leave channels idle for many refresh intervals (tREFI 3.9 us, tREFIpb 0.12 us);
    # without the command log the device skips the idle intervals, with it every refresh is simulated
    addrs, writes = trace("mixed", n=300)
    runs = []
    for log in (False, True):
        comp = make("hbm2", channels=2, refresh=refresh, command_log=log)
        done = np.zeros(len(addrs), dtype=np.int64)
        replay(comp, addrs, writes, completions=done, interval_ps=interval_us * 1_000_000)
        runs.append((done, comp.stats()))
    (fast, fs), (slow, ss) = runs
    assert (fast > 0).all() and np.array_equal(fast, slow)
    assert fs["refreshes"] == ss["refreshes"] > 2 * 300 * 2
    assert sum(c["decisions"] for c in fs["channels"]) < sum(c["decisions"] for c in ss["channels"])  # skipped
    for c in fs["channels"] + ss["channels"]:
        c.pop("decisions")
    assert fs["channels"] == ss["channels"]
