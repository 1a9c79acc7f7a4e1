"""End-of-run L2 flush: the policy matches the reference model, and the timing shell drains every dirty sector."""
from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npusim.testing.drive import drive_memory, make_request
from npusim.testing.strategies import memory_streams
from npusim_cache.accelsim import parse_cache_string
from npusim_cache.sectored import functional_policy
from l2_reference_model import FETCH, LINE, ReferenceSlice, cache_strings
from test_timing import PERIOD, make_l2

NEVER = 2**62

ops = st.lists(st.tuples(st.sampled_from(["acc", "acc", "acc", "fill", "flush"]),
                         st.integers(0, 7),              # line number
                         st.sampled_from([0, 1, 3]),      # sector (modulo sectors per line)
                         st.sampled_from([True, True, False]),  # write
                         st.sampled_from([0, 8, 32]),     # bytes (0 = whole sector)
                         st.sampled_from([8, 8, 3, 0])),  # free miss-queue slots
               min_size=5, max_size=120)


def _cpp_out(pol):
    return [(pol.out_addr(i), pol.out_bytes(i), pol.out_is_write(i), pol.out_kind(i)) for i in range(pol.out_size())]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=cache_strings(), stream=ops)
def test_flush_matches_reference(text, stream):
    """Flushes anywhere in a stream: same write-backs (one per dirty sector), same states afterwards."""
    cpp, ref = functional_policy(text), ReferenceSlice(parse_cache_string(text))
    g = parse_cache_string(text)
    pending: list[int] = []
    now = 0
    for kind, line, sec, write, nbytes, mq_free in stream + [("flush", 0, 0, False, 0, 0)]:
        now += 1
        if kind == "flush":
            dirty = ref.dirty_sectors()
            assert cpp.dirty_sectors() == dirty
            n = cpp.flush()
            want = ref.flush()
            assert _cpp_out(cpp) == want
            assert n == len(want) == dirty
            assert cpp.dirty_sectors() == 0 == ref.dirty_sectors()
        elif kind == "fill":
            if pending:
                saddr = pending.pop(line % len(pending))
                n = cpp.fill(saddr, now)
                assert ([int(cpp.released_at(i)) for i in range(n)], _cpp_out(cpp)) == tuple(
                    map(list, ref.fill(saddr, now)))
        else:
            addr = line * LINE + (sec % g.sectors_per_line) * g.atom_bytes
            outcome = cpp.access(addr, int(write), nbytes, mq_free, now, now)
            want = ref.access(addr, write, nbytes, mq_free, now, now)
            assert (outcome, cpp.done(), _cpp_out(cpp)) == want
            pending += [a for a, _, w, k in want[2] if k == FETCH]
        for ln in range(8):
            for s in range(g.sectors_per_line):
                a = ln * LINE + s * g.atom_bytes
                assert cpp.sector_state(a) == ref.sector_state(a)
    while pending:  # fills after the final flush: modified ones are written back on arrival
        now += 1
        saddr = pending.pop(0)
        cpp.fill(saddr, now)
        assert _cpp_out(cpp) == ref.fill(saddr, now)[1]
    assert cpp.flush_writebacks == ref.stats["flush_writebacks"]
    assert cpp.writebacks == ref.stats["writebacks"]
    assert cpp.dirty_sectors() == ref.dirty_sectors() == 0


def flush_and_drain(dev, now: int) -> tuple[int, int]:
    """flush(now), then advance until idle; (write-backs queued, advance steps)."""
    import cppyy

    done = cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]()
    n = int(dev.flush(now))
    steps = 0
    while True:
        nxt = dev.next_event()
        if nxt >= NEVER:
            return n, steps
        assert steps < 100_000, "flush never drains"
        now = max(now + 1, nxt)
        done.clear()
        dev.advance(now, done)
        assert done.size() == 0, "a flush write-back completed a request"
        steps += 1


WB_STRINGS = ["S:64:128:16,L:B:m:L:P,A:192:4,32:0,32",   # RTX-3070-style, lazy fetch-on-read
              "S:4:128:2,64,L:B:f:F:L,A:2:1,8:0,16",      # 64-B sectors, fetch-on-write, allocate-on-fill
              "N:4:128:2,L:B:m:W:P,A:3:2,8:0,32"]         # line cache, naive write-allocate


