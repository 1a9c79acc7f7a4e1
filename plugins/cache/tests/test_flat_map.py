"""npusim::l2::FlatMap (the L2's tag / MSHR / in-flight index) behaves as a dict under inserts, overwrites and erases."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from npusim_cache.sectored import load_library

# keys from a narrow range and a few far ones collide in the table and build probe runs that erases must repair
FAR = (-1, 1 << 40, (1 << 62) + 3, -(1 << 50))
keys = st.one_of(st.integers(0, 40), st.sampled_from(FAR))
ops = st.lists(st.tuples(st.sampled_from(["put", "put", "erase", "find"]), keys, st.integers(0, 1000)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(ops=ops, expected=st.sampled_from([1, 4, 64]))
def test_flat_map_matches_a_dict(ops, expected):
    load_library()
    import cppyy

    m = cppyy.gbl.npusim.l2.FlatMap(expected)
    ref: dict[int, int] = {}
    for op, key, value in ops:
        if op == "put":
            m.put(key, value)
            ref[key] = value
        elif op == "erase":  # the backward shift must keep every other key reachable
            m.erase(key)
            ref.pop(key, None)
            assert all(m.find(k) == ref.get(k, -1) for k in (*range(41), *FAR))
        assert m.find(key) == ref.get(key, -1)
        assert m.size() == len(ref)


def test_flat_map_random_churn():
    """Seeded churn over 41 keys (dense probe runs, every erase checked against a dict for every key)."""
    import random

    load_library()
    import cppyy

    for seed in range(30):
        rng = random.Random(seed)
        m = cppyy.gbl.npusim.l2.FlatMap(1)
        ref: dict[int, int] = {}
        for _ in range(80):
            key = rng.randint(0, 40)
            if rng.random() < 0.6:
                m.put(key, seed)
                ref[key] = seed
            else:
                m.erase(key)
                ref.pop(key, None)
                assert [m.find(k) for k in range(41)] == [ref.get(k, -1) for k in range(41)], seed
        assert m.size() == len(ref)
