"""The C++ L2 policy (npusim::l2::L2Policy) and the Python reference model agree step by step on random streams."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npusim_cache.accelsim import parse_cache_string
from npusim_cache.sectored import functional_policy
from l2_reference_model import FETCH, LINE, MISS, ReferenceSlice, cache_strings

STATS = ("accesses", "hits", "misses", "line_misses", "sector_misses", "mshr_merges", "reservation_fails", "writebacks")


ops = st.lists(st.tuples(st.sampled_from(["acc", "acc", "acc", "fill", "fill"]),
                         st.integers(0, 7),           # line number
                         st.sampled_from([0, 0, 1, 3]),  # sector (taken modulo sectors per line)
                         st.booleans(),               # write
                         st.sampled_from([0, 8, 32]),  # bytes (0 = whole sector)
                         st.sampled_from([8, 8, 8, 8, 3, 2, 1, 0])),  # free miss-queue slots
               min_size=10, max_size=150)


def _cpp_out(pol):
    return [(pol.out_addr(i), pol.out_bytes(i), pol.out_is_write(i), pol.out_kind(i)) for i in range(pol.out_size())]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=cache_strings(), stream=ops)
def test_cpp_matches_reference(text, stream):
    _compare(text, stream)


# Sets of 64 ways and more pick their victim through a tournament tree (l2_policy.hpp), not the scan: streams
# over more lines than ways, so sets fill up, evict and refill (PyTorchSim's string has 512 ways).
wide_ops = st.lists(st.tuples(st.sampled_from(["acc", "acc", "fill"]), st.integers(0, 89),
                              st.sampled_from([0, 1, 3]), st.booleans(), st.sampled_from([0, 32]),
                              st.sampled_from([8, 8, 8, 2])), min_size=200, max_size=600)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assoc=st.sampled_from([64, 65, 80]), rep=st.sampled_from("LF"), alloc=st.sampled_from("mf"),
       wp=st.sampled_from("BT"), stream=wide_ops)
def test_cpp_matches_reference_with_wide_sets(assoc, rep, alloc, wp, stream):
    _compare(f"S:1:{LINE}:{assoc},{rep}:{wp}:{alloc}:N,A:48:3,8:0,32", stream)


def _compare(text, stream):
    """Run `stream` through the C++ policy and the reference; every outcome, request and stat must agree."""
    geom = parse_cache_string(text)
    cpp = functional_policy(text)
    ref = ReferenceSlice(geom)
    pending: list[int] = []  # sector addresses of fetches in flight, oldest first
    now = 0
    for kind, line, sec, write, nbytes, mq_free in stream:
        now += 1
        if kind == "fill":
            if not pending:
                continue
            saddr = pending.pop(line % len(pending))
            n = cpp.fill(saddr, now)
            got = ([int(cpp.released_at(i)) for i in range(n)], _cpp_out(cpp))
            want = ref.fill(saddr, now)
            assert got == (list(want[0]), want[1]), (text, kind, saddr)
            continue
        addr = line * LINE + (sec % geom.sectors_per_line) * geom.atom_bytes
        outcome = cpp.access(addr, int(write), nbytes, mq_free, now, now)
        got = (outcome, cpp.done(), _cpp_out(cpp))
        want = ref.access(addr, write, nbytes, mq_free, now, now)
        assert got == want, (text, kind, addr, write, nbytes, mq_free)
        assert cpp.sector_state(addr) == ref.sector_state(addr)
        pending += [a for a, _, w, k in want[2] if k == FETCH]
    for name in STATS:
        assert getattr(cpp, name) == ref.stats[name], name
    assert cpp.pending_fills() == len(ref.mshr)


def test_reference_counts_a_simple_stream():
    """Hand-checked: 2-way LRU set, three blocks -> the third evicts the least recently used one."""
    text = "S:1:128:2,L:B:m:N:L,A:8:4,8:0,32"
    cpp, ref = functional_policy(text), ReferenceSlice(parse_cache_string(text))
    seq = []
    for now, block in enumerate([0, 1, 0, 2, 1], start=1):
        for model in (cpp, ref):
            if model is cpp:
                r = cpp.access(block * LINE, 0, 32, 8, now, now)
                cpp.fill(block * LINE, now) if r == MISS else None
            else:
                r2 = ref.access(block * LINE, False, 32, 8, now, now)[0]
                ref.fill(block * LINE, now) if r2 == MISS else None
        assert r == r2
        seq.append(r)
    # 0 miss, 1 miss, 0 hit, 2 miss (evicts 1, LRU), 1 miss again
    assert seq == [MISS, MISS, 0, MISS, MISS]
