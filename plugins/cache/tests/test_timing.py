"""Timing shell of the sectored L2: closed-form latencies, MSHR merging, bypass, back-pressure, write-backs."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npusim.testing import build_component
from npusim.testing.drive import drive_memory, make_request
from npusim.testing.strategies import memory_streams
from npusim_cache.accelsim import parse_cache_string
from l2_reference_model import FETCH, LINE, RESERVATION_FAIL, ReferenceSlice, cache_strings

ACCELSIM_3070 = "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32"
PERIOD = 1000  # small-8x8: 1000 MHz core clock -> the L2 clock [ps]
DRAM_LAT = 50  # small-8x8 SimpleDram latency [DRAM cycles at 1000 MHz]


def make_l2(config: str = ACCELSIM_3070, overrides: dict | None = None, **params):
    """A sectored L2 on small-8x8 (4 slices), connected to that machine's fixed-latency DRAM."""
    comp = build_component("cache", "sectored", machine="small-8x8", params={"config": config, **params},
                           overrides=overrides)
    comp.connect(comp._deps["dram"])
    return comp


def drive(dev, reqs):
    """Offer [(time, channel, addr, bytes, is_write, flags)] in order; return {id: (sent, done)}."""
    import cppyy

    done = cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]()
    pending = sorted((r[0], i, r) for i, r in enumerate(reqs))
    out, sent, now = {}, {}, 0
    while pending or len(out) < len(sent):
        while pending and pending[0][0] <= now:
            _, i, (t, ch, a, b, w, f) = pending[0]
            if not dev.try_send(make_request(i, a, b, w, ch, flags=f), now):
                break
            sent[i] = now
            pending.pop(0)
        nxt = dev.next_event()
        if pending and pending[0][0] > now:
            nxt = min(nxt, pending[0][0])
        assert nxt < 2**62, "deadlock"
        now = max(nxt, now + 1)
        done.clear()
        dev.advance(now, done)
        for c in done:
            assert int(c.req.id) not in out, "completed twice"
            out[int(c.req.id)] = (sent[int(c.req.id)], int(c.time))
    return out


def test_miss_then_hit_closed_form():
    comp = make_l2()
    out = drive(comp.cpp, [(0, 0, 0, 32, False, 1), (100 * PERIOD, 0, 0, 32, False, 1)])
    # miss: lookup at cycle 0, miss queue -> DRAM at cycle 1, DRAM done at 1 + 50, fill + 1 hit cycle
    assert out[0] == (0, (1 + DRAM_LAT + 1) * PERIOD)
    # hit: lookup at 100, response after hit_latency_cycles (1)
    assert out[1] == (100 * PERIOD, 101 * PERIOD)
    s = comp.stats()
    assert (s["accesses"], s["hits"], s["misses"], s["line_misses"], s["downstream_reads"]) == (2, 1, 1, 1, 1)
    assert min(o[1] - o[0] for o in out.values()) >= comp.cpp.min_latency_ps()


def test_hit_latency_parameter():
    comp = make_l2(hit_latency_cycles=7)
    out = drive(comp.cpp, [(0, 1, 64, 32, False, 1), (100 * PERIOD, 1, 64, 32, False, 1)])
    assert out[0][1] == (1 + DRAM_LAT + 7) * PERIOD
    assert out[1][1] - out[1][0] == 7 * PERIOD


def test_mshr_merge_and_sector_miss():
    comp = make_l2()
    # same sector twice -> one fetch, one merge; a neighbouring sector of the same line -> sector miss
    out = drive(comp.cpp, [(0, 0, 0, 32, False, 1), (0, 0, 0, 32, False, 1), (0, 0, 32, 32, False, 1)])
    s = comp.stats()
    assert s["mshr_merges"] == 1 and s["line_misses"] == 1 and s["sector_misses"] == 1
    assert s["downstream_reads"] == 2 and s["fetches"] == 2
    assert out[0][1] == out[1][1]  # the merged read completes with the fill