@settings(max_examples=15, deadline=None)
@given(data=st.data(), text=st.sampled_from(WB_STRINGS))
def test_flush_writes_back_every_dirty_sector_end_to_end(data, text):
    reqs = data.draw(memory_streams(4, line=32))
    comp = make_l2(text, input_queue_size=2)
    out = drive_memory(comp.cpp, reqs)
    assert sorted(Counter(r[0] for r in out).items()) == [(i, 1) for i in range(len(reqs))]
    before = comp.stats()
    atom = parse_cache_string(text).atom_bytes
    dram = comp._deps["dram"]
    writes_before = sum(c["writes"] for c in dram.stats()["channels"])
    end = max(r[2] for r in out)
    n, _ = flush_and_drain(comp.cpp, end)
    after = comp.stats()
    assert n == before["dirty_bytes"] // atom == after["flush_writebacks"]
    assert after["dirty_bytes"] == 0 and after["flush_pending"] == 0
    assert after["writebacks"] == before["writebacks"]  # flush write-backs are counted separately
    assert after["downstream_writes"] - before["downstream_writes"] == n
    assert sum(c["writes"] for c in dram.stats()["channels"]) - writes_before == n
    assert flush_and_drain(comp.cpp, end + 10**9)[0] == 0  # nothing left to flush


def test_flush_drains_under_back_pressure():
    """Miss queue of 6 and a DRAM queue of 1: 64 dirty sectors still all reach the DRAM, one port cycle each."""
    comp = make_l2("S:4:128:4,L:B:m:L:L,A:8:4,6:0,32", overrides={"dram.queue_size": 1})
    dev = comp.cpp
    reqs = [(0, 0, i * 128, 128, True, 1) for i in range(16)]  # 16 lines x 4 sectors, lazy: no fetch
    drive_memory(dev, [r[:5] for r in reqs])
    assert comp.stats()["dirty_bytes"] == 16 * 128
    t0 = 10**6
    assert dev.flush(t0) == 64
    assert t0 <= dev.next_event() < NEVER
    n, steps = flush_and_drain(dev, t0)
    s = comp.stats()
    assert s["flush_writebacks"] == 64 and s["flush_pending"] == 0 and s["dirty_bytes"] == 0
    assert comp._deps["dram"].stats()["channels"][0]["writes"] == 64
    assert steps >= 64  # at most one write-back leaves the miss queue per L2 cycle
    # a later read of a flushed line still hits: the data stays cached, clean
    out = drive_memory(dev, [(2 * t0, 0, 0, 32, False)])
    assert out[0][2] - out[0][1] == PERIOD


def test_flush_writes_back_a_fill_pending_at_flush_time():
    """Fetch-on-write of a partial sector: the write completes at once, its fetch is still in flight when the
    flush comes; the merged sector is written back when the fill arrives."""
    comp = make_l2("S:4:128:2,L:B:m:F:L,A:8:4,8:0,32")
    dev = comp.cpp
    import cppyy

    done = cppyy.gbl.std.vector[cppyy.gbl.npusim.MemCompletion]()
    assert dev.try_send(make_request(0, 0, 8, True, 0), 0)
    dev.advance(2 * PERIOD, done)  # lookup at 0, fetch leaves the miss queue at 1 cycle
    assert done.size() == 1  # the write is done; the fetch is pending
    assert dev.flush(2 * PERIOD) == 0  # nothing dirty yet
    assert dev.next_event() < NEVER
    flush_and_drain(dev, 2 * PERIOD)
    s = comp.stats()
    assert s["flush_writebacks"] == 1 and s["dirty_bytes"] == 0
    assert comp._deps["dram"].stats()["channels"][0]["writes"] == 1


def test_write_through_cache_has_nothing_to_flush():
    comp = make_l2("S:4:128:2,L:T:m:N:L,A:8:4,8:0,32")
    drive_memory(comp.cpp, [(0, 0, 0, 32, True), (0, 1, 64, 32, False)])
    assert comp.cpp.flush(10**6) == 0
    assert comp.cpp.next_event() >= NEVER
    assert comp.stats()["flush_writebacks"] == 0


def test_flush_needs_a_downstream():
    from npusim.testing import build_component
    import pytest

    comp = build_component("cache", "sectored", machine="small-8x8")
    with pytest.raises(Exception, match="set_downstream"):
        comp.cpp.flush(0)
