"""npusim::l2::Ring (the L2's per-slice FIFO queues) behaves as collections.deque under pushes, pops and growth."""
from __future__ import annotations

import collections
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from npusim_cache.sectored import load_library

# runs of pushes and pops: interleaving them moves the head round the array, so later pushes wrap past its end
# and a push into a full ring doubles it while the live elements straddle the wrap point
ops = st.lists(st.tuples(st.sampled_from(["push", "push", "pop"]), st.integers(1, 6)), max_size=80)


def _ring(initial: int):
    load_library()
    import cppyy

    return cppyy.gbl.npusim.l2.Ring["int64_t"](initial)


def _check(ring, ref: collections.deque) -> None:
    assert ring.size() == len(ref)
    assert ring.empty() == (not ref)
    assert ring.capacity() >= len(ref) and ring.capacity() & (ring.capacity() - 1) == 0
    assert [ring[i] for i in range(len(ref))] == list(ref)
    if ref:
        assert ring.front() == ref[0]


@settings(max_examples=200, deadline=None)
@given(ops=ops, initial=st.sampled_from([0, 1, 3, 4, 16]))
def test_ring_matches_a_deque(ops, initial):
    ring = _ring(initial)
    ref: collections.deque[int] = collections.deque()
    value = 0
    for op, count in ops:
        for _ in range(count):
            if op == "push":
                value += 1
                ring.push_back(value)
                ref.append(value)
            elif ref:
                assert ring.front() == ref.popleft()
                ring.pop_front()
        _check(ring, ref)


def test_ring_grows_across_the_wrap_point():
    """A full ring whose live elements wrap past the array's end doubles and keeps FIFO order."""
    ring = _ring(4)
    ref: collections.deque[int] = collections.deque()
    for v in range(3):  # slots 0..2
        ring.push_back(v)
        ref.append(v)
    for _ in range(2):  # head at slot 2
        ring.pop_front()
        ref.popleft()
    for v in range(3, 6):  # fills slots 3, 0, 1: full, wrapped
        ring.push_back(v)
        ref.append(v)
    assert ring.capacity() == 4
    ring.push_back(6)  # grows with the live elements straddling the wrap point
    ref.append(6)
    assert ring.capacity() == 8
    _check(ring, ref)
    out = []
    while not ring.empty():
        out.append(ring.front())
        ring.pop_front()
    assert out == list(ref) == [2, 3, 4, 5, 6]


def test_ring_steady_state_does_not_grow():
    """A queue that stays within its capacity wraps round it indefinitely without reallocating."""
    ring = _ring(8)
    ref: collections.deque[int] = collections.deque()
    rng = random.Random(3)
    for step in range(5000):
        if len(ref) < 8 and (not ref or rng.random() < 0.5):
            ring.push_back(step)
            ref.append(step)
        else:
            assert ring.front() == ref.popleft()
            ring.pop_front()
    assert ring.capacity() == 8
    _check(ring, ref)