def test_non_cacheable_requests_bypass():
    comp = make_l2()
    reqs = [(i * 100, i % 4, (i // 4) * 64, 64, i % 3 == 0, 0) for i in range(40)]
    out = drive(comp.cpp, reqs)
    assert len(out) == 40
    s = comp.stats()
    assert s["accesses"] == 0 and s["bypassed"] == 40
    dram = comp._deps["dram"].stats()["channels"]
    assert sum(c["reads"] for c in dram) == sum(1 for r in reqs if not r[4])
    assert sum(c["writes"] for c in dram) == sum(1 for r in reqs if r[4])


def test_input_queue_back_pressure():
    comp = make_l2(input_queue_size=1)
    dev = comp.cpp
    assert dev.try_send(make_request(0, 0, 32, False, 0), 0)
    assert not dev.try_send(make_request(1, 4096, 32, False, 0), 0)  # slice 0 full
    assert dev.try_send(make_request(2, 0, 32, False, 1), 0)          # other slices independent
    out = drive_memory(make_l2(input_queue_size=1).cpp, [(0, 0, i * 4096, 32, False) for i in range(12)])
    assert sorted(Counter(r[0] for r in out).items()) == [(i, 1) for i in range(12)]


def test_downstream_refusal_is_retried():
    comp = make_l2(overrides={"dram.queue_size": 1})
    reqs = [(0, 0, i * 128, 128, False, 1) for i in range(30)]  # 4 sector fetches each, one channel
    out = drive(comp.cpp, reqs)
    assert len(out) == 30
    s = comp.stats()
    assert s["fetches"] == 120 and s["downstream_reads"] == 120
    assert comp._deps["dram"].stats()["channels"][0]["reads"] == 120


def test_write_back_on_eviction():
    # 1 set x 1 way, lazy fetch-on-read: a full-line write allocates 4 dirty sectors without a fetch
    comp = make_l2("S:1:128:1,L:B:m:L:L,A:4:4,8:0,32")
    drive(comp.cpp, [(0, 0, 0, 128, True, 1), (50 * PERIOD, 0, 128, 32, False, 1)])
    s = comp.stats()
    assert s["writebacks"] == 4 and s["fetches"] == 1
    assert comp._deps["dram"].stats()["channels"][0]["writes"] == 4


def test_write_through_forwards_every_write():
    comp = make_l2("S:4:128:2,L:T:m:N:L,A:8:4,8:0,32")
    reqs = [(0, 0, 0, 32, False, 1), (100 * PERIOD, 0, 0, 32, True, 1), (100 * PERIOD, 0, 512, 32, True, 1)]
    out = drive(comp.cpp, reqs)
    s = comp.stats()
    assert s["writebacks"] == 0 and s["downstream_writes"] == 2
    assert out[1][1] - out[1][0] == PERIOD  # write hit: posted, completes after the hit latency
    assert out[2][1] - out[2][0] > DRAM_LAT * PERIOD  # no-write-allocate miss: completes on the DRAM ack


def test_occupancy_reaches_capacity():
    comp = make_l2("S:2:128:2,L:B:m:N:L,A:8:4,8:0,32")
    reqs = [(i * 10 * PERIOD, ch, i * 128, 128, False, 1) for i in range(16) for ch in range(4)]
    drive(comp.cpp, reqs)
    s = comp.stats()
    assert s["capacity_bytes"] == 4 * 2 * 2 * 128
    assert s["max_occupancy_bytes"] == s["capacity_bytes"]


def test_streaming_hits_at_most_peak():
    comp = make_l2()
    reqs = [(0, ch, (i % 8) * 64, 64, False) for i in range(256) for ch in range(4)]
    out = drive_memory(comp.cpp, reqs)
    span = max(r[2] for r in out)
    assert sum(r[4] for r in out) / span <= comp.cpp.peak_bytes_per_ps() * 1.0001
    assert comp.stats()["hits"] > 0.8 * comp.stats()["accesses"]  # 16 sectors per slice, re-read 16 times


STRINGS = [ACCELSIM_3070,
           "S:2:128:2,F:T:f:N:X,A:2:2,6:0,32",      # tiny, FIFO, write-through, allocate-on-fill, xor index
           "N:4:128:2,L:B:m:W:P,A:3:2,8:0,32",      # line (non-sectored) cache, naive write-allocate
           "S:4:128:2,64,L:B:f:F:L,A:2:1,8:0,16"]   # PyTorchSim sector field 64, fetch-on-write, 16-B port


@pytest.mark.parametrize("text", STRINGS)
@settings(max_examples=12)
@given(data=st.data())
def test_invariants_over_cache_strings(text, data):
    reqs = data.draw(memory_streams(4, line=32))
    comp = make_l2(text, input_queue_size=2)
    out = drive_memory(comp.cpp, reqs)
    assert sorted(Counter(r[0] for r in out).items()) == [(i, 1) for i in range(len(reqs))]
    assert all(done - sent >= comp.cpp.min_latency_ps() for _, sent, done, *_ in out)
    s = comp.stats()
    assert s["hits"] + s["misses"] == s["accesses"]
    assert s["misses"] == s["line_misses"] + s["sector_misses"] + s["mshr_merges"]
    assert 0 <= s["max_occupancy_bytes"] <= s["capacity_bytes"]
    assert drive_memory(make_l2(text, input_queue_size=2).cpp, reqs) == out


@settings(max_examples=40)
@given(text=cache_strings(), stream=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 3),
                                                      st.sampled_from([8, 32, 64, 128]), st.booleans()),
                                            min_size=1, max_size=40))
