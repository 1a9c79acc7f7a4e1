"""The per-bank access queue (cpp/acc_queue.hpp, a list linked through the access pool) against a Python list."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from npusim_dram.device import load_library

POOL = 16  # pool slots (access ids 0..15)


def _contents(q, nxt: np.ndarray) -> list[int]:
    """The queue's ids front to back, following the links."""
    out, i = [], q.front()
    while i >= 0:
        out.append(i)
        i = int(nxt[i])
        assert len(out) <= POOL, "cycle in the queue links"
    return out


# ops: ("push", k) appends the k-th free id, ("erase", k) removes the k-th queued id (any position)
OPS = st.lists(st.tuples(st.sampled_from(["push", "erase"]), st.integers(0, POOL - 1)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_acc_queue_matches_a_list(ops):
    """FIFO appends and removal at any position keep the others' order, as a Python list does."""
    load_library()
    import cppyy

    q = cppyy.gbl.npusim.AccQueue()
    nxt = np.full(POOL, -5, dtype=np.int32)  # garbage links: push_back must set what it needs
    ref: list[int] = []
    for op, k in ops:
        free = [i for i in range(POOL) if i not in ref]
        if op == "push" and free:
            i = free[k % len(free)]
            q.push_back(i, nxt)
            ref.append(i)
        elif op == "erase" and ref:
            i = ref[k % len(ref)]
            q.erase(i, nxt)
            ref.remove(i)
        assert _contents(q, nxt) == ref
        assert bool(q.empty()) == (not ref)
        assert q.front() == (ref[0] if ref else -1)