def test_serial_timing_matches_reference(text, stream):
    """Requests spaced so each finishes (fills included) before the next: the timing shell's sector split,
    fills and write-backs must leave the same counters as the reference model with immediate fills."""
    geom = parse_cache_string(text)
    comp = make_l2(text)
    reqs, now = [], 0
    for i, (line, sec, nbytes, write) in enumerate(stream):
        addr = line * LINE + (sec * 32) % LINE
        nbytes = min(nbytes, LINE - addr % LINE)
        reqs.append((i * 10**6, 0, addr, nbytes, write))
    drive_memory(comp.cpp, reqs)
    ref = ReferenceSlice(geom)
    for _, _, addr, nbytes, write in reqs:
        a, end, fetches = addr, addr + nbytes, []
        while a < end:
            b = min(end, (a // geom.atom_bytes + 1) * geom.atom_bytes)
            now += 1
            outcome, _, out = ref.access(a, write, b - a, 32, now, 0)
            if outcome == RESERVATION_FAIL:  # the slice stalls until the oldest fetch returns, then retries
                assert fetches, "reservation fail with nothing in flight"
                now += 1
                ref.fill(fetches.pop(0), now)
                ref.stats["reservation_fails"] -= 1
                continue
            fetches += [x[0] for x in out if x[3] == FETCH]
            a = b
        for f in fetches:
            now += 1
            ref.fill(f, now)
    s = comp.stats()["slices"][0]
    for key in ("accesses", "hits", "misses", "line_misses", "sector_misses", "mshr_merges", "writebacks"):
        assert s[key] == ref.stats[key], key
    fails = comp.stats()["reservation_fails"]
    assert fails == 0 or geom.mshr_entries < geom.sectors_per_line


def test_misuse_is_reported():
    comp = build_component("cache", "sectored", machine="small-8x8")
    with pytest.raises(Exception, match="set_downstream"):
        comp.cpp.try_send(make_request(0, 0, 32, False, 0), 0)
    with pytest.raises(Exception, match="channel out of range"):
        comp.cpp.try_send(make_request(0, 0, 32, False, 9), 0)
    other = build_component("dram", "simple", machine="small-8x8", params={"channels": 2})
    with pytest.raises(Exception, match="different number of channels"):
        comp.connect(other)
